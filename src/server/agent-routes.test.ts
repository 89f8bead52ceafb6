/**
 * Agents and the proposals API over HTTP: an agent scripted with the AI SDK's MockLanguageModelV4 searches (as
 * its caller) and proposes through its tools, every step traced; its step limit and budget stop it with a clear
 * outcome; without a model it is a coded 4xx. Then an attacker with a low-privilege API key against the
 * proposals API: no others' proposals or evidence, no approving their own, no replay, no approving a changed input.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MockLanguageModelV4 } from 'ai/test';
import { alice, seedCorpus } from '../../test/helpers/review-corpus.ts';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { type AgentDeps, executeProposal, listProposals, proposeAction, runAgent } from '../actions/index.ts';
import { setUseCaseStage } from '../answer/index.ts';
import { callerWithPrincipals, fixedClock, localOperator, providerSchema } from '../core/index.ts';
import type { Platform } from '../create-platform.ts';
import { createApiKey, revokeApiKey } from '../govern/index.ts';
import { getTrace } from '../observe/index.ts';
import { actionDeps, agentDeps } from '../worker.ts';
import { createApp } from './index.ts';

type Reply = { toolCalls?: Array<{ name: string; input: unknown }>; text?: string; tokens?: number };

function scripted(replies: Reply[]): MockLanguageModelV4 {
  let call = 0;
  return new MockLanguageModelV4({
    provider: 'mock',
    modelId: 'agent-1',
    doGenerate: async () => {
      const reply = replies[Math.min(call, replies.length - 1)] as Reply;
      call++;
      const tokens = reply.tokens ?? 10;
      return {
        content: [
          ...(reply.toolCalls ?? []).map((c, i) => ({
            type: 'tool-call' as const,
            toolCallId: `call_${call}_${i}`,
            toolName: c.name,
            input: JSON.stringify(c.input),
          })),
          ...(reply.text ? [{ type: 'text' as const, text: reply.text }] : []),
        ],
        finishReason: reply.toolCalls?.length
          ? { unified: 'tool-calls' as const, raw: 'tool_calls' }
          : { unified: 'stop' as const, raw: 'stop' },
        usage: {
          inputTokens: { total: tokens, noCache: tokens, cacheRead: 0, cacheWrite: 0 },
          outputTokens: { total: 5, text: 5, reasoning: 0 },
        },
        warnings: [],
      };
    },
  });
}

function withModel(
  platform: Platform,
  model: MockLanguageModelV4,
  agent: Partial<AgentDeps['agentsConfig']['useCases'][string]> = {},
): AgentDeps {
  const base = agentDeps(platform);
  return {
    ...base,
    models: {
      defaultChat: 'mock:agent-1',
      chat: () => model,
      describe: () => ({
        ref: 'mock:agent-1',
        provider: 'mock',
        providerType: 'openai-compatible',
        modelId: 'agent-1',
        providerConfig: providerSchema.parse({ type: 'openai-compatible', trusted: true, maxSensitivity: 'restricted' }),
      }),
    },
    agentsConfig: {
      ...base.agentsConfig,
      useCases: { 'underwriting-qa': { enabled: true, maxSteps: 4, maxTokens: 10_000, ...agent } },
    },
  };
}

describe(`agents and the proposals API (${testStoreKind})`, () => {
  let platform: Platform;
  let app: ReturnType<typeof createApp>;
  before(async () => {
    platform = await createTestPlatform({ agents: { useCases: { 'underwriting-qa': { enabled: true } } } });
    await seedCorpus(platform);
    for (const useCase of ['underwriting-qa', 'claims-qa']) await setUseCaseStage(platform.db, useCase, 'general');
    app = createApp(platform, { webRoot: false, authCacheMs: 0 });
  });
  after(async () => {
    await app.close();
    await platform.close();
  });

  test('an agent searches as its caller and proposes through its tools; every tool call is traced', async () => {
    const model = scripted([
      { toolCalls: [{ name: 'search', input: { query: 'flood deductible coastal' } }] },
      {
        toolCalls: [
          {
            name: 'action_create_note',
            input: {
              input: { useCase: 'underwriting-qa', text: 'Coastal flood deductible is 1000 euros.' },
              reasoning: 'The underwriting guide states it.',
              evidence: [
                { documentId: 'doc_uw', chunkId: 'chk_uw' },
                { documentId: 'doc_cl', chunkId: 'chk_cl' },
              ],
            },
          },
        ],
      },
      { text: 'I proposed a note for the owners.' },
    ]);
    const run = await runAgent(withModel(platform, model), alice, 'underwriting-qa', {
      task: 'Note the coastal flood deductible.',
    });
    assert.equal(run.outcome, 'completed');
    assert.equal(run.text, 'I proposed a note for the owners.');
    assert.deepEqual(
      run.toolCalls.map((c) => c.tool),
      ['search', 'action_create_note'],
    );
    // The search tool returned only what alice may read (the claims manual is not hers).
    const searchPrompt = JSON.stringify(model.doGenerateCalls[1]?.prompt);
    assert.match(searchPrompt, /flood deductible/);
    assert.ok(!searchPrompt.includes('second adjuster'));
    assert.equal(run.proposals.length, 1);
    const proposal = (await listProposals(actionDeps(platform), localOperator)).find((p) => p.id === run.proposals[0]?.id);
    assert.equal(proposal?.status, 'proposed');
    assert.equal(proposal?.proposer, 'agent:underwriting-qa');
    assert.equal(proposal?.onBehalfOf, alice.id);
    assert.equal(proposal?.evidenceCount, 1, 'evidence alice may not read is dropped');
    await platform.observe.recorder.flush();
    const trace = await getTrace(platform.db, localOperator, run.traceId);
    assert.ok(trace);
    const tools = trace.spans.filter((s) => s.name === 'agent.tool');
    assert.deepEqual(
      tools.map((s) => s.attributes['groundwork.tool.name']),
      ['search', 'action_create_note'],
    );
    assert.match(String(tools[1]?.attributes['groundwork.tool.output']), /prp_/);
    assert.equal(trace.spans.filter((s) => s.name === 'agent.step').length, 3);
    // alice may not approve what her agent proposed on her behalf.
    const rita2 = callerWithPrincipals(['user:alice@example.com', 'group:underwriting'], 'reviewer');
    const { approveProposal } = await import('../actions/index.ts');
    await assert.rejects(
      approveProposal(actionDeps(platform), rita2, run.proposals[0]?.id as string, { inputHash: proposal?.inputHash as string }),
      {
        code: 'actions.own_proposal',
      },
    );
  });

  test('the step limit and the token budget stop a run with a clear outcome', async () => {
    const looping = () => scripted([{ toolCalls: [{ name: 'search', input: { query: 'flood' } }], tokens: 400 }]);
    const limited = await runAgent(withModel(platform, looping(), { maxSteps: 2 }), alice, 'underwriting-qa', { task: 'loop' });
    assert.equal(limited.outcome, 'step_limit');
    assert.equal(limited.steps, 2);
    assert.match(limited.message, /step limit \(2\)/);
    const broke = await runAgent(withModel(platform, looping(), { maxSteps: 10, maxTokens: 1000 }), alice, 'underwriting-qa', {
      task: 'loop',
    });
    assert.equal(broke.outcome, 'budget_exceeded');
    assert.equal(broke.steps, 3, '3 × 405 tokens ≥ 1000');
  });

  test('without a model an agent is a coded 4xx; a use case without an agent is 404', async () => {
    const { token } = await createApiKey(
      platform.db,
      { name: 'alice', principals: [...alice.principals], role: 'user' },
      { actor: 'local:operator' },
    );
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const res = await app.app.request('http://127.0.0.1/v1/agents/underwriting-qa/runs', {
      method: 'POST',
      headers,
      body: JSON.stringify({ task: 'hi' }),
    });
    assert.equal(res.status, 409);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'actions.agent_needs_model');
    assert.match(body.error.message, /Agents need a model/);
    const none = await app.app.request('http://127.0.0.1/v1/agents/claims-qa/runs', {
      method: 'POST',
      headers,
      body: JSON.stringify({ task: 'hi' }),
    });
    assert.equal(none.status, 404);
  });

  test('an attacker with a low-privilege key: no others’ evidence, no own approval, no replay, no approving a changed input', async () => {
    const mk = async (name: string, principals: string[], role: 'user' | 'reviewer') => {
      const { token } = await createApiKey(platform.db, { name, principals, role }, { actor: 'local:operator' });
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      return {
        get: (path: string) => app.app.request(`http://127.0.0.1${path}`, { headers }),
        post: (path: string, body: unknown) =>
          app.app.request(`http://127.0.0.1${path}`, { method: 'POST', headers, body: JSON.stringify(body) }),
      };
    };
    const owner = await mk('uw-user', ['user:ursula@example.com', 'group:underwriting'], 'user');
    const attacker = await mk('mallory', ['user:mallory@example.com', 'group:underwriting'], 'user');
    const approver = await mk('rita', ['user:rita@example.com', 'group:underwriting'], 'reviewer');
    const approver2 = await mk('ravi', ['user:ravi@example.com', 'group:underwriting'], 'reviewer');
    // Bad input: 400 before any proposal exists.
    const bad = await owner.post('/v1/proposals', { action: 'create_note', input: { useCase: 'underwriting-qa' } });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'actions.invalid_input');
    const created = await owner.post('/v1/proposals', {
      action: 'create_note',
      input: { useCase: 'underwriting-qa', text: 'secret-ish note' },
      useCase: 'underwriting-qa',
      evidence: [{ documentId: 'doc_uw', chunkId: 'chk_uw' }],
    });
    assert.equal(created.status, 201);
    const proposal = (await created.json()) as { id: string; inputHash: string };
    // The attacker lists nothing and reads nothing of it.
    const listed = (await (await attacker.get('/v1/proposals')).json()) as { proposals: unknown[] };
    assert.equal(listed.proposals.length, 0);
    assert.equal((await attacker.get(`/v1/proposals/${proposal.id}`)).status, 404);
    const text = await (await attacker.get(`/v1/proposals/${proposal.id}`)).text();
    assert.ok(!text.includes('flood deductible'));
    assert.equal((await attacker.post(`/v1/proposals/${proposal.id}/approve`, { inputHash: proposal.inputHash })).status, 403);
    // The attacker's own proposal: they may not approve it (no scope), nor may an approver approve their own.
    const own = (await (
      await approver.post('/v1/proposals', { action: 'create_note', input: { useCase: 'underwriting-qa', text: 'self' } })
    ).json()) as { id: string; inputHash: string };
    const self = await approver.post(`/v1/proposals/${own.id}/approve`, { inputHash: own.inputHash });
    assert.equal(self.status, 403);
    assert.equal(((await self.json()) as { error: { code: string } }).error.code, 'actions.own_proposal');
    // An approver edits the input; an approval of the old input is refused (bound to the hash).
    const detail = (await (await approver.get(`/v1/proposals/${proposal.id}`)).json()) as {
      inputHash: string;
      evidence: Array<{ text: string }>;
    };
    assert.match(detail.evidence[0]?.text ?? '', /flood deductible/);
    const edited = await approver.post(`/v1/proposals/${proposal.id}/approve`, {
      inputHash: detail.inputHash,
      input: { useCase: 'underwriting-qa', text: 'edited note' },
    });
    assert.equal(edited.status, 200, await edited.clone().text());
    // Replay: the same approval again is refused.
    const replay = await approver2.post(`/v1/proposals/${proposal.id}/approve`, { inputHash: detail.inputHash });
    assert.equal(replay.status, 409);
    // A second proposal whose input changes between reading and approving.
    const second = (await (
      await owner.post('/v1/proposals', { action: 'create_note', input: { useCase: 'underwriting-qa', text: 'v1' } })
    ).json()) as { id: string; inputHash: string };
    const stale = await approver.post(`/v1/proposals/${second.id}/approve`, {
      inputHash: second.inputHash,
      input: { useCase: 'underwriting-qa', text: 'v2' },
    });
    assert.equal(stale.status, 200);
    const changed = await approver2.post(`/v1/proposals/${second.id}/approve`, { inputHash: second.inputHash });
    assert.equal(changed.status, 409);
    // Executed exactly as approved (the edited input).
    await executeProposal(actionDeps(platform), proposal.id);
    const final = (await (await owner.get(`/v1/proposals/${proposal.id}`)).json()) as { status: string; input: { text: string } };
    assert.equal(final.status, 'executed');
    assert.equal(final.input.text, 'edited note');
    const stats = (await (await approver.get('/v1/actions/stats')).json()) as {
      actions: Array<{ action: string; edited: number }>;
    };
    assert.ok((stats.actions.find((a) => a.action === 'create_note')?.edited ?? 0) >= 2);
  });

  test('an approved proposal whose proposer key was revoked meanwhile is not executed', async () => {
    const { key, token } = await createApiKey(
      platform.db,
      { name: 'leaver', principals: ['user:leo@example.com', 'group:underwriting'], role: 'user' },
      { actor: 'local:operator' },
    );
    const created = await app.app.request('http://127.0.0.1/v1/proposals', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'create_note', input: { useCase: 'underwriting-qa', text: 'leaving' } }),
    });
    const proposal = (await created.json()) as { id: string; inputHash: string };
    const { approveProposal } = await import('../actions/index.ts');
    const approver = callerWithPrincipals(['user:rita@example.com', 'group:underwriting'], 'reviewer');
    await approveProposal(actionDeps(platform), approver, proposal.id, { inputHash: proposal.inputHash });
    await revokeApiKey(platform.db, key.id, { actor: 'local:operator' });
    const outcome = await executeProposal(actionDeps(platform), proposal.id);
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.error, 'actions.permission_revoked');
  });

  test('the stored policy replaces the configured allow: admins only, checked on the next proposal', async () => {
    const mk = async (name: string, role: 'user' | 'reviewer' | 'admin') => {
      const { token } = await createApiKey(
        platform.db,
        { name, principals: [`user:${name}@example.com`, 'group:underwriting'], role },
        { actor: 'local:operator' },
      );
      return (method: string, path: string, body?: unknown) =>
        app.app.request(`http://127.0.0.1${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
    };
    const adminCall = await mk('ada', 'admin');
    const reviewerCall = await mk('rex', 'reviewer');
    const userCall = await mk('ulla', 'user');
    assert.equal((await reviewerCall('PUT', '/v1/actions/create_note/policy', { allow: { roles: ['builder'] } })).status, 403);
    const set = await adminCall('PUT', '/v1/actions/create_note/policy', { allow: { roles: ['builder'] } });
    assert.equal(set.status, 200, await set.clone().text());
    const refused = await userCall('POST', '/v1/proposals', {
      action: 'create_note',
      input: { useCase: 'underwriting-qa', text: 'x' },
    });
    assert.equal(refused.status, 403);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'actions.not_allowed');
    const listed = (await (await userCall('GET', '/v1/actions')).json()) as { actions: Array<{ name: string }> };
    assert.ok(!listed.actions.some((a) => a.name === 'create_note'));
    assert.equal((await adminCall('PUT', '/v1/actions/create_note/policy', { allow: null })).status, 200);
    const allowed = await userCall('POST', '/v1/proposals', {
      action: 'create_note',
      input: { useCase: 'underwriting-qa', text: 'x' },
    });
    assert.equal(allowed.status, 201);
  });

  test('anomalies: a rate far above the baseline and targets never seen before', async () => {
    const { actionAnomalies } = await import('../actions/index.ts');
    const now = Date.now();
    const at = (msAgo: number) => ({ ...actionDeps(platform), clock: fixedClock(new Date(now - msAgo)) });
    const agent = callerWithPrincipals(['user:bot-owner@example.com', 'group:underwriting']);
    // Baseline (1–7 h ago): one a few hours ago on target underwriting-qa.
    await proposeAction(at(3 * 3_600_000), agent, { action: 'create_note', input: { useCase: 'underwriting-qa', text: 'b' } });
    // Window (last hour): six notes on six targets never seen.
    for (let i = 0; i < 6; i++)
      await proposeAction(at(60_000), agent, { action: 'create_note', input: { useCase: `target-${i}`, text: 'w' } });
    const found = await actionAnomalies(platform.db, {
      from: new Date(now - 3_600_000),
      to: new Date(now),
      baselineFrom: new Date(now - 8 * 3_600_000),
    });
    const mine = found.anomalies.find((a) => a.agent === agent.id);
    assert.ok(mine, JSON.stringify(found));
    assert.equal(mine.newTargets, 6);
    assert.ok(mine.reasons.some((r) => r.includes('never seen')));
    assert.ok(mine.ratio > 3);
  });
});
