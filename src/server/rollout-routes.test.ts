/**
 * Phased rollout and the kill switch over HTTP (issue 16 item 3): stages on the answer path (answers and chat
 * completions, streamed or not), a stage expansion as a change request a second person approves (with the
 * criteria and eval gate in its approval context), the kill switch never held by approval, bad input, and the
 * policy rollout.requireCriteriaOnTrack. Both stores.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runGroundwork } from '../../test/helpers/run-cli.ts';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { createCohort } from '../adoption/index.ts';
import { ownershipOfUseCases } from '../answer/index.ts';
import { type Caller, type GroundworkConfigInput, type GroundworkError, localOperator, type Role } from '../core/index.ts';
import type { Platform } from '../create-platform.ts';
import { askThrough } from '../evaluate/index.ts';
import { approveChange, type ChangeRequest, createApiKey, createGovernance, listAudit } from '../govern/index.ts';
import { audienceBucket, registerRolloutChangeKinds, setStage } from '../rollout/index.ts';
import { createApp } from './index.ts';

type Reply = { status: number; body: Record<string, unknown>; text: string };

const code = (reply: Reply) => (reply.body.error as { code?: string } | undefined)?.code;
const message = (reply: Reply) => (reply.body.error as { message?: string } | undefined)?.message;

async function setup(config: GroundworkConfigInput = {}) {
  const platform = await createTestPlatform(config);
  const { app } = createApp(platform, { webRoot: false, authCacheMs: 0 });
  const call = async (token: string, method: string, path: string, body?: unknown, accept?: string): Promise<Reply> => {
    const response = await app.request(`http://127.0.0.1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        ...(accept ? { accept } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      parsed = { raw: text };
    }
    return { status: response.status, body: parsed, text };
  };
  const key = async (principal: string, role: Role, groups: string[] = []) =>
    (
      await createApiKey(
        platform.db,
        { name: `${principal}-${role}`, role, principals: [principal, ...groups] },
        { actor: 'local:operator' },
      )
    ).token;
  await platform.answerer.useCases.create('uw', {
    status: 'general',
    owner: 'user:olive@x.test',
    approvers: ['user:bob@x.test'],
    model: 'extractive',
  });
  await createCohort(platform.db, localOperator, { name: 'pilot', principals: ['group:pilot'] });
  await createCohort(platform.db, localOperator, { name: 'early', principals: ['user:eve@x.test'] });
  return { platform, call, key };
}

/** Every way to ask: answers and chat completions, final and streamed. */
function asks(call: Awaited<ReturnType<typeof setup>>['call'], token: string, useCase = 'uw') {
  const question = 'What is the water damage deductible?';
  return [
    call(token, 'POST', '/v1/answers', { question, useCase }),
    call(token, 'POST', '/v1/answers', { question, useCase, stream: true }),
    call(token, 'POST', '/v1/chat/completions', { model: useCase, messages: [{ role: 'user', content: question }] }),
    call(token, 'POST', '/v1/chat/completions', {
      model: useCase,
      stream: true,
      messages: [{ role: 'user', content: question }],
    }),
  ];
}

async function statuses(call: Awaited<ReturnType<typeof setup>>['call'], token: string): Promise<Reply[]> {
  return Promise.all(asks(call, token));
}

async function eventually(check: () => Promise<boolean>, ms = 5000): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return Date.now() - started;
}

