import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import picomatch from 'picomatch';
import { globContains } from './glob-contains.ts';

function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('ACL glob containment', () => {
  test('proves the cases people write', () => {
    const proven: Array<[string, string]> = [
      ['claims/**', 'claims/restricted/**'],
      ['claims/**', 'claims/restricted/notes.txt'],
      ['claims/**', 'claims/*/notes/**'],
      ['**', 'anything/at/all/**'],
      ['a/*', 'a/*.pdf'],
      ['a/**/*.pdf', 'a/b/*.pdf'],
      ['claims/**', 'claims/**'],
      ['**/*.pdf', 'claims/2026/report.pdf'],
    ];
    for (const [outer, inner] of proven) assert.equal(globContains(outer, inner), true, `${inner} ⊆ ${outer}`);
    const notProven: Array<[string, string]> = [
      ['claims/restricted/**', 'claims/**'],
      ['claims/*', 'claims/a/b'],
      ['underwriting/**', 'claims/**'],
      ['x/*/**', 'x/y/**'], // picomatch: x/*/** does not match x/y, which x/y/** does
      ['a/*.pdf', 'a/*'],
      ['{a,b}/**', 'a/x/**'],
    ];
    for (const [outer, inner] of notProven) assert.equal(globContains(outer, inner), false, `${inner} ⊄ ${outer}`);
    assert.equal(globContains('Claims/**', 'claims/restricted/**', { nocase: true }), true);
    assert.equal(globContains('Claims/**', 'claims/restricted/**'), false);
  });

  test('property: whenever containment is claimed, picomatch agrees on every generated path', () => {
    const random = prng(7);
    const segments = ['a', 'b', 'c.pdf', '*', '**', '*.pdf', 'b?', '.git'];
    const names = ['a', 'b', 'c.pdf', 'bx', 'd.pdf', '.git', 'zz'];
    const glob = () =>
      Array.from({ length: 1 + Math.floor(random() * 4) }, () => segments[Math.floor(random() * segments.length)]).join('/');
    const paths: string[] = [];
    for (let n = 0; n < 600; n++)
      paths.push(
        Array.from({ length: 1 + Math.floor(random() * 5) }, () => names[Math.floor(random() * names.length)]).join('/'),
      );
    let claims = 0;
    for (let n = 0; n < 8000; n++) {
      const outer = glob();
      const inner = glob();
      if (!globContains(outer, inner)) continue;
      claims++;
      const matchesOuter = picomatch(outer, { dot: true });
      const matchesInner = picomatch(inner, { dot: true });
      // Random paths, and paths built to match the inner glob (each `**` as zero, one or two segments).
      const instances = Array.from({ length: 30 }, () =>
        inner
          .split('/')
          .flatMap((segment) => {
            const name = () => names[Math.floor(random() * names.length)] as string;
            if (segment === '**') return Array.from({ length: Math.floor(random() * 3) }, name);
            if (segment === '*') return [name()];
            if (segment === '*.pdf') return [random() < 0.5 ? 'x.pdf' : '.pdf'];
            if (segment === 'b?') return ['bx'];
            return [segment];
          })
          .join('/'),
      ).filter((path) => path !== '');
      for (const path of [...paths, ...instances]) {
        if (matchesInner(path)) assert.ok(matchesOuter(path), `claimed ${inner} ⊆ ${outer}, but ${path} matches only the inner`);
      }
    }
    assert.ok(claims > 200, `only ${claims} containments proven`);
  });
});
