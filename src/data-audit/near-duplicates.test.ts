import assert from 'node:assert/strict';
import { test } from 'node:test';
import { minhashSignature, NearDuplicateIndex, similarity } from './near-duplicates.ts';

const words = (seed: number, n: number) => {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return `w${(x >>> 8) % 5000}`;
  }).join(' ');
};

test('MinHash: identical texts are 1, unrelated texts near 0, one changed word in 300 stays above 0.8', () => {
  const text = words(1, 300);
  const a = minhashSignature(text);
  const b = minhashSignature(text.replace(/\S+$/, 'changed'));
  const c = minhashSignature(words(2, 300));
  assert.ok(a && b && c);
  assert.equal(similarity(a, minhashSignature(text) as Uint32Array), 1);
  assert.ok(similarity(a, b) > 0.9, `near ${similarity(a, b)}`);
  assert.ok(similarity(a, c) < 0.1, `unrelated ${similarity(a, c)}`);
  assert.equal(minhashSignature('too short'), undefined, 'a few words say nothing about duplication');
  assert.equal(similarity(a, minhashSignature(text.toUpperCase()) as Uint32Array), 1, 'case does not matter');
});

test('clusters: near-duplicates are grouped (transitively), members by ref, unrelated documents stay out', () => {
  const index = new NearDuplicateIndex(0.8);
  const base = words(7, 400);
  const sig = (text: string) => minhashSignature(text) as Uint32Array;
  index.add('z/copy.txt', sig(base));
  index.add('a/other.txt', sig(words(8, 400)));
  index.add('b/edited.txt', sig(`${base} one more sentence at the end`));
  index.add('c/again.txt', sig(base.replace(/^\S+/, 'first')));
  const clusters = index.clusters();
  assert.equal(clusters.length, 1);
  assert.deepEqual(
    clusters[0]?.members.map((member) => member.ref),
    ['b/edited.txt', 'c/again.txt', 'z/copy.txt'],
  );
  assert.equal(clusters[0]?.members[0]?.similarity, 1);
  assert.ok((clusters[0]?.minSimilarity ?? 0) >= 0.8);
  assert.equal(index.size, 4);
});