describe(`rollout over HTTP (${testStoreKind})`, () => {
  test('pilot admits named cohorts only; outsiders get 403 rollout.not_available on answers and chat completions (final and streamed)', async () => {
    const { platform, call, key } = await setup();
    try {
      const alice = await key('user:alice@x.test', 'builder');
      const ann = await key('user:ann@x.test', 'user', ['group:pilot']);
      const eve = await key('user:eve@x.test', 'user');
      const carl = await key('user:carl@x.test', 'user', ['group:other']);
      for (const reply of await statuses(call, carl)) assert.equal(reply.status, 200, reply.text);
      // general → pilot narrows: applied at once even though rollout.stage is governed.
      const narrowed = await call(alice, 'PUT', '/v1/use-cases/uw/rollout', { stage: 'pilot', cohorts: ['pilot', 'early'] });
      assert.equal(narrowed.status, 200, narrowed.text);
      assert.equal(narrowed.body.stage, 'pilot');
      assert.deepEqual(narrowed.body.cohorts, ['early', 'pilot']);
      for (const field of [
        'useCase',
        'stage',
        'cohorts',
        'percent',
        'killed',
        'killMessage',
        'killedBy',
        'killedAt',
        'updatedAt',
      ]) {
        assert.ok(field in narrowed.body, field);
      }
      for (const reply of await statuses(call, ann)) assert.equal(reply.status, 200, `group member: ${reply.text}`);
      for (const reply of await statuses(call, eve)) assert.equal(reply.status, 200, `user in cohort: ${reply.text}`);
      for (const reply of await statuses(call, carl)) {
        assert.equal(reply.status, 403, reply.text);
        assert.equal(code(reply), 'rollout.not_available');
        assert.match(message(reply) ?? '', /rolled out gradually/);
      }
      // The stage is the use case's status: one place.
      assert.equal((await call(alice, 'GET', '/v1/use-cases/uw')).body.status, 'pilot');
      // Builders (they build it) and the CLI operator still reach a pilot.
      for (const reply of await statuses(call, alice)) assert.equal(reply.status, 200, reply.text);
      const direct = await platform.answerer.ask({ question: 'deductible?', caller: localOperator, useCase: 'uw' });
      assert.equal(direct.useCase, 'uw');
      // Draft: only the people who build it.
      await call(alice, 'PUT', '/v1/use-cases/uw/rollout', { stage: 'draft' });
      assert.equal(code((await statuses(call, ann))[0] as Reply), 'rollout.not_available');
      assert.equal((await statuses(call, alice))[0]?.status, 200);
    } finally {
      await platform.close();
    }
  });

  test('an expansion is a change request a second person approves (context: criteria, eval gate); limited admits a sticky share', async () => {
    const { platform, call, key } = await setup();
    try {
      const alice = await key('user:alice@x.test', 'builder');
      const bob = await key('user:bob@x.test', 'reviewer');
      assert.equal((await call(alice, 'PUT', '/v1/use-cases/uw/rollout', { stage: 'pilot', cohorts: ['pilot'] })).status, 200);
      const requested = await call(alice, 'PUT', '/v1/use-cases/uw/rollout', { stage: 'limited', percent: 40, reason: 'wider' });
      assert.equal(requested.status, 202, requested.text);
      const change = requested.body.changeRequest as ChangeRequest;
      assert.equal(change.kind, 'rollout.stage');
      assert.match(change.summary, /pilot \[pilot\] → limited \[pilot\] 40%/);
      assert.equal((await call(alice, 'GET', '/v1/use-cases/uw/rollout')).body.stage, 'pilot', 'nothing changed yet');
      const shown = await call(bob, 'GET', `/v1/changes/${change.id}`);
      assert.equal(shown.status, 200, shown.text);
      assert.deepEqual((shown.body.changeRequest as { context: unknown }).context, {
        expansion: true,
        requireCriteriaOnTrack: false,
        criteria: { criteria: [], allOnTrack: false },
        latestEvalGate: null,
      });
      const self = await call(alice, 'POST', `/v1/changes/${change.id}/approve`, {});
      assert.equal(self.status, 403, 'the author does not approve their own expansion');
      const approved = await call(bob, 'POST', `/v1/changes/${change.id}/approve`, {});
      assert.equal(approved.status, 200, approved.text);
      const rollout = await call(alice, 'GET', '/v1/use-cases/uw/rollout');
      assert.equal(rollout.body.stage, 'limited');
      assert.equal(rollout.body.percent, 40);
      // Who is in the 40% is decided by the salted hash of the user id.
      const { rows } = await platform.db.query<{ salt: string }>('SELECT salt FROM rollout_settings WHERE use_case = $1', ['uw']);
      const salt = rows[0]?.salt as string;
      const ids = Array.from({ length: 40 }, (_, i) => `user:u${i}@x.test`);
      const inside = ids.find((id) => audienceBucket(salt, id) < 40) as string;
      const outside = ids.find((id) => audienceBucket(salt, id) >= 40) as string;
      const inToken = await key(inside, 'user');
      const outToken = await key(outside, 'user');
      // The approval's notification reaches this process's cache within milliseconds.
      await eventually(
        async () => (await call(inToken, 'POST', '/v1/answers', { question: 'q?', useCase: 'uw' })).status === 200,
      );
      for (const reply of await statuses(call, outToken)) assert.equal(code(reply), 'rollout.not_available', reply.text);
      // Narrowing the percentage needs no approval; raising it does.
      assert.equal((await call(alice, 'PUT', '/v1/use-cases/uw/rollout', { stage: 'limited', percent: 10 })).status, 200);
      assert.equal((await call(alice, 'PUT', '/v1/use-cases/uw/rollout', { stage: 'limited', percent: 20 })).status, 202);
      assert.equal(
        (await call(alice, 'PUT', '/v1/use-cases/uw/rollout', { stage: 'limited', cohorts: ['pilot', 'early'] })).status,
        202,
        'adding a cohort expands',
      );
      const audit = (await listAudit(platform.db, { limit: 50 })).filter((e) => e.action === 'rollout.stage');
      assert.ok(audit.some((e) => (e.after as { changeRequest?: string }).changeRequest === change.id));
    } finally {
      await platform.close();
    }
  });

  test('the kill switch: never held by approval, stops everyone (admins and the owner too) with the message, audited and flagged emergency', async () => {
    const { platform, call, key } = await setup();
    try {
      const olive = await key('user:olive@x.test', 'user'); // the owner, with a low-privilege key
      const admin = await key('user:ada@x.test', 'admin');
      const carl = await key('user:carl@x.test', 'user');
      const builder = await key('user:alice@x.test', 'builder');
      for (const token of [carl, builder]) {
        const refused = await call(token, 'POST', '/v1/use-cases/uw/kill', { message: 'no' });
        assert.equal(refused.status, 403, refused.text);
        assert.equal(code(refused), 'rollout.forbidden');
      }
      const killed = await call(olive, 'POST', '/v1/use-cases/uw/kill', { message: 'Paused: deductibles are being corrected.' });
      assert.equal(killed.status, 200, killed.text);
      assert.equal(killed.body.killed, true);
      assert.equal(killed.body.killedBy, 'user:olive@x.test');
      assert.equal(killed.body.killMessage, 'Paused: deductibles are being corrected.');
      for (const token of [admin, olive, carl]) {
        for (const reply of await statuses(call, token)) {
          assert.equal(reply.status, 403, reply.text);
          assert.equal(code(reply), 'rollout.not_available');
          assert.equal(message(reply), 'Paused: deductibles are being corrected.');
        }
      }
      await assert.rejects(
        platform.answerer.ask({ question: 'q?', caller: localOperator, useCase: 'uw' }),
        (error: GroundworkError) => error.code === 'rollout.not_available',
      );
      // Evaluation runs still ask (a fix is evaluated while the use case is killed).
      const evaluated = await askThrough(platform.answerer, 'uw')({ question: 'deductible?', caller: localOperator });
      assert.equal(typeof evaluated.answer, 'string');
      const entry = (await listAudit(platform.db, { limit: 20 })).find((e) => e.action === 'rollout.kill');
      assert.equal((entry?.after as { emergency?: boolean } | undefined)?.emergency, true);
      assert.equal(entry?.target, 'usecase:uw');
      const log = await call(admin, 'GET', '/v1/use-cases/uw/changes');
      assert.equal(log.status, 200, log.text);
      const logged = (log.body.entries as Array<{ action: string; emergency?: boolean }>).find(
        (e) => e.action === 'rollout.kill',
      );
      assert.equal(logged?.emergency, true);
      // No change request was filed for it.
      assert.equal((await platform.db.query(`SELECT 1 FROM change_requests WHERE kind LIKE 'rollout%'`)).rows.length, 0);
      const restored = await call(olive, 'POST', '/v1/use-cases/uw/restore');
      assert.equal(restored.status, 200, restored.text);
      assert.equal(restored.body.killed, false);
      for (const reply of await statuses(call, carl)) assert.equal(reply.status, 200, reply.text);
      const restoreEntry = (await listAudit(platform.db, { limit: 20 })).find((e) => e.action === 'rollout.restore');
      assert.equal((restoreEntry?.after as { emergency?: boolean } | undefined)?.emergency, true);
    } finally {
      await platform.close();
    }
  });

  test('bad input: unknown stage lists the stages, unknown cohort names the valid ones, percent outside 0–100 — all 400', async () => {
    const { platform, call, key } = await setup();
    try {
      const alice = await key('user:alice@x.test', 'builder');
      const stage = await call(alice, 'PUT', '/v1/use-cases/uw/rollout', { stage: 'beta' });
      assert.equal(stage.status, 400, stage.text);
      assert.equal(code(stage), 'rollout.unknown_stage');
      assert.match(message(stage) ?? '', /draft, pilot, limited, general, retired/);
      const cohort = await call(alice, 'PUT', '/v1/use-cases/uw/rollout', { stage: 'pilot', cohorts: ['nope'] });
      assert.equal(cohort.status, 400, cohort.text);
      assert.equal(code(cohort), 'rollout.unknown_cohort');
      assert.match(message(cohort) ?? '', /"nope".*valid: early, pilot/);
      for (const percent of [150, -1]) {
        const bad = await call(alice, 'PUT', '/v1/use-cases/uw/rollout', { stage: 'limited', percent });
        assert.equal(bad.status, 400, bad.text);
        assert.equal(code(bad), 'rollout.invalid_percent');
      }
      assert.equal((await call(alice, 'GET', '/v1/use-cases/nope/rollout')).status, 404);
      assert.equal((await call(alice, 'GET', '/v1/use-cases/uw/rollout')).body.stage, 'general', 'nothing changed');
    } finally {
      await platform.close();
    }
  });

  test('policy rollout.requireCriteriaOnTrack: an expansion whose criteria are not all on track is refused at apply and at approval', async () => {
    const platform = await createTestPlatform({ rollout: { requireCriteriaOnTrack: true } });
    try {
      await platform.answerer.useCases.create('uw', { status: 'pilot', approvers: ['user:bob@x.test'] });
      const governance = createGovernance({ policy: platform.config.governance, ownershipOf: ownershipOfUseCases });
      registerRolloutChangeKinds(governance, {
        requireCriteriaOnTrack: true,
        criteriaStatus: async () => ({
          criteria: [{ id: 'c1', metric: 'active30', target: 0.5, direction: 'up', status: 'at_risk', latest: 0.2 }],
          allOnTrack: false,
        }),
      });
      await assert.rejects(
        setStage(governance, platform.db, localOperator, 'uw', { stage: 'general' }),
        (error: GroundworkError) => {
          assert.equal(error.code, 'rollout.criteria_not_on_track');
          assert.match(error.message, /active30 at_risk/);
          return true;
        },
      );
      const alice: Caller = {
        id: 'user:alice@x.test',
        role: 'builder',
        principals: ['user:alice@x.test'],
        seesEverything: false,
      };
      const bob: Caller = { id: 'user:bob@x.test', role: 'reviewer', principals: ['user:bob@x.test'], seesEverything: false };
      const pending = await setStage(governance, platform.db, alice, 'uw', { stage: 'general' });
      assert.equal(pending.status, 'pending');
      const id = (pending as { changeRequest: ChangeRequest }).changeRequest.id;
      await assert.rejects(approveChange(governance, platform.db, bob, id), { code: 'rollout.criteria_not_on_track' });
      // Narrowing is never refused by the policy.
      assert.equal((await setStage(governance, platform.db, alice, 'uw', { stage: 'draft' })).status, 'applied');
      // The platform's own registration reads adoption's criteria: a use case without any has nothing on
      // track, so the policy refuses the expansion and says to define success first.
      await assert.rejects(
        setStage(platform.governance, platform.db, localOperator, 'uw', { stage: 'general' }),
        (error: GroundworkError) => {
          assert.equal(error.code, 'rollout.criteria_not_on_track');
          assert.match(error.message, /no success criteria/);
          assert.match(error.fix ?? '', /use-cases criteria add uw/);
          return true;
        },
      );
    } finally {
      await platform.close();
    }
  });
});

