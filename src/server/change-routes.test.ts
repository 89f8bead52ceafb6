import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { saveUseCase } from '../answer/index.ts';
import { type GroundworkConfigInput, localOperator, type Role } from '../core/index.ts';
import type { Platform } from '../create-platform.ts';
import { type ChangeRequest, createApiKey, getApiKey, listAudit, verifyAuditChain } from '../govern/index.ts';
import { createPrompt, requestLabelMove } from '../prompts/index.ts';
import { createApp } from './index.ts';

const template = 'Answer from the context.\n{{context}}\nQuestion: {{question}}';

/** Keys for people; `by` = the identity that created the key (default the local operator). */
async function keyFor(platform: Platform, person: string, role: Role, by = 'local:operator'): Promise<string> {
  const principals = person.startsWith('service') ? [] : [`user:${person}@x.test`];
  return (await createApiKey(platform.db, { name: `${person}-${role}`, role, principals }, { actor: by })).token;
}

async function setup(config: GroundworkConfigInput = {}) {
  const platform = await createTestPlatform(config);
  const { app } = createApp(platform, { webRoot: false, authCacheMs: 0 });
  const call = async (token: string, method: string, path: string, body?: unknown) => {
    const response = await app.request(`http://127.0.0.1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown>, text };
  };
  await createPrompt(platform.db, { name: 'qa', template, message: 'v1', labels: ['production'], author: 'local:operator' });
  await createPrompt(platform.db, { name: 'qa', template: `${template}\nBe brief.`, message: 'v2', author: 'local:operator' });
  return { platform, call };
}

const production = async (platform: Platform) =>
  Number(
    (await platform.db.query<{ version: number }>(`SELECT version FROM prompt_labels WHERE name = 'qa' AND label = 'production'`))
      .rows[0]?.version,
  );

describe(`change requests over HTTP (${testStoreKind})`, () => {
  test('alice requests a production label move (202), bob approves → applied; the audit chain has every step', async () => {
    const { platform, call } = await setup();
    try {
      const alice = await keyFor(platform, 'alice', 'builder');
      const bob = await keyFor(platform, 'bob', 'admin');
      const requested = await call(alice, 'POST', '/v1/prompts/qa/labels', { label: 'production', version: 2, reason: 'brief' });
      assert.equal(requested.status, 202, requested.text);
      const change = requested.body.changeRequest as ChangeRequest;
      assert.equal(change.status, 'pending');
      assert.equal(change.kind, 'prompt.label');
      assert.equal(change.target, 'qa:production');
      assert.deepEqual(change.before, { version: 1 });
      assert.deepEqual(change.after, { version: 2 });
      assert.equal(change.author, 'user:alice@x.test');
      assert.match(change.contentHash, /^[0-9a-f]{64}$/);
      assert.equal(await production(platform), 1, 'nothing changed yet');
      // An unprotected label moves at once.
      assert.equal((await call(alice, 'POST', '/v1/prompts/qa/labels', { label: 'staging', version: 2 })).status, 200);

      const listed = await call(bob, 'GET', '/v1/changes?status=pending');
      assert.equal(listed.status, 200, listed.text);
      assert.deepEqual(
        (listed.body.changes as ChangeRequest[]).map((c) => c.id),
        [change.id],
      );
      const approved = await call(bob, 'POST', `/v1/changes/${change.id}/approve`, { comment: 'looks right' });
      assert.equal(approved.status, 200, approved.text);
      const after = approved.body.changeRequest as ChangeRequest;
      assert.equal(after.status, 'applied');
      assert.deepEqual(
        after.approvals.map((a) => [a.actor, a.comment]),
        [['user:bob@x.test', 'looks right']],
      );
      assert.equal(await production(platform), 2);
      const again = await call(bob, 'POST', `/v1/changes/${change.id}/approve`, {});
      assert.equal(again.status, 409);

      const actions = (await listAudit(platform.db, { limit: 50 })).map((e) => e.action).reverse();
      for (const action of ['change.request', 'change.approve', 'prompt.label_move', 'change.apply']) {
        assert.ok(actions.includes(action), `${action} in ${actions.join(', ')}`);
      }
      assert.equal((await verifyAuditChain(platform.db)).ok, true);
    } finally {
      await platform.close();
    }
  });

  test('nobody approves their own change: not as admin, not with a second key, not with a key they created', async () => {
    const { platform, call } = await setup();
    try {
      const alice = await keyFor(platform, 'alice', 'admin');
      const aliceLaptop = await keyFor(platform, 'alice', 'admin');
      // Keys alice minted: for a colleague's principal, and a service key (no person); both count as alice.
      const mintedForMallory = await keyFor(platform, 'mallory', 'admin', 'user:alice@x.test');
      const mintedService = await keyFor(platform, 'service-bot', 'admin', 'user:alice@x.test');
      // Carol's key was minted by alice too: carol and alice cannot approve each other's changes.
      const carol = await keyFor(platform, 'carol', 'admin', 'user:alice@x.test');
      const bob = await keyFor(platform, 'bob', 'admin');
      const requested = await call(alice, 'POST', '/v1/prompts/qa/labels', { label: 'production', version: 2 });
      assert.equal(requested.status, 202, requested.text);
      const id = (requested.body.changeRequest as ChangeRequest).id;
      for (const [who, token] of [
        ['alice', alice],
        ['alice laptop', aliceLaptop],
        ['key alice minted for mallory', mintedForMallory],
        ['service key alice minted', mintedService],
      ] as const) {
        const refused = await call(token, 'POST', `/v1/changes/${id}/approve`, {});
        assert.equal(refused.status, 403, `${who}: ${refused.text}`);
        assert.equal((refused.body.error as { code: string }).code, 'govern.self_approval', who);
      }
      assert.equal(await production(platform), 1);
      // Carol's key too: alice minted it, so she could hold its token.
      const byCarol = await call(carol, 'POST', `/v1/changes/${id}/approve`, {});
      assert.equal((byCarol.body.error as { code: string }).code, 'govern.self_approval', 'a key the author minted');
      const byBob = await call(bob, 'POST', `/v1/changes/${id}/approve`, {});
      assert.equal(byBob.status, 200, byBob.text);
      assert.equal(await production(platform), 2);

      const carolAsks = await call(carol, 'POST', '/v1/prompts/qa/rollback', { label: 'production' });
      assert.equal(carolAsks.status, 202, carolAsks.text);
      const carolsId = (carolAsks.body.changeRequest as ChangeRequest).id;
      const byMinter = await call(alice, 'POST', `/v1/changes/${carolsId}/approve`, {});
      assert.equal((byMinter.body.error as { code: string }).code, 'govern.self_approval', 'the minter of the author’s key');
      assert.equal((await call(bob, 'POST', `/v1/changes/${carolsId}/approve`, {})).status, 200);
      assert.equal(await production(platform), 1, 'rolled back');
    } finally {
      await platform.close();
    }
  });

  test('a stale request (target changed) cannot be applied: 409 govern.change_stale; unknown ids 404', async () => {
    const { platform, call } = await setup();
    try {
      const alice = await keyFor(platform, 'alice', 'builder');
      const bob = await keyFor(platform, 'bob', 'admin');
      await createPrompt(platform.db, { name: 'qa', template: `${template}\nv3`, message: 'v3', author: 'local:operator' });
      const requested = await call(alice, 'POST', '/v1/prompts/qa/labels', { label: 'production', version: 2 });
      const id = (requested.body.changeRequest as ChangeRequest).id;
      // The trusted local operator moves the label meanwhile (applied directly, flagged as such).
      await requestLabelMove(platform.governance, platform.db, localOperator, {
        kind: 'prompt',
        name: 'qa',
        label: 'production',
        version: 3,
      });
      assert.equal(await production(platform), 3);
      const stale = await call(bob, 'POST', `/v1/changes/${id}/approve`, {});
      assert.equal(stale.status, 409, stale.text);
      assert.equal((stale.body.error as { code: string }).code, 'govern.change_stale');
      const after = (await call(bob, 'GET', `/v1/changes/${id}`)).body.changeRequest as ChangeRequest;
      assert.equal(after.status, 'expired');
      assert.match(after.staleReason ?? '', /target changed/);
      assert.equal(await production(platform), 3, 'not applied');
      assert.equal((await call(bob, 'POST', `/v1/changes/${id}/approve`, {})).status, 409, 'cannot be approved later');
      assert.equal((await call(bob, 'GET', '/v1/changes/chg_doesnotexist')).status, 404);
      assert.equal((await call(bob, 'POST', '/v1/changes/chg_doesnotexist/approve', {})).status, 404);
      assert.equal((await call(bob, 'GET', '/v1/changes/not-an-id')).status, 400);
      const actions = (await listAudit(platform.db, { limit: 100 })).map((e) => e.action);
      assert.ok(actions.includes('change.stale'));
      assert.ok(actions.includes('change.direct'), 'the operator’s direct change is flagged');
    } finally {
      await platform.close();
    }
  });

  test('expired, withdrawn and rejected requests cannot be approved; only the author withdraws', async () => {
    const { platform, call } = await setup({ governance: { requestTtlHours: 0.0002 } });
    try {
      const alice = await keyFor(platform, 'alice', 'builder');
      const bob = await keyFor(platform, 'bob', 'admin');
      const request = async () =>
        (
          (await call(alice, 'POST', '/v1/prompts/qa/labels', { label: 'production', version: 2 })).body
            .changeRequest as ChangeRequest
        ).id;
      const expiring = await request();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const expired = await call(bob, 'POST', `/v1/changes/${expiring}/approve`, {});
      assert.equal(expired.status, 409, expired.text);
      assert.equal((expired.body.error as { code: string }).code, 'govern.change_expired');
      assert.equal(((await call(bob, 'GET', `/v1/changes/${expiring}`)).body.changeRequest as ChangeRequest).status, 'expired');
      assert.ok((await listAudit(platform.db, { action: 'change.expire' })).length >= 1);
    } finally {
      await platform.close();
    }
    const second = await setup();
    try {
      const alice = await keyFor(second.platform, 'alice', 'builder');
      const bob = await keyFor(second.platform, 'bob', 'admin');
      const request = async () =>
        (
          (await second.call(alice, 'POST', '/v1/prompts/qa/labels', { label: 'production', version: 2 })).body
            .changeRequest as ChangeRequest
        ).id;
      const withdrawn = await request();
      const notAuthor = await second.call(bob, 'POST', `/v1/changes/${withdrawn}/withdraw`, {});
      assert.equal((notAuthor.body.error as { code: string }).code, 'govern.not_the_author');
      const byAlice = await second.call(alice, 'POST', `/v1/changes/${withdrawn}/withdraw`, { comment: 'not yet' });
      assert.equal(byAlice.status, 200, byAlice.text);
      assert.equal((byAlice.body.changeRequest as ChangeRequest).status, 'withdrawn');
      assert.equal((await second.call(bob, 'POST', `/v1/changes/${withdrawn}/approve`, {})).status, 409);

      const rejected = await request();
      const rejection = await second.call(bob, 'POST', `/v1/changes/${rejected}/reject`, { comment: 'eval first' });
      assert.equal(rejection.status, 200, rejection.text);
      const after = rejection.body.changeRequest as ChangeRequest;
      assert.equal(after.status, 'rejected');
      assert.deepEqual(
        after.rejections.map((r) => [r.actor, r.comment]),
        [['user:bob@x.test', 'eval first']],
      );
      assert.equal((await second.call(bob, 'POST', `/v1/changes/${rejected}/approve`, {})).status, 409);
      assert.equal(await production(second.platform), 1);
      const list = (await second.call(bob, 'GET', '/v1/changes?status=rejected')).body.changes as ChangeRequest[];
      assert.deepEqual(
        list.map((c) => c.id),
        [rejected],
      );
      const actions = (await listAudit(second.platform.db, { limit: 100 })).map((e) => e.action);
      for (const action of ['change.withdraw', 'change.reject']) assert.ok(actions.includes(action), action);
      assert.equal((await verifyAuditChain(second.platform.db)).ok, true);
    } finally {
      await second.platform.close();
    }
  });

  test('two required approvals need two distinct people', async () => {
    const { platform, call } = await setup({ governance: { requiredApprovals: 2 } });
    try {
      const alice = await keyFor(platform, 'alice', 'builder');
      const bob = await keyFor(platform, 'bob', 'admin');
      const bobAgain = await keyFor(platform, 'bob', 'admin');
      const carol = await keyFor(platform, 'carol', 'admin');
      const id = (
        (await call(alice, 'POST', '/v1/prompts/qa/labels', { label: 'production', version: 2 })).body
          .changeRequest as ChangeRequest
      ).id;
      const first = await call(bob, 'POST', `/v1/changes/${id}/approve`, {});
      assert.equal((first.body.changeRequest as ChangeRequest).status, 'pending');
      assert.equal(await production(platform), 1);
      const twice = await call(bobAgain, 'POST', `/v1/changes/${id}/approve`, {});
      assert.equal(twice.status, 409);
      assert.equal((twice.body.error as { code: string }).code, 'govern.already_approved');
      const second = await call(carol, 'POST', `/v1/changes/${id}/approve`, {});
      assert.equal((second.body.changeRequest as ChangeRequest).status, 'applied');
      assert.equal(await production(platform), 2);
    } finally {
      await platform.close();
    }
  });

  test('a use case can require more approvers than the policy for changes that affect it', async () => {
    const { platform, call } = await setup();
    try {
      await saveUseCase(platform.governance, platform.db, localOperator, 'claims', {
        promptRef: 'qa',
        status: 'general',
        requiredApprovals: 2,
      });
      const alice = await keyFor(platform, 'alice', 'builder');
      const bob = await keyFor(platform, 'bob', 'admin');
      const carol = await keyFor(platform, 'carol', 'admin');
      const change = (await call(alice, 'POST', '/v1/prompts/qa/labels', { label: 'production', version: 2 })).body
        .changeRequest as ChangeRequest;
      assert.equal(change.requiredApprovals, 2);
      assert.equal(
        ((await call(bob, 'POST', `/v1/changes/${change.id}/approve`, {})).body.changeRequest as ChangeRequest).status,
        'pending',
      );
      assert.equal(
        ((await call(carol, 'POST', `/v1/changes/${change.id}/approve`, {})).body.changeRequest as ChangeRequest).status,
        'applied',
      );
      const shown = (await call(bob, 'GET', '/v1/use-cases/claims')).body;
      assert.equal(shown.requiredApprovals, 2);
      assert.equal(shown.status, 'general');
      // A use case restricted to a group: its change requests are hidden from others (404, not listed).
      await saveUseCase(platform.governance, platform.db, localOperator, 'secret', {
        status: 'general',
        principals: ['group:legal'],
        prompt: 'Confidential instructions.',
      });
      const pending = await call(alice, 'PUT', '/v1/use-cases/secret', { prompt: 'New confidential instructions.' });
      assert.equal(pending.status, 202, pending.text);
      const id = (pending.body.changeRequest as ChangeRequest).id;
      const rita = await keyFor(platform, 'rita', 'reviewer');
      const seen = await call(rita, 'GET', `/v1/changes/${id}`);
      assert.equal(seen.status, 404, seen.text);
      const listed = JSON.stringify(await call(rita, 'GET', '/v1/changes'));
      assert.ok(!listed.includes('onfidential') && !listed.includes(id));
      // Its author still sees it (alice may not use it either).
      assert.equal((await call(alice, 'GET', `/v1/changes/${id}`)).status, 200);
      const byAdmin = (await call(bob, 'GET', `/v1/changes/${id}`)).body.changeRequest as ChangeRequest;
      assert.equal((byAdmin.after as { prompt: string }).prompt, 'New confidential instructions.');
    } finally {
      await platform.close();
    }
  });

  test('concurrent approvals apply a change exactly once', async () => {
    const { platform, call } = await setup();
    try {
      const alice = await keyFor(platform, 'alice', 'builder');
      const approvers = await Promise.all(['bob', 'carol', 'dave'].map((name) => keyFor(platform, name, 'admin')));
      const id = (
        (await call(alice, 'POST', '/v1/prompts/qa/labels', { label: 'production', version: 2 })).body
          .changeRequest as ChangeRequest
      ).id;
      const results = await Promise.all(approvers.map((token) => call(token, 'POST', `/v1/changes/${id}/approve`, {})));
      assert.deepEqual(results.map((r) => r.status).sort(), [200, 409, 409], results.map((r) => r.text).join('\n'));
      const moves = await platform.db.query(
        `SELECT 1 FROM prompt_events WHERE name = 'qa' AND action = 'label' AND to_version = 2`,
      );
      assert.equal(moves.rowCount, 1);
      assert.equal((await listAudit(platform.db, { action: 'change.apply' })).length, 1);
    } finally {
      await platform.close();
    }
  });

  test('the eval-run gate: a production label request needs a finished, passing evaluation run', async () => {
    const { platform, call } = await setup({ governance: { requireEvalRunFor: ['prompt.label'] } });
    try {
      const alice = await keyFor(platform, 'alice', 'builder');
      await platform.db.query(
        `INSERT INTO eval_datasets (id, name, version, origin, case_count, created_by) VALUES ('ds_1', 'gold', 1, 'jsonl', 1, 'x')`,
      );
      for (const [id, status, promptVersion] of [
        ['run_ok', 'succeeded', 'qa@2'],
        ['run_bad', 'failed', 'qa@2'],
        ['run_of_v1', 'succeeded', 'qa@1'],
        ['run_retrieval', 'succeeded', null],
      ]) {
        await platform.db.query(
          `INSERT INTO eval_runs (id, dataset_id, status, mode, config, index_state, created_by)
           VALUES ($1, 'ds_1', $2, 'answer', jsonb_build_object('promptVersion', $3::text), '{}', 'x')`,
          [id, status, promptVersion],
        );
      }
      const missing = await call(alice, 'POST', '/v1/prompts/qa/labels', { label: 'production', version: 2 });
      assert.equal(missing.status, 400, missing.text);
      assert.equal((missing.body.error as { code: string }).code, 'govern.eval_run_required');
      const unknown = await call(alice, 'POST', '/v1/prompts/qa/labels', {
        label: 'production',
        version: 2,
        evalRunId: 'run_nope',
      });
      assert.equal((unknown.body.error as { code: string }).code, 'govern.eval_run_not_found');
      const failed = await call(alice, 'POST', '/v1/prompts/qa/labels', {
        label: 'production',
        version: 2,
        evalRunId: 'run_bad',
      });
      assert.equal(failed.status, 409);
      assert.equal((failed.body.error as { code: string }).code, 'govern.eval_run_failed');
      // A run that finished but failed its gates (recorded by runGatedEvaluation) does not count either.
      await platform.db.query(
        `INSERT INTO eval_runs (id, dataset_id, status, mode, config, index_state, created_by, gates, gates_passed)
         VALUES ('run_gated_out', 'ds_1', 'succeeded', 'answer', '{}', '{}', 'x', '{"gates": []}', false)`,
      );
      const gatedOut = await call(alice, 'POST', '/v1/prompts/qa/labels', {
        label: 'production',
        version: 2,
        evalRunId: 'run_gated_out',
      });
      assert.equal(gatedOut.status, 409, gatedOut.text);
      assert.match(gatedOut.text, /failed its gates/);
      // A passing run of another version (the one in production now), or of retrieval alone, is no evidence
      // for moving the label to version 2.
      for (const runId of ['run_of_v1', 'run_retrieval']) {
        const other = await call(alice, 'POST', '/v1/prompts/qa/labels', { label: 'production', version: 2, evalRunId: runId });
        assert.equal(other.status, 409, other.text);
        assert.equal((other.body.error as { code: string }).code, 'govern.eval_run_mismatch');
        assert.match(other.text, runId === 'run_of_v1' ? /evaluated prompt qa@1, not qa@2/ : /no versioned prompt/);
        assert.match(other.text, /--prompt-version 2/);
      }
      const passed = await call(alice, 'POST', '/v1/prompts/qa/labels', { label: 'production', version: 2, evalRunId: 'run_ok' });
      assert.equal(passed.status, 202, passed.text);
      assert.equal((passed.body.changeRequest as ChangeRequest).evalRunId, 'run_ok');
      // Unprotected labels need no run.
      assert.equal((await call(alice, 'POST', '/v1/prompts/qa/labels', { label: 'staging', version: 2 })).status, 200);
    } finally {
      await platform.close();
    }
  });

  test('an emergency rollback applies at once, flagged, and awaits a retrospective approval by someone else', async () => {
    const { platform, call } = await setup();
    try {
      const bob = await keyFor(platform, 'bob', 'admin');
      const aliceToken = await keyFor(platform, 'alice', 'builder');
      await call(aliceToken, 'GET', '/v1/me');
      const aliceCaller = {
        id: 'user:alice@x.test',
        role: 'builder' as const,
        principals: ['user:alice@x.test'],
        seesEverything: false,
      };
      await requestLabelMove(platform.governance, platform.db, localOperator, {
        kind: 'prompt',
        name: 'qa',
        label: 'production',
        version: 2,
      });
      const outcome = await requestLabelMove(platform.governance, platform.db, aliceCaller, {
        kind: 'prompt',
        name: 'qa',
        label: 'production',
        rollback: true,
        emergency: true,
        reason: 'incident: wrong answers',
      });
      assert.equal(outcome.status, 'applied');
      assert.equal(await production(platform), 1, 'applied at once');
      const change = outcome.changeRequest as ChangeRequest;
      assert.equal(change.emergency, true);
      assert.equal(change.status, 'applied');
      assert.equal(change.awaitingRetrospective, true);
      const waiting = (await call(bob, 'GET', '/v1/changes?status=pending-retrospective')).body.changes as ChangeRequest[];
      assert.deepEqual(
        waiting.map((c) => c.id),
        [change.id],
      );
      const own = await call(aliceToken, 'POST', `/v1/changes/${change.id}/approve`, {});
      assert.equal(own.status, 403, 'alice is a builder and the author');
      const retro = await call(bob, 'POST', `/v1/changes/${change.id}/approve`, { comment: 'right call' });
      assert.equal(retro.status, 200, retro.text);
      const after = retro.body.changeRequest as ChangeRequest;
      assert.equal(after.awaitingRetrospective, false);
      assert.equal(after.status, 'applied');
      assert.equal(await production(platform), 1, 'not applied twice');
      assert.equal(((await call(bob, 'GET', '/v1/changes?status=pending-retrospective')).body.changes as unknown[]).length, 0);
      const actions = (await listAudit(platform.db, { limit: 100 })).map((e) => e.action);
      assert.ok(actions.includes('change.emergency'));
    } finally {
      await platform.close();
    }
  });

  test('attacks with low-privilege keys: viewers cannot list or approve; a builder not listed cannot approve; a listed approver can', async () => {
    const { platform, call } = await setup();
    try {
      const alice = await keyFor(platform, 'alice', 'builder');
      const viewer = await keyFor(platform, 'vic', 'viewer');
      const user = await keyFor(platform, 'ursula', 'user');
      const builder = await keyFor(platform, 'ben', 'builder');
      const reviewer = await keyFor(platform, 'rita', 'reviewer');
      // A production use case fed by the prompt, with rita as its approver (set by the operator).
      const admin = await keyFor(platform, 'root', 'admin');
      const created = await saveUseCase(platform.governance, platform.db, localOperator, 'claims', {
        promptRef: 'qa',
        approvers: ['user:rita@x.test'],
        status: 'general',
        requiredApprovals: 1,
      });
      assert.equal(created.status, 'applied');
      // Mallory, a builder, points a draft use case at the same prompt and lists herself: drafts do not count.
      const mallory = await keyFor(platform, 'mallory', 'builder');
      const draft = await call(mallory, 'PUT', '/v1/use-cases/mine', { promptRef: 'qa', approvers: ['user:mallory@x.test'] });
      assert.equal(draft.status, 200, draft.text);
      const requested = await call(alice, 'POST', '/v1/prompts/qa/labels', { label: 'production', version: 2 });
      const change = requested.body.changeRequest as ChangeRequest;
      assert.deepEqual(change.useCases, ['claims', 'mine']);
      assert.deepEqual(change.eligibleApprovers, ['role:admin', 'user:rita@x.test']);
      const byMallory = await call(mallory, 'POST', `/v1/changes/${change.id}/approve`, {});
      assert.equal(byMallory.status, 403, byMallory.text);
      assert.equal((byMallory.body.error as { code: string }).code, 'govern.not_an_approver');
      for (const token of [viewer, user]) {
        assert.equal((await call(token, 'GET', '/v1/changes')).status, 403);
        assert.equal((await call(token, 'GET', `/v1/changes/${change.id}`)).status, 403);
        const approve = await call(token, 'POST', `/v1/changes/${change.id}/approve`, {});
        assert.equal(approve.status, 403);
        assert.equal((approve.body.error as { code: string }).code, 'auth.forbidden');
        assert.equal((await call(token, 'POST', `/v1/changes/${change.id}/reject`, {})).status, 403);
      }
      const notListed = await call(builder, 'POST', `/v1/changes/${change.id}/approve`, {});
      assert.equal(notListed.status, 403);
      assert.equal((notListed.body.error as { code: string }).code, 'govern.not_an_approver');
      assert.match((notListed.body.error as { fix: string }).fix, /user:rita@x\.test/);
      assert.equal((await call(builder, 'POST', `/v1/changes/${change.id}/reject`, {})).status, 403);
      // Randomized ids: never a 5xx, never someone else's request.
      for (let i = 0; i < 20; i++) {
        const junk = `chg_${Math.random().toString(36).slice(2)}`;
        const response = await call(builder, 'POST', `/v1/changes/${junk}/approve`, {});
        assert.ok([400, 403, 404].includes(response.status), `${junk}: ${response.status}`);
      }
      assert.equal(await production(platform), 1);
      const byRita = await call(reviewer, 'POST', `/v1/changes/${change.id}/approve`, {});
      assert.equal(byRita.status, 200, byRita.text);
      assert.equal(await production(platform), 2);
      // Changing the approvers of a production use case is itself governed.
      const listed = await call(admin, 'PUT', '/v1/use-cases/claims', { approvers: ['user:alice@x.test'] });
      assert.equal(listed.status, 202, listed.text);
      const again = await call(alice, 'POST', '/v1/prompts/qa/rollback', { label: 'production' });
      const own = await call(alice, 'POST', `/v1/changes/${(again.body.changeRequest as ChangeRequest).id}/approve`, {});
      assert.equal(own.status, 403);
    } finally {
      await platform.close();
    }
  });

  test('governed kinds end to end: use case past draft, budget raise, admin key grant, source add', async () => {
    const { platform, call } = await setup({ sources: { allowedRoots: [realpathSync(tmpdir())] } });
    try {
      const alice = await keyFor(platform, 'alice', 'admin');
      const bob = await keyFor(platform, 'bob', 'admin');
      const approve = async (response: { status: number; body: Record<string, unknown>; text: string }) => {
        assert.equal(response.status, 202, response.text);
        const id = (response.body.changeRequest as ChangeRequest).id;
        const approved = await call(bob, 'POST', `/v1/changes/${id}/approve`, {});
        assert.equal(approved.status, 200, approved.text);
        assert.equal((approved.body.changeRequest as ChangeRequest).status, 'applied');
        return approved.body.changeRequest as ChangeRequest;
      };
      // Use cases: a draft changes at once; leaving draft and changing a pilot need approval.
      assert.equal((await call(alice, 'PUT', '/v1/use-cases/uw', { description: 'draft' })).status, 200);
      await approve(
        await call(alice, 'PUT', '/v1/use-cases/uw', { status: 'pilot', owner: 'user:alice@x.test', onCall: 'user:bob@x.test' }),
      );
      const shown = (await call(alice, 'GET', '/v1/use-cases/uw')).body;
      assert.equal(shown.status, 'pilot');
      assert.equal(shown.owner, 'user:alice@x.test');
      assert.equal(shown.onCall, 'user:bob@x.test');
      const pendingUpdate = await call(alice, 'PUT', '/v1/use-cases/uw', { description: 'changed' });
      assert.equal(pendingUpdate.status, 202);
      assert.equal((await call(alice, 'GET', '/v1/use-cases/uw')).body.description, 'draft', 'held');
      await approve(pendingUpdate);
      assert.equal((await call(alice, 'GET', '/v1/use-cases/uw')).body.description, 'changed');
      await approve(await call(alice, 'DELETE', '/v1/use-cases/uw'));
      assert.equal((await call(alice, 'GET', '/v1/use-cases/uw')).status, 404);

      // Budgets: setting and lowering apply at once; raising or removing needs approval.
      assert.equal((await call(alice, 'PUT', '/v1/budgets/default', { dailyUsd: 10 })).status, 200);
      assert.equal((await call(alice, 'PUT', '/v1/budgets/default', { dailyUsd: 5 })).status, 200);
      const raise = await call(alice, 'PUT', '/v1/budgets/default', { dailyUsd: 50, reason: 'launch' });
      const raised = await approve(raise);
      assert.deepEqual(raised.before, { dailyUsd: 5, monthlyUsd: null, warnRatio: 0.8, block: false });
      assert.equal((raised.result as { dailyUsd: number }).dailyUsd, 50);
      await approve(await call(alice, 'DELETE', '/v1/budgets/default'));

      // Keys: an admin key is created pending and works only after approval by another admin.
      const granted = await call(alice, 'POST', '/v1/keys', { name: 'ops', role: 'admin', principals: ['user:olga@x.test'] });
      assert.equal(granted.status, 202, granted.text);
      const token = granted.body.token as string;
      assert.equal((granted.body.key as { status: string }).status, 'pending');
      assert.equal((await call(token, 'GET', '/v1/me')).status, 401, 'not before approval');
      const grant = await approve(granted);
      assert.equal((await getApiKey(platform.db, grant.target))?.status, 'active');
      assert.equal((await call(token, 'GET', '/v1/me')).status, 200);
      // Sources: adding one and changing its ACL map need approval; reviewers see no server paths.
      const folder = mkdtempSync(join(realpathSync(tmpdir()), 'gw-changes-src-'));
      writeFileSync(join(folder, 'acl.json'), JSON.stringify({ default: ['group:staff'], rules: [] }));
      try {
        const added = await call(alice, 'POST', '/v1/sources', { name: 'handbook', path: folder });
        assert.equal(added.status, 202, added.text);
        const reviewer = await keyFor(platform, 'rita', 'reviewer');
        const seen = (await call(reviewer, 'GET', `/v1/changes/${(added.body.changeRequest as ChangeRequest).id}`)).body
          .changeRequest as ChangeRequest;
        assert.deepEqual(seen.after, { withheld: true });
        assert.ok(!JSON.stringify(seen).includes(folder), 'no server path for a reviewer');
        const applied = await approve(added);
        assert.equal((applied.result as { path: string }).path, folder);
        const acl = await call(alice, 'PATCH', '/v1/sources/handbook', { aclMapPath: join(folder, 'acl.json') });
        const aclApplied = await approve(acl);
        assert.deepEqual((aclApplied.after as { aclMap: { default: string[] } }).aclMap.default, ['group:staff']);
        await approve(await call(alice, 'DELETE', '/v1/sources/handbook'));
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }

      // A rejected grant revokes the pending key.
      const refused = await call(alice, 'POST', '/v1/keys', { name: 'ops2', role: 'builder', principals: ['user:otto@x.test'] });
      assert.equal(refused.status, 202, refused.text);
      const refusedKey = (refused.body.key as { id: string }).id;
      const rejection = await call(bob, 'POST', `/v1/changes/${(refused.body.changeRequest as ChangeRequest).id}/reject`, {});
      assert.equal(rejection.status, 200, rejection.text);
      assert.equal((await getApiKey(platform.db, refusedKey))?.status, 'revoked');
      assert.equal((await call(refused.body.token as string, 'GET', '/v1/me')).status, 401);

      // A user key needs no approval.
      assert.equal(
        (await call(alice, 'POST', '/v1/keys', { name: 'u', role: 'user', principals: ['user:u@x.test'] })).status,
        201,
      );
    } finally {
      await platform.close();
    }
  });
});
