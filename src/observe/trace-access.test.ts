import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { usableUseCaseNames } from '../answer/index.ts';
import {
  type Caller,
  callerWithPrincipals,
  type GroundworkError,
  localOperator,
  silentLogger,
  systemClock,
} from '../core/index.ts';
import { listAudit } from '../govern/index.ts';
import { simulateAnswer } from './fixtures/simulate-answer.ts';
import {
  getTrace,
  listTraces,
  purgeTraces,
  restrictedDocumentTitle,
  startTracePurgeSchedule,
  type TraceAccess,
} from './index.ts';

const alice = callerWithPrincipals(['user:alice@example.com', 'group:underwriting']);
const bob = callerWithPrincipals(['user:bob@example.com', 'group:claims']);
const reviewer: Caller = { ...callerWithPrincipals(['user:rita@example.com', 'group:claims'], 'reviewer') };
const admin: Caller = { id: 'user:ada@example.com', role: 'admin', principals: ['user:ada@example.com'], seesEverything: false };

describe(`trace access (${testStoreKind})`, () => {
  test('users see their own traces, reviewers their use cases, admins all; others get nothing', async () => {
    const platform = await createTestPlatform({ observe: { textRetention: 'keep' } });
    try {
      const { db } = platform;
      await db.query(`INSERT INTO sources (id, name, type) VALUES ('src_1', 'corpus', 'filesystem')`);
      await db.query(
        `INSERT INTO documents (id, source_id, source_ref, uri, title, principals) VALUES
           ('doc_uw', 'src_1', 'uw.pdf', 'file:///uw.pdf', 'Underwriting guide', '{group:underwriting}'),
           ('doc_cl', 'src_1', 'cl.pdf', 'file:///cl.pdf', 'Claims manual', '{group:claims}')`,
      );
      await db.query(
        `INSERT INTO chunks (id, document_id, source_id, ordinal, text, token_count, content_hash, principals) VALUES
           ('chk_uw', 'doc_uw', 'src_1', 0, 'Flood deductible is 1000 for coastal risks.', 8, 'h1', '{group:underwriting}'),
           ('chk_cl', 'doc_cl', 'src_1', 0, 'Claims above 50k need a second adjuster.', 8, 'h2', '{group:claims}')`,
      );
      const aliceTrace = await simulateAnswer(platform.tracer, {
        caller: alice.id,
        useCase: 'underwriting-qa',
        retrieved: [
          { chunkId: 'chk_uw', documentId: 'doc_uw', score: 9 },
          { chunkId: 'chk_cl', documentId: 'doc_cl', score: 3 },
        ],
      });
      const bobTrace = await simulateAnswer(platform.tracer, { caller: bob.id, useCase: 'claims-qa' });
      await platform.observe.recorder.flush();

      const ids = async (caller: Caller, access?: TraceAccess) =>
        (await listTraces(db, caller, {}, access ?? { reviewableUseCases: await usableUseCaseNames(db, caller) }))
          .map((t) => t.id)
          .sort();
      assert.deepEqual(await ids(alice), [aliceTrace]);
      assert.deepEqual(await ids(bob), [bobTrace]);
      // A reviewer reviews the use cases they may use (answer's usableUseCaseNames): none exist yet, so only their own.
      assert.deepEqual(await ids(reviewer), []);
      assert.deepEqual(await ids(reviewer, {}), [], 'without a list of reviewable use cases, only their own');
      await db.query(
        `INSERT INTO use_cases (name, principals) VALUES ('claims-qa', '{group:claims}'), ('underwriting-qa', '{group:underwriting}')`,
      );
      assert.deepEqual(await ids(reviewer), [bobTrace]);
      assert.deepEqual(await ids(reviewer, {}), [], 'the use_cases table is not consulted by observe itself');
      assert.deepEqual(await ids(alice), [aliceTrace], 'a plain user still sees only their own');
      assert.deepEqual(await ids(reviewer, { reviewableUseCases: [] }), []);
      assert.deepEqual(await ids(reviewer, { reviewableUseCases: ['claims-qa'] }), [bobTrace]);
      assert.deepEqual(await ids(admin), [aliceTrace, bobTrace].sort());
      assert.deepEqual(await ids(localOperator), [aliceTrace, bobTrace].sort());
      assert.equal(await getTrace(db, bob, aliceTrace), undefined);
      assert.equal(await getTrace(db, reviewer, aliceTrace, { reviewableUseCases: ['claims-qa'] }), undefined);

      // Alice reads her trace. The claims document was retrieved for her but she may not read it now (an ACL
      // change since): it is withheld — title, snippet and id — and so is the answer built from it.
      const own = await getTrace(db, alice, aliceTrace);
      assert.ok(own);
      const retrieve = own.spans.find((span) => span.name === 'retrieve');
      assert.deepEqual(
        retrieve?.retrieved?.map((r) => [r.documentId, r.title, r.restricted, r.snippet]),
        [
          ['doc_uw', 'Underwriting guide', false, 'Flood deductible is 1000 for coastal risks.'],
          ['withheld:document-2', 'withheld: no longer readable', true, undefined],
        ],
      );
      assert.equal(own.answer, null);
      assert.equal(own.answerWithheld, 'restricted');
      assert.equal(JSON.stringify(own).includes('second adjuster'), false);
      assert.equal(JSON.stringify(own).includes('doc_cl'), false);
      assert.equal(JSON.stringify(own).includes('chk_cl'), false);
      // Once every source document is readable to her again, her own answer is back.
      await db.query(`UPDATE documents SET principals = '{group:claims,group:underwriting}' WHERE id = 'doc_cl'`);
      const restored = await getTrace(db, alice, aliceTrace);
      assert.equal(restored?.answer?.includes('deductible'), true, 'her own answer is visible when she may read its sources');
      await db.query(`UPDATE documents SET principals = '{group:claims}' WHERE id = 'doc_cl'`);

      // A reviewer of underwriting-qa in group claims: sees the claims chunk, not the underwriting one, and not
      // the answer built from a document they may not read.
      const reviewed = await getTrace(db, reviewer, aliceTrace, { reviewableUseCases: ['underwriting-qa'] });
      assert.ok(reviewed);
      assert.equal(reviewed.answer, null);
      assert.equal(reviewed.answerWithheld, 'restricted');
      assert.equal(JSON.stringify(reviewed).includes('Flood deductible'), false);
      assert.equal(JSON.stringify(reviewed).includes('Underwriting guide'), false);
      const citations = reviewed.spans.find((span) => span.name === 'answer')?.citations ?? [];
      assert.deepEqual(
        citations.map((c) => c.title),
        [restrictedDocumentTitle, 'Claims manual'],
      );

      // Filters.
      assert.deepEqual(
        (await listTraces(db, localOperator, { useCase: 'claims-qa' })).map((t) => t.id),
        [bobTrace],
      );
      assert.deepEqual(
        (await listTraces(db, localOperator, { user: alice.id })).map((t) => t.id),
        [aliceTrace],
      );
      assert.equal((await listTraces(db, localOperator, { outcome: 'refused' })).length, 0);
      assert.equal((await listTraces(db, localOperator, { since: new Date(Date.now() + 60_000) })).length, 0);
      assert.equal((await listTraces(db, localOperator, { limit: 1 })).length, 1);
    } finally {
      await platform.close();
    }
  });

  test('purge removes traces and spans older than the cut-off', async () => {
    const platform = await createTestPlatform();
    try {
      await simulateAnswer(platform.tracer);
      await platform.observe.recorder.flush();
      await platform.db.query(`UPDATE traces SET started_at = started_at - interval '100 days'`);
      await platform.db.query(`UPDATE spans SET started_at = started_at - interval '100 days'`);
      const recent = await simulateAnswer(platform.tracer);
      await platform.observe.recorder.flush();
      await assert.rejects(
        purgeTraces(platform.db, reviewer, new Date(Date.now() - 90 * 86_400_000)),
        (error: GroundworkError) => error.code === 'auth.forbidden',
        'only admins purge',
      );
      const purged = await purgeTraces(platform.db, localOperator, new Date(Date.now() - 90 * 86_400_000));
      assert.deepEqual(purged, { traces: 1, spans: 5 });
      const audited = await listAudit(platform.db, { action: 'traces.purge' });
      assert.equal(audited.length, 1);
      assert.equal(audited[0]?.actor, localOperator.id);
      assert.deepEqual({ ...(audited[0]?.after as object), olderThan: undefined }, { traces: 1, spans: 5, olderThan: undefined });
      assert.deepEqual(
        (await listTraces(platform.db, localOperator)).map((t) => t.id),
        [recent],
      );
    } finally {
      await platform.close();
    }
  });
});

describe('purge schedule', () => {
  test('runs after its initial delay, then every interval, until stopped; failures are logged, not thrown', async () => {
    const queries: string[] = [];
    const warnings: string[] = [];
    let fail = true;
    const db = {
      async query(text: string) {
        queries.push(text);
        if (fail) {
          fail = false;
          throw new Error('store down');
        }
        return { rows: [], rowCount: 0 };
      },
    };
    const store = { transaction: <T>(work: (tx: typeof db) => Promise<T>): Promise<T> => work(db) };
    const logger = { ...silentLogger, warn: (message: string) => warnings.push(message) };
    const stop = startTracePurgeSchedule({
      db: store as never,
      retentionDays: 30,
      clock: systemClock,
      logger,
      initialDelayMs: 5,
      intervalMs: 10,
    });
    // Wait for three runs (each does up to 2 queries), however loaded the machine is.
    for (let waited = 0; queries.length < 4 && waited < 10_000; waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    stop();
    const runs = queries.length;
    assert.ok(runs >= 3, `ran ${runs} queries`);
    assert.deepEqual(warnings, ['trace purge failed; retrying at the next interval']);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(queries.length, runs, 'stopped');
  });
});
