/**
 * The kill switch across processes: two platforms on one database (two API processes) and a process whose
 * notification is lost (no change feed: only the polled version row); and what the cached check costs. Both stores.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTestPlatform, newSchemaName, openTestDatabase, testStoreKind } from '../../test/helpers/test-platform.ts';
import { type Caller, type GroundworkError, loadConfig, localOperator, silentLogger } from '../core/index.ts';
import { createPlatform } from '../create-platform.ts';
import { createRolloutAvailability, killUseCase, restoreUseCase } from '../rollout/index.ts';

const user = (id: string): Caller => ({ id, role: 'user', principals: [id], seesEverything: false });

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
