/**
 * POST /v1/agents/:useCase/runs end to end through a real provider call: the loopback OpenAI-compatible server
 * scripts the model's tool calls (search, then the create_note action), the run's proposal waits in the
 * approvals queue, and the trace (GET /v1/traces/:id) shows every tool step with its input and output.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type OpenAICompatibleServer, startOpenAICompatibleServer } from '../../test/helpers/openai-compatible-server.ts';
import { seedCorpus } from '../../test/helpers/review-corpus.ts';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { setUseCaseStage } from '../answer/index.ts';
import type { Platform } from '../create-platform.ts';
import { createApiKey } from '../govern/index.ts';
import { createApp } from './index.ts';

describe(`agent runs through a provider (${testStoreKind})`, () => {
  let provider: OpenAICompatibleServer;
  let platform: Platform;
  let app: ReturnType<typeof createApp>;
  let token = '';
  let turn = 0;

  before(async () => {
    provider = await startOpenAICompatibleServer({
      chat: () => {
        turn++;
        if (turn === 1) return { text: '', toolCalls: [{ name: 'search', arguments: { query: 'coastal flood deductible' } }] };
        if (turn === 2)
          return {
            text: '',
            toolCalls: [
              {
                name: 'action_create_note',
                arguments: {
                  input: { useCase: 'underwriting-qa', text: 'Deductible: 1000 euros (coastal).' },
                  reasoning: 'Stated in the underwriting guide.',
                  evidence: [{ documentId: 'doc_uw', chunkId: 'chk_uw' }],
                },
              },
            ],
          };
        return { text: 'Proposed a note; it waits for approval.' };
      },
    });
    platform = await createTestPlatform({
      models: {
        providers: {
          local: { type: 'openai-compatible', baseUrl: provider.baseUrl, trusted: true, maxSensitivity: 'restricted' },
        },
        chat: 'local:agent-model',
      },
      agents: { useCases: { 'underwriting-qa': { enabled: true, maxSteps: 5 } } },
    });
    await seedCorpus(platform);
    await setUseCaseStage(platform.db, 'underwriting-qa', 'general');
    token = (
      await createApiKey(
        platform.db,
        { name: 'uma', role: 'user', principals: ['user:uma@x.test', 'group:underwriting'] },
        { actor: 'local:operator' },
      )
    ).token;
    app = createApp(platform, { webRoot: false, authCacheMs: 0 });
  });
  after(async () => {
    await app.close();
    await platform.close();
    await provider.close();
  });

  test('the model calls search and an action; the proposal waits; the trace shows the tool steps', async () => {
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const res = await app.app.request('http://127.0.0.1/v1/agents/underwriting-qa/runs', {
      method: 'POST',
      headers,
      body: JSON.stringify({ task: 'Record the coastal flood deductible as a note.' }),
    });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    const run = JSON.parse(text) as {
      outcome: string;
      text: string;
      traceId: string;
      proposals: Array<{ id: string; status: string }>;
      usage: { inputTokens: number };
    };
    assert.equal(run.outcome, 'completed');
    assert.equal(run.text, 'Proposed a note; it waits for approval.');
    assert.equal(run.proposals[0]?.status, 'proposed');
    assert.ok(run.usage.inputTokens > 0);
    // The provider was offered the tools with their JSON schemas, and got the search results back.
    const first = provider.requests.find((r) => r.path.endsWith('/chat/completions'))?.body as {
      tools?: Array<{ function: { name: string } }>;
    };
    assert.deepEqual(first.tools?.map((t) => t.function.name).sort(), ['action_create_note', 'search']);
    assert.match(JSON.stringify(provider.requests[1]?.body), /flood deductible is 1000 euros/);
    const trace = (await (await app.app.request(`http://127.0.0.1/v1/traces/${run.traceId}`, { headers })).json()) as {
      operation: string;
      spans: Array<{ name: string; attributes: Record<string, unknown> }>;
    };
    assert.equal(trace.operation, 'agent');
    const tools = trace.spans.filter((s) => s.name === 'agent.tool');
    assert.deepEqual(
      tools.map((s) => s.attributes['groundwork.tool.name']),
      ['search', 'action_create_note'],
    );
    assert.match(String(tools[0]?.attributes['groundwork.tool.input']), /coastal flood deductible/);
    const pending = (await (await app.app.request('http://127.0.0.1/v1/proposals?status=proposed', { headers })).json()) as {
      proposals: Array<{ id: string; proposer: string }>;
    };
    assert.equal(pending.proposals[0]?.proposer, 'agent:underwriting-qa');
  });
});