describe('groundwork rollout (CLI process)', () => {
  test('show, set-stage with --cohort (repeatable and comma list) and --percent, kill --message, restore; bad input exits 2', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'gw-rollout-cli-'));
    const run = (...args: string[]) => runGroundwork([...args, '--data-dir', join(cwd, 'data')], { cwd });
    assert.equal((await run('cohorts', 'create', 'pilot', '--principals', 'group:pilot')).code, 0);
    assert.equal((await run('cohorts', 'create', 'early', '--principals', 'user:eve@x.test')).code, 0);
    const shown = await run('rollout', 'show', 'default', '--json');
    assert.equal(shown.code, 0, shown.stderr);
    assert.equal(JSON.parse(shown.stdout).stage, 'general', 'use cases that answered before (default) are general');
    const set = await run(
      'rollout',
      'set-stage',
      'default',
      'limited',
      '--cohort',
      'pilot',
      '--cohort',
      'early',
      '--percent',
      '25',
      '--json',
    );
    assert.equal(set.code, 0, set.stderr);
    assert.deepEqual((({ stage, cohorts, percent }) => ({ stage, cohorts, percent }))(JSON.parse(set.stdout)), {
      stage: 'limited',
      cohorts: ['early', 'pilot'],
      percent: 25,
    });
    const comma = await run('rollout', 'set-stage', 'default', 'pilot', '--cohort', 'pilot,early', '--json');
    assert.equal(JSON.parse(comma.stdout).stage, 'pilot');
    const killed = await run('rollout', 'kill', 'default', '--message', 'Back at 3pm.', '--json');
    assert.equal(killed.code, 0, killed.stderr);
    assert.equal(JSON.parse(killed.stdout).killMessage, 'Back at 3pm.');
    assert.match((await run('rollout', 'show', 'default')).stdout, /KILLED by local:operator .*Back at 3pm\./);
    const ask = await run('ask', 'what is the deductible?', '--json');
    assert.notEqual(ask.code, 0);
    assert.match(ask.stdout + ask.stderr, /rollout\.not_available|Back at 3pm/);
    assert.equal(JSON.parse((await run('rollout', 'restore', 'default', '--json')).stdout).killed, false);
    const badStage = await run('rollout', 'set-stage', 'default', 'beta', '--json');
    assert.equal(badStage.code, 2);
    assert.equal(JSON.parse(badStage.stdout).error.code, 'rollout.unknown_stage');
    const badPercent = await run('rollout', 'set-stage', 'default', 'limited', '--percent', '101', '--json');
    assert.equal(badPercent.code, 2);
    const badCohort = await run('rollout', 'set-stage', 'default', 'pilot', '--cohort', 'nope', '--json');
    assert.equal(badCohort.code, 2);
    assert.match(JSON.parse(badCohort.stdout).error.message, /valid: early, pilot/);
  });
});

export type { Platform };
