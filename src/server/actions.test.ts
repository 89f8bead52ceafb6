import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type SmtpSink, startSmtpSink, startWebhookReceiver, type WebhookReceiver } from '../../test/helpers/action-receivers.ts';
import { alice, bob, carl, rita, seedCorpus } from '../../test/helpers/review-corpus.ts';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import {
  actionStats,
  approveProposal,
  denyProposal,
  executeProposal,
  getProposal,
  inputHash,
  listInvokableActions,
  listNotes,
  listProposals,
  proposeAction,
  requestActionClass,
  resumeAutoExecution,
  retryProposal,
  setActionPolicy,
} from '../actions/index.ts';
import { callerWithPrincipals, fixedClock, type GroundworkError, loadConfig, localOperator } from '../core/index.ts';
import type { Platform } from '../create-platform.ts';
import { approveChange, listAudit, verifyAuditChain } from '../govern/index.ts';
import { createMonitor, evaluateMonitors } from '../monitor/index.ts';
import { actionDeps, monitorDeps } from '../worker.ts';

const code = (expected: string) => (error: unknown) => {
  assert.equal((error as GroundworkError).code, expected, String(error));
  return true;
};

/** Another approver of underwriting-qa. */
const ravi = callerWithPrincipals(['user:ravi@example.com', 'group:underwriting'], 'reviewer');
/** A low-privilege user of underwriting-qa: may propose, may not approve. */
const mallory = callerWithPrincipals(['user:mallory@example.com', 'group:underwriting']);
const admin2 = { ...callerWithPrincipals(['user:root@example.com'], 'admin'), seesEverything: true };

test('a configured action whose target field or template names no input field is refused at start-up', () => {
  assert.throws(
    () =>
      loadConfig({
        env: {},
        cwd: '/nonexistent',
        flags: {
          actions: [
            {
              name: 'x',
              description: 'd',
              input: { a: { type: 'string' } },
              targetField: 'b',
              executor: { type: 'webhook', url: 'http://127.0.0.1/', body: '{{input.c}}' },
            },
          ],
        },
      }),
    (error: Error) => /targetField/.test(error.message) && /\{\{input\.c\}\}/.test(error.message),
  );
});

