import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  averagePrecision,
  expandQuery,
  highlightSpans,
  makeSnippet,
  meanMetrics,
  mergeSynonyms,
  ndcgAt,
  precisionAt,
  queryMetrics,
  recallAt,
  reciprocalRankAt,
  reciprocalRankFusion,
  weightedFusion,
} from './index.ts';

const close = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} ≠ ${expected}`);

describe('retrieve: metrics (trec_eval definitions, hand-computed)', () => {
  // Relevant: a (2), c (1), x (1, never retrieved). Run: a b c d.
  const judgments = new Map([
    ['a', 2],
    ['c', 1],
    ['x', 1],
    ['b', 0],
  ]);
  const run = ['a', 'b', 'c', 'd'];

  test('nDCG@k with linear gains over the ideal ordering of all judgments', () => {
    // DCG = 2/log2(2) + 1/log2(4) = 2 + 0.5; IDCG = 2 + 1/log2(3) + 1/log2(4)
    close(ndcgAt(run, judgments, 10), 2.5 / (2 + 1 / Math.log2(3) + 0.5));
    // @1: DCG 2, IDCG 2
    close(ndcgAt(run, judgments, 1), 1);
    close(ndcgAt(['b', 'd'], judgments, 10), 0);
  });

  test('recall, precision (divided by k), reciprocal rank, average precision', () => {
    close(recallAt(run, judgments, 100), 2 / 3);
    close(recallAt(run, judgments, 1), 1 / 3);
    close(precisionAt(run, judgments, 10), 2 / 10);
    close(precisionAt(run, judgments, 2), 1 / 2);
    close(reciprocalRankAt(['b', 'c'], judgments, 10), 1 / 2);
    close(reciprocalRankAt(['b', 'c'], judgments, 1), 0);
    // AP = (1/1 + 2/3) / 3 relevant
    close(averagePrecision(run, judgments), (1 + 2 / 3) / 3);
    // Duplicates count once; the cutoff applies.
    close(averagePrecision(['b', 'b', 'a'], judgments), 1 / 2 / 3);
    close(averagePrecision(['b', 'a'], judgments, 1), 0);
    const m = queryMetrics(run, judgments);
    close(m.map, (1 + 2 / 3) / 3);
    close(meanMetrics([m, queryMetrics([], judgments)]).p10, 0.1);
  });
});

describe('retrieve: synonyms', () => {
  const synonyms = { FNOL: ['first notice of loss'], car: ['automobile', 'motor vehicle'] };
  test('acronym to phrase, phrase to acronym, whole words only, case-insensitive', () => {
    assert.deepEqual(expandQuery('fnol deadline', synonyms), {
      text: 'fnol deadline first notice of loss',
      added: ['first notice of loss'],
    });
    assert.deepEqual(expandQuery('When is the First Notice of Loss due?', synonyms).added, ['FNOL']);
    assert.deepEqual(expandQuery('notice of loss', synonyms).added, []);
    assert.deepEqual(expandQuery('carpet', synonyms).added, []);
    assert.deepEqual(expandQuery('motor vehicle claim', synonyms).added, ['car', 'automobile']);
    assert.deepEqual(mergeSynonyms({ a: ['b'] }, { a: ['c', 'b'], d: ['e'] }), { a: ['b', 'c'], d: ['e'] });
  });
});

describe('retrieve: fusion', () => {
  const lexical = [
    { id: 'a', score: 9 },
    { id: 'b', score: 5 },
    { id: 'c', score: 1 },
  ];
  const vector = [
    { id: 'c', score: 0.9 },
    { id: 'd', score: 0.8 },
  ];
  test('reciprocal-rank fusion', () => {
    const fused = reciprocalRankFusion(lexical, vector, 60);
    // c: 1/63 + 1/61 beats a: 1/61; b and d tie at 1/62 (same best rank) and break by id.
    assert.deepEqual(
      fused.map((f) => f.id),
      ['c', 'a', 'b', 'd'],
    );
    close(fused[0]?.fused ?? 0, 1 / 63 + 1 / 61);
    assert.equal(fused[0]?.lexical, 1);
    assert.equal(fused[0]?.vector, 0.9);
  });
  test('weighted fusion of min-max normalised scores', () => {
    const fused = weightedFusion(lexical, vector, 0.5);
    // a: 0.5*1; b: 0.5*0.5; c: 0 + 0.5*1; d: 0.5*0 → a and c tie at 0.5 (a ranks first: best rank 1 on both)
    assert.deepEqual(
      fused.map((f) => [f.id, f.fused]),
      [
        ['a', 0.5],
        ['c', 0.5],
        ['b', 0.25],
        ['d', 0],
      ],
    );
  });
});

describe('retrieve: highlights and snippets', () => {
  test('marks matched words with «» around the densest region', () => {
    const text = `${'Intro words here. '.repeat(30)}The adjuster records the loss. ${'Trailing text. '.repeat(30)}`;
    const spans = highlightSpans(text, new Set(['adjuster', 'loss']));
    assert.equal(spans.length, 2);
    assert.equal(text.slice(spans[0]?.start, spans[0]?.end), 'adjuster');
    const snippet = makeSnippet(text, spans, 120);
    assert.match(snippet, /^….*The «adjuster» records the «loss»\..*…$/);
    assert.ok(snippet.length <= 125);
    assert.equal(makeSnippet('short text', []), 'short text');
  });
});
