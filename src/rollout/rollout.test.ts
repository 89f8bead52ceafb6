/**
 * Rollout rules (pure) and the kill switch across processes: two platforms on one database (two API processes)
 * and a process whose notification is lost (no change feed: only the polled version row). Both stores.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { createTestPlatform, newSchemaName, openTestDatabase, testStoreKind } from '../../test/helpers/test-platform.ts';
import { type Caller, type GroundworkError, loadConfig, localOperator, silentLogger } from '../core/index.ts';
import { createPlatform } from '../create-platform.ts';
import {
  audienceBucket,
  createRolloutAvailability,
  inPercentage,
  isExpansion,
  killUseCase,
  restoreUseCase,
  type StageSnapshot,
} from './index.ts';

const user = (id: string): Caller => ({ id, role: 'user', principals: [id], seesEverything: false });

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

async function waitUntil(check: () => Promise<boolean>, ms: number): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return performance.now() - started;
}

describe(`kill switch across processes (${testStoreKind})`, () => {
  test('a kill in one process stops answers in another within 5 s, and in one that missed the notification', async () => {
    const schema = newSchemaName();
    const first = await createPlatform(loadConfig({ env: {}, flags: {}, cwd: '/nonexistent' }), {
      database: await openTestDatabase({ schema }),
      logger: silentLogger,
    });
    const second = await createPlatform(loadConfig({ env: {}, flags: {}, cwd: '/nonexistent' }), {
      database: await openTestDatabase({ schema, migrate: false }),
      logger: silentLogger,
    });
    // A third "process" whose notifications are lost: it has no change feed at all, only the version row.
    const deaf = createRolloutAvailability({ db: second.db });
    try {
      await first.answerer.useCases.create('uw', { status: 'general', model: 'extractive' });
      await second.changes.ready;
      const ann = user('user:ann@x.test');
      const available = async (check: (caller: Caller) => Promise<void>) =>
        check(ann).then(
          () => true,
          (error: GroundworkError) => {
            assert.equal(error.code, 'rollout.not_available');
            return false;
          },
        );
      const inSecond = (caller: Caller) => second.answerer.ask({ question: 'deductible?', caller, useCase: 'uw' }).then(() => {});
      const inDeaf = (caller: Caller) => deaf.check('uw', caller);
      assert.equal(await available(inSecond), true);
      assert.equal(await available(inDeaf), true);
      await killUseCase(first.db, localOperator, 'uw', { message: 'Stopped.' });
      const viaFeed = await waitUntil(async () => !(await available(inSecond)), 5000);
      const viaPoll = await waitUntil(async () => !(await available(inDeaf)), 5000);
      assert.ok(viaFeed < 5000 && viaPoll < 5000, `feed ${viaFeed} ms, poll ${viaPoll} ms`);
      await assert.rejects(second.answerer.ask({ question: 'q?', caller: ann, useCase: 'uw' }), { message: 'Stopped.' });
      await restoreUseCase(first.db, localOperator, 'uw');
      await waitUntil(() => available(inSecond), 5000);
      await waitUntil(() => available(inDeaf), 5000);
    } finally {
      deaf.close();
      await second.close();
      await first.close();
    }
  });

  test('the cached check costs microseconds once loaded (well under 1 ms)', async () => {
    const platform = await createTestPlatform();
    try {
      await platform.answerer.useCases.create('uw', { status: 'general' });
      const ann = user('user:ann@x.test');
      await platform.rollout.check('uw', ann);
      const started = performance.now();
      for (let i = 0; i < 5000; i += 1) await platform.rollout.check('uw', ann);
      const perCheck = (performance.now() - started) / 5000;
      assert.ok(perCheck < 0.2, `${perCheck} ms per check`);
    } finally {
      await platform.close();
    }
  });
});
