/** Rollout rules (pure): sticky percentage and what counts as an expansion. The answer path: src/server/rollout-*.test.ts. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { audienceBucket, inPercentage, isExpansion, type StageSnapshot } from './index.ts';

describe('rollout rules', () => {
  test('sticky percentage: raising the percentage never removes anyone (many salts, many user ids), and the share is about right', () => {
    for (let s = 0; s < 20; s += 1) {
      const salt = randomBytes(8).toString('hex');
      const ids = Array.from({ length: 2000 }, (_, i) => `user:person${i}-${s}@example.com`);
      let previous = new Set<string>();
      for (const percent of [0, 0.5, 1, 5, 10, 12.5, 25, 40, 50, 75, 99, 100]) {
        const admitted = new Set(ids.filter((id) => inPercentage(salt, id, percent)));
        for (const id of previous) assert.ok(admitted.has(id), `${id} removed when raising to ${percent}%`);
        const share = (admitted.size / ids.length) * 100;
        assert.ok(Math.abs(share - percent) < 4, `${percent}% admitted ${share.toFixed(1)}%`);
        previous = admitted;
      }
      assert.equal(previous.size, ids.length);
    }
    // Sticky: the same user, the same bucket, however it is spelled; another salt, another bucket.
    assert.equal(audienceBucket('s', 'user:Ann@X.test'), audienceBucket('s', 'user:ann@x.test'));
    assert.notEqual(audienceBucket('s1', 'user:ann@x.test'), audienceBucket('s2', 'user:ann@x.test'));
  });

  test('expansion: a later stage, a higher percentage in limited, an added cohort; narrowing is not', () => {
    const s = (stage: StageSnapshot['stage'], cohorts: string[] = [], percent = 0): StageSnapshot => ({
      stage,
      cohorts,
      percent,
    });
    const expansions: Array<[StageSnapshot, StageSnapshot]> = [
      [s('draft'), s('pilot', ['a'])],
      [s('pilot', ['a']), s('limited', ['a'], 5)],
      [s('limited', ['a'], 5), s('general')],
      [s('limited', ['a'], 5), s('limited', ['a'], 6)],
      [s('pilot', ['a']), s('pilot', ['a', 'b'])],
      [s('limited', ['a'], 5), s('pilot', ['a', 'b'])],
      [s('retired'), s('draft')],
    ];
    for (const [before, after] of expansions)
      assert.equal(isExpansion(before, after), true, `${JSON.stringify([before, after])}`);
    const narrowing: Array<[StageSnapshot, StageSnapshot]> = [
      [s('general'), s('limited', ['a'], 50)],
      [s('general'), s('pilot', ['a', 'b'])],
      [s('limited', ['a'], 50), s('limited', ['a'], 10)],
      [s('limited', ['a', 'b'], 5), s('pilot', ['a'])],
      [s('pilot', ['a', 'b']), s('pilot', ['a'])],
      [s('pilot', ['a']), s('draft')],
      [s('general'), s('retired')],
      [s('pilot', ['a']), s('pilot', ['a'])],
    ];
    for (const [before, after] of narrowing)
      assert.equal(isExpansion(before, after), false, `${JSON.stringify([before, after])}`);
  });
});
