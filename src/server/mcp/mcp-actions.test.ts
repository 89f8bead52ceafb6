import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { seedCorpus } from '../../../test/helpers/review-corpus.ts';
import { createTestPlatform, testStoreKind } from '../../../test/helpers/test-platform.ts';
import { approveProposal, getProposal, type ProposalDetail } from '../../actions/index.ts';
import { callerWithPrincipals, type GroundworkError } from '../../core/index.ts';
import type { Platform } from '../../create-platform.ts';
import { createApiKey } from '../../govern/index.ts';
import { actionDeps } from '../../worker.ts';
import { type RunningServer, startServer } from '../index.ts';

type ToolResult = {
  isError?: boolean;
  content: Array<{ type: string; text?: string }>;
  structuredContent?: Record<string, unknown>;
};

async function connect(url: string, token: string): Promise<Client> {
  const client = new Client({ name: 'groundwork-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL('/mcp', url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }),
  );
  return client;
}

/**
 * `propose_action` on a running server goes through the actions feature itself (not a port stand-in): the
 * proposal exists with the caller as proposer, the proposer cannot approve it, another approver can.
 */
describe(`MCP propose_action through the actions feature (${testStoreKind})`, () => {
  let platform: Platform;
  let server: RunningServer;
  const clients: Client[] = [];
  before(async () => {
    platform = await createTestPlatform();
    await seedCorpus(platform);
    server = await startServer(platform, { host: '127.0.0.1', port: 0, webRoot: false });
  });
  after(async () => {
    for (const client of clients) await client.close().catch(() => {});
    await server.close();
    await platform.close();
  });

  const key = async (name: string, role: 'viewer' | 'user' | 'reviewer', principals: string[]) =>
    (await createApiKey(platform.db, { name, role, principals }, { actor: 'local:operator' })).token;

  test('a user proposes create_note; the proposal waits for someone else; a viewer may propose nothing', async () => {
    const alice = await connect(server.url, await key('alice', 'user', ['user:alice@example.com', 'group:underwriting']));
    clients.push(alice);
    const { tools } = await alice.listTools();
    assert.match(tools.find((tool) => tool.name === 'propose_action')?.description ?? '', /create_note/);

    const result = (await alice.callTool({
      name: 'propose_action',
      arguments: {
        action: 'create_note',
        input: { useCase: 'underwriting-qa', text: 'Coastal flood deductible looks outdated.' },
        reasoning: 'The guide says 1000 euros; the 2026 tariff says 1500.',
      },
    })) as ToolResult;
    assert.notEqual(result.isError, true, JSON.stringify(result));
    const proposal = (result.structuredContent?.proposal ??
      JSON.parse(result.content[0]?.text ?? '{}').proposal) as ProposalDetail;
    assert.equal(proposal.status, 'proposed');
    assert.equal(proposal.action, 'create_note');

    const deps = actionDeps(platform);
    const aliceCaller = callerWithPrincipals(['user:alice@example.com', 'group:underwriting']);
    const stored = await getProposal(deps, aliceCaller, proposal.id);
    assert.equal(stored.reasoning, 'The guide says 1000 euros; the 2026 tariff says 1500.');
    // The proposer (even with an approver's role) may not approve their own proposal.
    const aliceAsReviewer = callerWithPrincipals(['user:alice@example.com', 'group:underwriting'], 'reviewer');
    await assert.rejects(
      approveProposal(deps, aliceAsReviewer, proposal.id, { inputHash: stored.inputHash }),
      (error: GroundworkError) => /own/.test(error.code + error.message),
    );
    const rita = callerWithPrincipals(['user:rita@example.com', 'group:underwriting'], 'reviewer');
    const approved = await approveProposal(deps, rita, proposal.id, { inputHash: stored.inputHash });
    assert.equal(approved.approvedBy, rita.id);

    // Schema failure: rejected before any proposal exists, with the actions feature's code.
    const bad = (await alice.callTool({
      name: 'propose_action',
      arguments: { action: 'create_note', input: { useCase: 'underwriting-qa' } },
    })) as ToolResult;
    assert.equal(bad.isError, true);
    assert.match(bad.content[0]?.text ?? '', /actions\./);

    const viewer = await connect(server.url, await key('viewer', 'viewer', ['group:underwriting']));
    clients.push(viewer);
    const viewerTools = await viewer.listTools();
    assert.match(
      viewerTools.tools.find((tool) => tool.name === 'propose_action')?.description ?? '',
      /may not propose any action/,
    );
    const refused = (await viewer.callTool({
      name: 'propose_action',
      arguments: { action: 'create_note', input: { useCase: 'underwriting-qa', text: 'x' } },
    })) as ToolResult;
    assert.equal(refused.isError, true);
  });
});