describe(`actions: registry, proposals, execution (${testStoreKind})`, () => {
  let platform: Platform;
  let hook: WebhookReceiver;
  let smtp: SmtpSink;

  before(async () => {
    hook = await startWebhookReceiver();
    smtp = await startSmtpSink();
    platform = await createTestPlatform({
      actions: [
        {
          name: 'open_ticket',
          description: 'Open a ticket in the claims system',
          class: 'propose',
          input: { claimId: { type: 'string', maxLength: 20 }, priority: { type: 'string', enum: ['low', 'high'] } },
          targetField: 'claimId',
          executor: {
            type: 'webhook',
            url: hook.url,
            body: '{"claim": {{input.claimId}}, "priority": {{input.priority}}}',
            secretHeader: 'X-Secret',
            secretEnv: 'TICKET_SECRET',
          },
        },
        {
          name: 'email_adjuster',
          description: 'E-mail the adjuster',
          input: { to: { type: 'string', format: 'email' }, claimId: { type: 'string' } },
          executor: {
            type: 'email',
            to: '{{input.to}}',
            subject: 'Claim {{input.claimId}}',
            text: 'Please review claim {{input.claimId}}.',
          },
        },
        {
          name: 'lookup_claim',
          description: 'Read a claim status',
          class: 'read',
          input: { claimId: { type: 'string' } },
          hints: { readOnly: true, idempotent: true },
          executor: { type: 'webhook', url: hook.url },
          allow: { useCases: ['claims-qa'] },
        },
      ],
      agents: {
        smtp: { host: '127.0.0.1', port: smtp.port, from: 'groundwork@example.com' },
        graduation: { minApproved: 2, maxEdits: 0, maxDenials: 0 },
      },
    });
    // The webhook secret comes from the environment by name.
    (platform as { secrets: (name: string) => string | undefined }).secrets = (name) =>
      name === 'TICKET_SECRET' ? 's3cret' : undefined;
    await seedCorpus(platform);
  });
  after(async () => {
    await platform.close();
    await hook.close();
    await smtp.close();
  });

  const deps = () => actionDeps(platform);

  test('the registry lists the caller’s actions with JSON schemas, classes and hints; policy hides the rest', async () => {
    const mine = await listInvokableActions(deps(), alice, { useCase: 'underwriting-qa' });
    const names = mine.map((a) => a.name).sort();
    assert.deepEqual(names, ['create_note', 'email_adjuster', 'open_ticket']);
    const ticket = mine.find((a) => a.name === 'open_ticket');
    assert.equal(ticket?.class, 'propose');
    assert.deepEqual([...((ticket?.inputSchema as { required?: string[] } | undefined)?.required ?? [])].sort(), [
      'claimId',
      'priority',
    ]);
    const claims = await listInvokableActions(deps(), bob, { useCase: 'claims-qa' });
    assert.ok(claims.some((a) => a.name === 'lookup_claim' && a.hints.readOnly));
    // A viewer has no actions scope at all.
    await assert.rejects(
      listInvokableActions(deps(), callerWithPrincipals(['user:v@example.com'], 'viewer')),
      code('auth.forbidden'),
    );
  });

  test('bad input is refused before any proposal exists; a use case the caller may not use is refused', async () => {
    const before = await listProposals(deps(), localOperator);
    await assert.rejects(
      proposeAction(deps(), alice, {
        action: 'open_ticket',
        input: { claimId: 'CL-1', priority: 'urgent' },
        useCase: 'underwriting-qa',
      }),
      code('actions.invalid_input'),
    );
    await assert.rejects(
      proposeAction(deps(), alice, { action: 'open_ticket', input: { claimId: 'CL-1', priority: 'low', extra: 1 } }),
      code('actions.invalid_input'),
    );
    await assert.rejects(proposeAction(deps(), alice, { action: 'nope', input: {} }), code('actions.unknown_action'));
    await assert.rejects(
      proposeAction(deps(), alice, { action: 'create_note', input: { useCase: 'x', text: 'y' }, useCase: 'claims-qa' }),
      code('actions.not_allowed'),
    );
    await assert.rejects(
      proposeAction(deps(), alice, { action: 'lookup_claim', input: { claimId: 'CL-1' }, useCase: 'underwriting-qa' }),
      code('actions.not_allowed'),
    );
    assert.equal((await listProposals(deps(), localOperator)).length, before.length);
  });

  test('a proposal: approvers see reasoning, exact input and only evidence they may read; four eyes; single-use approval bound to the input', async () => {
    const proposal = await proposeAction(deps(), alice, {
      action: 'open_ticket',
      input: { claimId: 'CL-2026-0142', priority: 'high' },
      useCase: 'underwriting-qa',
      reasoning: 'The guide says coastal risks need a check.',
      // alice may not read the claims manual: that citation is dropped before it is stored.
      evidence: [
        { documentId: 'doc_uw', chunkId: 'chk_uw' },
        { documentId: 'doc_cl', chunkId: 'chk_cl' },
      ],
    });
    assert.equal(proposal.status, 'proposed');
    assert.equal(proposal.evidenceCount, 1);
    assert.equal(proposal.inputHash, inputHash({ claimId: 'CL-2026-0142', priority: 'high' }));
    const seen = await getProposal(deps(), rita, proposal.id);
    assert.equal(seen.reasoning, 'The guide says coastal risks need a check.');
    assert.match(seen.evidence[0]?.text ?? '', /flood deductible/);
    // carl approves claims only: he does not see an underwriting proposal at all.
    await assert.rejects(getProposal(deps(), carl, proposal.id), code('actions.proposal_not_found'));
    // A low-privilege user sees neither the proposal nor its evidence.
    await assert.rejects(getProposal(deps(), mallory, proposal.id), code('actions.proposal_not_found'));
    assert.equal((await listProposals(deps(), mallory)).length, 0);
    // …and may not approve anything.
    await assert.rejects(approveProposal(deps(), mallory, proposal.id, { inputHash: seen.inputHash }), code('auth.forbidden'));
    // The proposer may not approve their own proposal, even with an approver role.
    const ritaOwn = await proposeAction(deps(), rita, {
      action: 'create_note',
      input: { useCase: 'underwriting-qa', text: 'mine' },
    });
    await assert.rejects(
      approveProposal(deps(), rita, ritaOwn.id, { inputHash: ritaOwn.inputHash }),
      code('actions.own_proposal'),
    );
    // An approval bound to another input hash is refused.
    await assert.rejects(
      approveProposal(deps(), rita, proposal.id, { inputHash: 'a'.repeat(64) }),
      code('actions.input_changed'),
    );
    // An edit is validated, recorded and re-hashed.
    await assert.rejects(
      approveProposal(deps(), rita, proposal.id, {
        inputHash: seen.inputHash,
        input: { claimId: 'CL-2026-0142', priority: 'max' },
      }),
      code('actions.invalid_input'),
    );
    const approved = await approveProposal(deps(), rita, proposal.id, {
      inputHash: seen.inputHash,
      input: { claimId: 'CL-2026-0142', priority: 'low' },
    });
    assert.equal(approved.status, 'approved');
    assert.equal(approved.edits.length, 1);
    assert.equal(approved.inputHash, inputHash({ claimId: 'CL-2026-0142', priority: 'low' }));
    assert.deepEqual(approved.originalInput, { claimId: 'CL-2026-0142', priority: 'high' });
    // Replaying the approval (same or new hash) is refused: it was single-use.
    await assert.rejects(
      approveProposal(deps(), ravi, proposal.id, { inputHash: approved.inputHash }),
      code('actions.not_pending'),
    );
    await assert.rejects(denyProposal(deps(), ravi, proposal.id), code('actions.not_pending'));
    // Execution: the webhook gets the rendered body, the secret header and the idempotency key.
    const outcome = await executeProposal(deps(), proposal.id);
    assert.equal(outcome.status, 'executed');
    const delivery = hook.deliveries.at(-1);
    assert.equal(delivery?.headers['x-secret'], 's3cret');
    assert.deepEqual(JSON.parse(delivery?.body ?? ''), { claim: 'CL-2026-0142', priority: 'low' });
    assert.equal(delivery?.key, `gw-${proposal.id}`);
    // A duplicate job is a no-op.
    assert.equal((await executeProposal(deps(), proposal.id)).ran, false);
    const done = await getProposal(deps(), alice, proposal.id);
    assert.equal(done.status, 'executed');
    assert.equal(done.own, true);
    // Every transition is in the audit chain.
    const audit = await listAudit(platform.db, { limit: 200 });
    const mine = audit.filter((e) => e.target === `proposal:${proposal.id}`).map((e) => e.action);
    for (const action of ['action.propose', 'action.edit', 'action.approve', 'action.execute', 'action.executed'])
      assert.ok(mine.includes(action), `${action} in ${mine.join(', ')}`);
    assert.equal((await verifyAuditChain(platform.db)).ok, true);
  });

  test('an approver who may not read a cited document sees it counted, never shown', async () => {
    const proposal = await proposeAction(deps(), localOperator, {
      action: 'create_note',
      input: { useCase: 'underwriting-qa', text: 'check both' },
      useCase: 'underwriting-qa',
      evidence: [
        { documentId: 'doc_uw', chunkId: 'chk_uw' },
        { documentId: 'doc_cl', chunkId: 'chk_cl' },
      ],
    });
    const seen = await getProposal(deps(), rita, proposal.id);
    assert.equal(seen.evidence.length, 1);
    assert.equal(seen.withheldEvidence, 1);
    assert.ok(!JSON.stringify(seen).includes('second adjuster'));
    const denied = await denyProposal(deps(), rita, proposal.id, { reason: 'not needed' });
    assert.equal(denied.status, 'denied');
    await assert.rejects(approveProposal(deps(), ravi, proposal.id, { inputHash: seen.inputHash }), code('actions.not_pending'));
  });

  test('an executor error marks the proposal failed with the error; a person retries it with the same key', async () => {
    const proposal = await proposeAction(deps(), alice, {
      action: 'open_ticket',
      input: { claimId: 'CL-9', priority: 'low' },
      useCase: 'underwriting-qa',
    });
    await approveProposal(deps(), rita, proposal.id, { inputHash: proposal.inputHash });
    hook.failNext(1);
    const failed = await executeProposal(deps(), proposal.id);
    assert.equal(failed.status, 'failed');
    const shown = await getProposal(deps(), rita, proposal.id);
    assert.equal(shown.error?.code, 'actions.executor_failed');
    assert.match(shown.error?.message ?? '', /500/);
    await assert.rejects(retryProposal(deps(), alice, proposal.id), code('auth.forbidden'));
    await retryProposal(deps(), ravi, proposal.id);
    assert.equal((await executeProposal(deps(), proposal.id)).status, 'executed');
    const keys = hook.deliveries.filter((d) => d.key === `gw-${proposal.id}`);
    assert.equal(keys.length, 2, 'delivered twice (the first answered 500), one key');
  });

  test('a crash after the execution started resumes with the same idempotency key: one effect', async () => {
    const proposal = await proposeAction(deps(), alice, {
      action: 'create_note',
      input: { useCase: 'underwriting-qa', text: 'exactly once' },
      useCase: 'underwriting-qa',
    });
    await approveProposal(deps(), rita, proposal.id, { inputHash: proposal.inputHash });
    // Simulate a worker that claimed it, ran the executor and died before recording the outcome.
    assert.equal((await executeProposal(deps(), proposal.id)).status, 'executed');
    await platform.db.query(`UPDATE action_proposals SET status = 'executing', result = NULL WHERE id = $1`, [proposal.id]);
    const again = await executeProposal(deps(), proposal.id);
    assert.equal(again.resumed, true);
    const notes = (await listNotes(platform.db, 'underwriting-qa')).filter((n) => n.text === 'exactly once');
    assert.equal(notes.length, 1);
  });

  test('the policy is checked again just before execution', async () => {
    const proposal = await proposeAction(deps(), alice, {
      action: 'open_ticket',
      input: { claimId: 'CL-77', priority: 'low' },
      useCase: 'underwriting-qa',
    });
    await approveProposal(deps(), rita, proposal.id, { inputHash: proposal.inputHash });
    const action = platform.actions.require('open_ticket');
    await setActionPolicy(platform.db, localOperator, action, { roles: ['builder'] });
    const before = hook.deliveries.length;
    const outcome = await executeProposal(deps(), proposal.id);
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.error, 'actions.permission_revoked');
    assert.equal(hook.deliveries.length, before, 'nothing was sent');
    await setActionPolicy(platform.db, localOperator, action, null);
  });

  test('an e-mail action goes through SMTP with a Message-ID from the idempotency key', async () => {
    const proposal = await proposeAction(deps(), alice, {
      action: 'email_adjuster',
      input: { to: 'adjuster@example.com', claimId: 'CL-5' },
      useCase: 'underwriting-qa',
    });
    await approveProposal(deps(), rita, proposal.id, { inputHash: proposal.inputHash });
    assert.equal((await executeProposal(deps(), proposal.id)).status, 'executed');
    const message = smtp.messages.at(-1);
    assert.deepEqual(message?.to, ['adjuster@example.com']);
    assert.match(message?.raw ?? '', /Subject: Claim CL-5/);
    assert.match(message?.raw ?? '', new RegExp(`Message-ID: <gw-${proposal.id}@groundwork.actions>`, 'i'));
  });

  test('read actions run at once and are recorded', async () => {
    const result = await proposeAction(deps(), bob, { action: 'lookup_claim', input: { claimId: 'CL-1' }, useCase: 'claims-qa' });
    assert.equal(result.status, 'executed');
    assert.equal(result.approvedBy, 'policy:read');
    // A delayed safety-net job resumes it should this process die mid-execution; run now, it finds it done.
    assert.ok((await platform.jobs.pending('action-execute')) >= 1);
    assert.equal((await executeProposal(deps(), result.id)).ran, false);
    assert.deepEqual((result.result as { body: { ok: boolean } }).body.ok, true);
  });

  test('proposals expire after the TTL', async () => {
    const proposal = await proposeAction(deps(), alice, {
      action: 'create_note',
      input: { useCase: 'underwriting-qa', text: 'late' },
      useCase: 'underwriting-qa',
    });
    const later = { ...deps(), clock: fixedClock(new Date(Date.now() + 73 * 3_600_000)) };
    await assert.rejects(approveProposal(later, rita, proposal.id, { inputHash: proposal.inputHash }), code('actions.expired'));
    assert.equal((await getProposal(deps(), rita, proposal.id)).status, 'expired');
  });

  test('graduation to auto is a change request showing the record, refused below the bar', async () => {
    const governed = { ...deps(), governance: platform.governance };
    // create_note: one denied already in this file → refused.
    await assert.rejects(requestActionClass(governed, rita, 'create_note', 'auto'), code('actions.graduation_refused'));
    // email_adjuster: one approval so far, the bar is 2.
    await assert.rejects(requestActionClass(governed, rita, 'email_adjuster', 'auto'), code('actions.graduation_refused'));
    const second = await proposeAction(deps(), alice, {
      action: 'email_adjuster',
      input: { to: 'a2@example.com', claimId: 'CL-6' },
      useCase: 'underwriting-qa',
    });
    await approveProposal(deps(), ravi, second.id, { inputHash: second.inputHash });
    await executeProposal(deps(), second.id);
    const stats = (await actionStats(deps(), rita)).find((s) => s.action === 'email_adjuster');
    assert.equal(stats?.approved, 2);
    assert.equal(stats?.graduation.eligible, true);
    const requested = await requestActionClass(governed, rita, 'email_adjuster', 'auto', { reason: 'clean record' });
    assert.equal(requested.status, 'pending');
    const change = requested.status === 'pending' ? requested.changeRequest : undefined;
    assert.ok(change);
    const applied = await approveChange(platform.governance, platform.db, admin2, change.id);
    assert.equal(applied.status, 'applied');
    const now = await proposeAction(deps(), alice, {
      action: 'email_adjuster',
      input: { to: 'a3@example.com', claimId: 'CL-7' },
      useCase: 'underwriting-qa',
    });
    assert.equal(now.status, 'executed', 'auto: executed without approval');
    assert.equal(now.approvedBy, 'policy:auto');
  });

  test('the anomaly monitor pauses auto-execution of an action whose rate leaves its baseline, and alerts', async () => {
    const mdeps = monitorDeps(platform);
    await createMonitor(mdeps, localOperator, { name: 'agent-actions', kind: 'action-anomaly', window: '1h' });
    for (let i = 0; i < 8; i++) {
      await proposeAction(deps(), alice, {
        action: 'email_adjuster',
        input: { to: `burst${i}@example.com`, claimId: `CL-${100 + i}` },
        useCase: 'underwriting-qa',
      });
    }
    const results = await evaluateMonitors(mdeps, localOperator, { force: true, monitors: ['agent-actions'] });
    const result = results[0];
    assert.equal(result?.state, 'firing', JSON.stringify(result));
    assert.equal(result?.alert?.action, 'fired');
    const listed = (await listInvokableActions(deps(), alice, { useCase: 'underwriting-qa' })).find(
      (a) => a.name === 'email_adjuster',
    );
    assert.equal(listed?.paused, true);
    const paused = await proposeAction(deps(), alice, {
      action: 'email_adjuster',
      input: { to: 'after@example.com', claimId: 'CL-200' },
      useCase: 'underwriting-qa',
    });
    assert.equal(paused.status, 'proposed', 'paused: a proposal instead of an execution');
    await resumeAutoExecution(deps(), rita, 'email_adjuster');
    const resumed = await proposeAction(deps(), alice, {
      action: 'email_adjuster',
      input: { to: 'resumed@example.com', claimId: 'CL-201' },
      useCase: 'underwriting-qa',
    });
    assert.equal(resumed.status, 'executed');
  });
});
