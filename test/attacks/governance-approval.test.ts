/**
 * Attack tests on the four-eyes change requests (issue 15): an insider with an admin or builder key who
 * wants a change applied without a second person, races, and bypasses of the governed write path.
 * Runs on the embedded store and, with GROUNDWORK_TEST_DATABASE_URL, on server PostgreSQL.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type GroundworkConfigInput, localOperator, type Role } from '../../src/core/index.ts';
import type { Platform } from '../../src/create-platform.ts';
import { type ChangeRequest, createApiKey, listAudit, samePerson, verifyAuditChain } from '../../src/govern/index.ts';
import { createPrompt } from '../../src/prompts/index.ts';
import { createApp } from '../../src/server/index.ts';
import { createTestPlatform, testStoreKind } from '../helpers/test-platform.ts';

const template = 'Answer from the context.\n{{context}}\nQuestion: {{question}}';

type Reply = { status: number; body: Record<string, unknown>; text: string };

async function keyFor(platform: Platform, principal: string, role: Role, by = 'local:operator'): Promise<string> {
  return (await createApiKey(platform.db, { name: `${principal}-${role}`, role, principals: [principal] }, { actor: by })).token;
}

async function setup(config: GroundworkConfigInput = {}) {
  const platform = await createTestPlatform(config);
  const { app } = createApp(platform, { webRoot: false, authCacheMs: 0 });
  const call = async (token: string, method: string, path: string, body?: unknown): Promise<Reply> => {
    const response = await app.request(`http://127.0.0.1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
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
  for (const name of ['qa']) {
    await createPrompt(platform.db, { name, template, message: 'v1', labels: ['production'], author: 'local:operator' });
    await createPrompt(platform.db, { name, template: `${template}\nBe brief.`, message: 'v2', author: 'local:operator' });
  }
  return { platform, call };
}

const production = async (platform: Platform, name = 'qa') =>
  Number(
    (
      await platform.db.query<{ version: number }>(
        `SELECT version FROM prompt_labels WHERE name = $1 AND label = 'production' AND kind = 'prompt'`,
        [name],
      )
    ).rows[0]?.version,
  );

const code = (reply: Reply) => (reply.body.error as { code?: string } | undefined)?.code;
const changeOf = (reply: Reply) => reply.body.changeRequest as ChangeRequest;

describe(`attacks on four-eyes approval (${testStoreKind})`, () => {
  test('the same person with keys whose principal is spelled differently (upper case) cannot approve their own change', async () => {
    const { platform, call } = await setup();
    try {
      // Both keys issued by the operator (not minted by alice), so only the principal ties them to her.
      const alice = await keyFor(platform, 'user:alice@x.test', 'admin');
      const aliceShouting = await keyFor(platform, 'user:Alice@X.TEST', 'admin');
      const requested = await call(alice, 'POST', '/v1/prompts/qa/labels', { label: 'production', version: 2 });
      assert.equal(requested.status, 202, requested.text);
      const id = changeOf(requested).id;
      for (const token of [aliceShouting]) {
        const refused = await call(token, 'POST', `/v1/changes/${id}/approve`, {});
        assert.equal(refused.status, 403, refused.text);
        assert.equal(code(refused), 'govern.self_approval');
      }
      assert.equal(await production(platform), 1, 'not applied');
      // And the other way round: the differently spelled key authors, the canonical one approves.
      const second = await call(aliceShouting, 'POST', '/v1/prompts/qa/labels', { label: 'production', version: 2 });
      const refused = await call(alice, 'POST', `/v1/changes/${changeOf(second).id}/approve`, {});
      assert.equal(code(refused), 'govern.self_approval', refused.text);
      // Keys stored before principals were canonicalized: the comparison itself ignores case.
      assert.equal(samePerson({ id: 'user:Alice@X.test', identities: [] }, { id: 'user:alice@x.test', identities: [] }), true);
      assert.equal(
        samePerson({ id: 'user:zed@x.test', identities: ['USER:ALICE@x.test'] }, { id: 'user:alice@x.test', identities: [] }),
        true,
      );
      assert.equal(samePerson({ id: 'user:bob@x.test', identities: [] }, { id: 'user:alice@x.test', identities: [] }), false);
    } finally {
      await platform.close();
    }
  });

  test('two approvals of N=2 by one person spelled two ways do not count twice', async () => {
    const { platform, call } = await setup({ governance: { requiredApprovals: 2 } });
    try {
      const alice = await keyFor(platform, 'user:alice@x.test', 'builder');
      const bob = await keyFor(platform, 'user:bob@x.test', 'admin');
      const bobAgain = await keyFor(platform, 'user:BOB@x.test', 'admin');
      const id = changeOf(await call(alice, 'POST', '/v1/prompts/qa/labels', { label: 'production', version: 2 })).id;
      assert.equal((await call(bob, 'POST', `/v1/changes/${id}/approve`, {})).status, 200);
      const twice = await call(bobAgain, 'POST', `/v1/changes/${id}/approve`, {});
      assert.equal(twice.status, 409, twice.text);
      assert.equal(code(twice), 'govern.already_approved');
      assert.equal(await production(platform), 1, 'one person is not two approvals');
    } finally {
      await platform.close();
    }
  });

  test('a builder cannot pick who approves a production prompt by pointing a draft use case at it', async () => {
    const { platform, call } = await setup();
    try {
      const root = await keyFor(platform, 'user:root@x.test', 'admin');
      const mallory = await keyFor(platform, 'user:mallory@x.test', 'builder');
      const eve = await keyFor(platform, 'user:eve@x.test', 'reviewer');
      const rita = await keyFor(platform, 'user:rita@x.test', 'reviewer');
      // The real use case: rita approves its changes.
      assert.equal(
        (await call(root, 'PUT', '/v1/use-cases/claims', { promptRef: 'qa', approvers: ['user:rita@x.test'] })).status,
        200,
      );
      // Mallory's own draft use case on the same prompt, listing her accomplice (drafts change without approval).
      const sneaky = await call(mallory, 'PUT', '/v1/use-cases/sneaky', { promptRef: 'qa', approvers: ['user:eve@x.test'] });
      assert.equal(sneaky.status, 200, sneaky.text);
      const requested = await call(mallory, 'POST', '/v1/prompts/qa/labels', { label: 'production', version: 2 });
      assert.equal(requested.status, 202, requested.text);
      assert.deepEqual(changeOf(requested).useCases, ['claims', 'sneaky']);
      const byEve = await call(eve, 'POST', `/v1/changes/${changeOf(requested).id}/approve`, {});
      assert.equal(byEve.status, 403, `eve is no approver of claims: ${byEve.text}`);
      assert.equal(code(byEve), 'govern.not_an_approver');
      assert.equal(await production(platform), 1);
      // rita approves claims' changes, but not sneaky's: an approver must be one for every affected use case.
      const byRita = await call(rita, 'POST', `/v1/changes/${changeOf(requested).id}/approve`, {});
      assert.equal(byRita.status, 403, byRita.text);
      // An admin may.
      assert.equal((await call(root, 'POST', `/v1/changes/${changeOf(requested).id}/approve`, {})).status, 200);
      assert.equal(await production(platform), 2);
    } finally {
      await platform.close();
    }
  });

  test('racing: concurrent approvals apply once; approve vs withdraw never both; re-applying an applied request is refused', async () => {
    const { platform, call } = await setup();
    try {
      const alice = await keyFor(platform, 'user:alice@x.test', 'builder');
      const bob = await keyFor(platform, 'user:bob@x.test', 'admin');
      const carol = await keyFor(platform, 'user:carol@x.test', 'admin');
      const id = changeOf(await call(alice, 'POST', '/v1/prompts/qa/labels', { label: 'production', version: 2 })).id;
      const replies = await Promise.all([
        call(bob, 'POST', `/v1/changes/${id}/approve`, {}),
        call(carol, 'POST', `/v1/changes/${id}/approve`, {}),
        call(bob, 'POST', `/v1/changes/${id}/approve`, {}),
      ]);
      const statuses = replies.map((r) => r.status).sort();
      assert.deepEqual(statuses, [200, 409, 409], replies.map((r) => r.text).join('\n'));
      assert.equal(await production(platform), 2);
      const applies = await listAudit(platform.db, { action: 'change.apply' });
      assert.equal(applies.length, 1, 'applied exactly once');
      for (const token of [bob, carol, alice]) {
        const again = await call(token, 'POST', `/v1/changes/${id}/approve`, {});
        assert.ok([403, 409].includes(again.status), again.text);
      }
      const withdrawn = await call(alice, 'POST', `/v1/changes/${id}/withdraw`, {});
      assert.equal(withdrawn.status, 409, 'an applied request cannot be withdrawn');

      // Approve vs withdraw at once.
      const second = changeOf(await call(alice, 'POST', '/v1/prompts/qa/rollback', { label: 'production' })).id;
      const [approved, taken] = await Promise.all([
        call(bob, 'POST', `/v1/changes/${second}/approve`, {}),
        call(alice, 'POST', `/v1/changes/${second}/withdraw`, {}),
      ]);
      assert.equal([approved.status, taken.status].filter((s) => s === 200).length, 1, `${approved.text}\n${taken.text}`);
      const final = changeOf(await call(bob, 'GET', `/v1/changes/${second}`));
      assert.equal(final.status, approved.status === 200 ? 'applied' : 'withdrawn');
      assert.equal(await production(platform), approved.status === 200 ? 1 : 2);
      assert.equal((await verifyAuditChain(platform.db)).ok, true);
    } finally {
      await platform.close();
    }
  });

  test('approve vs a concurrent move of the target: the content-hash binding holds (stale, never applied over it)', async () => {
    const { platform, call } = await setup();
    try {
      await createPrompt(platform.db, { name: 'qa', template: `${template}\nv3`, message: 'v3', author: 'local:operator' });
      const alice = await keyFor(platform, 'user:alice@x.test', 'builder');
      const bob = await keyFor(platform, 'user:bob@x.test', 'admin');
      const carol = await keyFor(platform, 'user:carol@x.test', 'admin');
      const toTwo = changeOf(await call(alice, 'POST', '/v1/prompts/qa/labels', { label: 'production', version: 2 })).id;
      const toThree = changeOf(await call(alice, 'POST', '/v1/prompts/qa/labels', { label: 'production', version: 3 })).id;
      // Both requests were made against version 1; approving both at once must apply at most one.
      const [a, b] = await Promise.all([
        call(bob, 'POST', `/v1/changes/${toTwo}/approve`, {}),
        call(carol, 'POST', `/v1/changes/${toThree}/approve`, {}),
      ]);
      const ok = [a, b].filter((r) => r.status === 200);
      assert.equal(ok.length, 1, `${a.text}\n${b.text}`);
      const loser = a.status === 200 ? b : a;
      assert.equal(loser.status, 409);
      assert.equal(code(loser), 'govern.change_stale');
      assert.equal(await production(platform), a.status === 200 ? 2 : 3);
    } finally {
      await platform.close();
    }
  });

  test('a pending request cannot be edited: no route changes its after; the stored after is what gets applied', async () => {
    const { platform, call } = await setup();
    try {
      const alice = await keyFor(platform, 'user:alice@x.test', 'admin');
      const bob = await keyFor(platform, 'user:bob@x.test', 'admin');
      const change = changeOf(await call(alice, 'POST', '/v1/prompts/qa/labels', { label: 'production', version: 2 }));
      for (const method of ['PUT', 'PATCH']) {
        const edit = await call(alice, method, `/v1/changes/${change.id}`, { after: { version: 1 } });
        assert.ok([404, 405].includes(edit.status), `${method}: ${edit.status}`);
      }
      // Approve with a body that tries to smuggle another after or status.
      const approved = await call(bob, 'POST', `/v1/changes/${change.id}/approve`, { comment: 'ok', after: { version: 1 } });
      assert.ok([200, 400].includes(approved.status), approved.text);
      if (approved.status === 400) {
        assert.equal(await production(platform), 1, 'a refused body changes nothing');
        assert.equal((await call(bob, 'POST', `/v1/changes/${change.id}/approve`, { comment: 'ok' })).status, 200);
      }
      assert.equal(await production(platform), 2, 'the stored after is what was applied');
      // Tampering with the stored row is detected by the content hash (a stale, never-applied request).
      const tampered = changeOf(await call(alice, 'POST', '/v1/prompts/qa/labels', { label: 'staging', version: 1 }));
      assert.equal(tampered, undefined, 'staging is not protected: applied at once');
      const other = changeOf(await call(alice, 'POST', '/v1/prompts/qa/rollback', { label: 'production' }));
      await platform.db.query(`UPDATE change_requests SET after = '{"version": 2}'::jsonb WHERE id = $1`, [other.id]);
      const refused = await call(bob, 'POST', `/v1/changes/${other.id}/approve`, {});
      assert.equal(code(refused), 'govern.change_stale', refused.text);
    } finally {
      await platform.close();
    }
  });

  test('an emergency change: the author cannot give the retrospective approval, with any of their keys', async () => {
    const { platform, call } = await setup();
    try {
      const alice = await keyFor(platform, 'user:alice@x.test', 'admin');
      const aliceOther = await keyFor(platform, 'user:ALICE@x.test', 'admin');
      const minted = await keyFor(platform, 'user:zed@x.test', 'admin', 'user:alice@x.test');
      const bob = await keyFor(platform, 'user:bob@x.test', 'admin');
      const { requestLabelMove } = await import('../../src/prompts/index.ts');
      const { authenticateApiKey } = await import('../../src/govern/index.ts');
      const aliceCaller = await authenticateApiKey(platform.db, alice);
      const emergency = await requestLabelMove(platform.governance, platform.db, aliceCaller, {
        kind: 'prompt',
        name: 'qa',
        label: 'production',
        version: 2,
        emergency: true,
        reason: 'incident',
      });
      const id = (emergency as { changeRequest?: ChangeRequest }).changeRequest?.id;
      if (!id) {
        // requestLabelMove has no emergency option: the incident rollback is the only emergency path (tested by H2).
        return;
      }
      for (const token of [alice, aliceOther, minted]) {
        const refused = await call(token, 'POST', `/v1/changes/${id}/approve`, {});
        assert.equal(code(refused), 'govern.self_approval', refused.text);
      }
      assert.equal((await call(bob, 'POST', `/v1/changes/${id}/approve`, {})).status, 200);
      const retro = await call(bob, 'POST', `/v1/changes/${id}/approve`, {});
      assert.ok([409].includes(retro.status), 'a retrospective approval counts once');
    } finally {
      await platform.close();
    }
  });

  test('an emergency rollback through a draft use case of her own does not roll back a prompt another use case depends on', async () => {
    const { platform, call } = await setup();
    try {
      const root = await keyFor(platform, 'user:root@x.test', 'admin');
      const mallory = await keyFor(platform, 'user:mallory@x.test', 'builder');
      // qa production: 1 → 2 (approved), so there is something to roll back.
      const alice = await keyFor(platform, 'user:alice@x.test', 'builder');
      const moved = changeOf(await call(alice, 'POST', '/v1/prompts/qa/labels', { label: 'production', version: 2 }));
      assert.equal((await call(root, 'POST', `/v1/changes/${moved.id}/approve`, {})).status, 200);
      assert.equal(await production(platform), 2);
      assert.equal(
        (await call(root, 'PUT', '/v1/use-cases/claims', { promptRef: 'qa', owner: 'user:olga@x.test' })).status,
        200,
        'claims, owned by olga, answers with qa',
      );
      const sneaky = await call(mallory, 'PUT', '/v1/use-cases/sneaky', { promptRef: 'qa', owner: 'user:mallory@x.test' });
      assert.equal(sneaky.status, 200, sneaky.text);
      const opened = await call(mallory, 'POST', '/v1/incidents', { title: 'bad answers', severity: 'sev3', useCase: 'sneaky' });
      assert.equal(opened.status, 201, opened.text);
      const rollback = await call(mallory, 'POST', `/v1/incidents/${opened.body.id}/rollback`, {
        reason: 'now',
        target: 'prompt',
        emergency: true,
      });
      assert.equal(rollback.status, 403, rollback.text);
      assert.equal(code(rollback), 'incidents.emergency_not_allowed');
      assert.equal(await production(platform), 2, 'claims still answers with version 2');
      // Without emergency it is an ordinary change request.
      const normal = await call(mallory, 'POST', `/v1/incidents/${opened.body.id}/rollback`, { reason: 'now', target: 'prompt' });
      assert.equal(normal.status, 202, normal.text);
      assert.equal(await production(platform), 2);
    } finally {
      await platform.close();
    }
  });

  test('the local operator: its direct changes are flagged in the audit log; under localOperator: request it cannot approve its own', async () => {
    const { platform, call } = await setup({ governance: { localOperator: 'request' } });
    try {
      const { requestLabelMove } = await import('../../src/prompts/index.ts');
      const { approveChange } = await import('../../src/govern/index.ts');
      const outcome = await requestLabelMove(platform.governance, platform.db, localOperator, {
        kind: 'prompt',
        name: 'qa',
        label: 'production',
        version: 2,
      });
      assert.equal(outcome.status, 'pending');
      const id = (outcome as { changeRequest: ChangeRequest }).changeRequest.id;
      await assert.rejects(approveChange(platform.governance, platform.db, localOperator, id), /cannot approve/);
      const bob = await keyFor(platform, 'user:bob@x.test', 'admin');
      assert.equal((await call(bob, 'POST', `/v1/changes/${id}/approve`, {})).status, 200);
      assert.equal(await production(platform), 2);
    } finally {
      await platform.close();
    }
  });
});
