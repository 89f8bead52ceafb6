import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createTestPlatform, testStoreKind } from '../../../test/helpers/test-platform.ts';
import { type Caller, callerWithPrincipals, GroundworkError, localOperator } from '../../core/index.ts';
import { createApiKey, listAudit, revokeKey } from '../../govern/index.ts';
import { addSource, requestSourceAclMap } from '../../ingest/index.ts';
import { readableDocumentIds } from '../../protect/index.ts';
import { setStage } from '../../rollout/index.ts';
import { insertAclCorpus, principalPool, prng, words } from '../fixtures/acl-corpus.ts';
import { actionsPortFrom, type McpActionsPort, startServer } from '../index.ts';

type ToolResult = {
  isError?: boolean;
  content: Array<{ type: string; text?: string }>;
  structuredContent?: Record<string, unknown>;
};
type Passage = { documentId: string; chunkId: string; text: string; uri: string; title: string; score: number };

/** An MCP client of the SDK over Streamable HTTP, with an `Authorization: Bearer` header when a token is given. */
async function connect(url: string, token?: string): Promise<Client> {
  const client = new Client({ name: 'groundwork-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL('/mcp', url), {
    requestInit: token ? { headers: { authorization: `Bearer ${token}` } } : {},
  });
  await client.connect(transport);
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<ToolResult> {
  return (await client.callTool({ name, arguments: args })) as ToolResult;
}

function errorOf(result: ToolResult): { code: string; message: string; fix?: string } {
  assert.equal(result.isError, true, `expected a tool error, got ${JSON.stringify(result).slice(0, 300)}`);
  return (JSON.parse(result.content[0]?.text ?? '{}') as { error: { code: string; message: string; fix?: string } }).error;
}

/**
 * A small stand-in for the actions feature's `listInvokableActions` / `proposeAction` (one action, its input
 * checked before proposing), wired through `actionsPortFrom` as the composition root will wire the real ones.
 */
function fakeActions(): McpActionsPort & {
  proposed: Array<{ caller: string; name: string; input: unknown; reasoning?: string }>;
} {
  const proposed: Array<{ caller: string; name: string; input: unknown; reasoning?: string }> = [];
  const port = actionsPortFrom(
    { proposed },
    {
      async listInvokableActions(_deps, caller: Caller) {
        if (!caller.principals.includes('group:claims')) return [];
        return [
          {
            name: 'create_claim_note',
            description: 'Add a note to a claim file.',
            inputSchema: {
              type: 'object',
              properties: { claimId: { type: 'string' }, note: { type: 'string' } },
              required: ['claimId', 'note'],
            },
            hints: { readOnly: false, destructive: false, idempotent: true },
          },
        ];
      },
      async proposeAction(deps, caller, { action: name, input, reasoning }) {
        if (name !== 'create_claim_note' || !caller.principals.includes('group:claims')) {
          throw new GroundworkError('auth.forbidden', `${caller.id} may not propose ${name}.`, {
            category: 'forbidden',
            fix: 'Propose one of the actions propose_action lists.',
          });
        }
        if (typeof input.claimId !== 'string' || typeof input.note !== 'string') {
          throw new GroundworkError('request.invalid', 'The input of create_claim_note needs claimId and note.', {
            category: 'usage',
            fix: 'Pass {claimId, note}.',
          });
        }
        deps.proposed.push({ caller: caller.id, name, input, ...(reasoning ? { reasoning } : {}) });
        return { id: `prop_${deps.proposed.length}`, state: 'proposed', action: name };
      },
    },
  );
  return { ...port, proposed };
}

describe(`MCP over Streamable HTTP (${testStoreKind})`, () => {
  test('tools with annotations; search, answer, fetch_document and propose_action; auth failures and scopes', async () => {
    const platform = await createTestPlatform({ server: { rateLimit: { requestsPerSecond: 0 } } });
    const actions = fakeActions();
    const server = await startServer(platform, {
      host: '127.0.0.1',
      port: 0,
      webRoot: false,
      authCacheMs: 0,
      mcpActions: actions,
    });
    const clients: Client[] = [];
    try {
      const corpus = await insertAclCorpus(platform.db, prng(5), 30);
      const key = async (name: string, role: 'viewer' | 'user', principals: string[]) =>
        (await createApiKey(platform.db, { name, role, principals }, { actor: 'local:operator' })).token;
      const user = await key('claims-user', 'user', ['user:ann@x.test', 'group:claims', 'group:underwriting']);
      const viewer = await key('viewer', 'viewer', ['group:claims']);

      const client = await connect(server.url, user);
      clients.push(client);
      const { tools } = await client.listTools();
      assert.deepEqual(
        tools.map((t) => t.name),
        ['search', 'answer', 'fetch_document', 'propose_action'],
      );
      const byName = new Map(tools.map((t) => [t.name, t]));
      for (const name of ['search', 'answer', 'fetch_document']) {
        assert.equal(byName.get(name)?.annotations?.readOnlyHint, true, `${name} is read-only`);
      }
      assert.equal(byName.get('propose_action')?.annotations?.readOnlyHint, false);
      assert.deepEqual(byName.get('answer')?.inputSchema.required, ['question', 'useCase']);
      assert.match(byName.get('answer')?.description ?? '', /default/, 'the use cases the caller may ask are named');
      assert.match(byName.get('propose_action')?.description ?? '', /create_claim_note/);

      // search: passages of readable documents, with ids, text, score and the citation uri.
      const searched = await call(client, 'search', { query: words.slice(0, 12).join(' '), limit: 20 });
      assert.notEqual(searched.isError, true, JSON.stringify(searched));
      const passages = (searched.structuredContent?.passages ?? []) as Passage[];
      assert.ok(passages.length > 0);
      const readable = await readableDocumentIds(
        platform.db,
        callerWithPrincipals(['user:ann@x.test', 'group:claims', 'group:underwriting']),
        [...corpus.principalsOf.keys()],
      );
      for (const p of passages) {
        assert.ok(readable.has(p.documentId), `${p.documentId} is readable`);
        assert.ok(p.chunkId && p.text && p.uri.startsWith('file:///') && p.title && typeof p.score === 'number');
      }
      assert.deepEqual(JSON.parse(searched.content[0]?.text ?? ''), searched.structuredContent, 'text mirrors the structure');

      // search within a use case: its sources and audience apply, as to its answers.
      await platform.answerer.useCases.create('acl-share', { sources: ['acl'] });
      await platform.answerer.useCases.create('elsewhere', { sources: ['another-share'] });
      await platform.answerer.useCases.create('legal-only', { principals: ['group:legal'] });
      const draft = errorOf(await call(client, 'search', { query: 'claim', useCase: 'acl-share' }));
      assert.equal(draft.code, 'rollout.not_available', 'a draft use case is not searchable either');
      for (const name of ['acl-share', 'elsewhere', 'legal-only']) {
        await setStage(platform.governance, platform.db, localOperator, name, { stage: 'general' });
      }
      const inShare = await call(client, 'search', { query: words.slice(0, 12).join(' '), useCase: 'acl-share' });
      assert.ok(((inShare.structuredContent?.passages ?? []) as Passage[]).length > 0, JSON.stringify(inShare));
      const elsewhere = await call(client, 'search', { query: words.slice(0, 12).join(' '), useCase: 'elsewhere' });
      assert.deepEqual(elsewhere.structuredContent?.passages, [], "nothing outside the use case's sources");
      assert.equal(errorOf(await call(client, 'search', { query: 'claim', useCase: 'legal-only' })).code, 'auth.forbidden');
      assert.equal(errorOf(await call(client, 'search', { query: 'claim', useCase: 'no-such-case' })).code, 'use_case.not_found');

      // answer: cited, through the answerer (extractive here), traced like /v1/answers.
      const answered = await call(client, 'answer', { question: `What about ${words[0]} and ${words[1]}?`, useCase: 'default' });
      assert.notEqual(answered.isError, true, JSON.stringify(answered));
      const answer = answered.structuredContent as { answer: string; citations: Array<{ documentId: string }>; traceId: string };
      assert.ok(answer.traceId.startsWith('trc'));
      for (const c of answer.citations) assert.ok(readable.has(c.documentId));
      await platform.observe.recorder.flush();
      const trace = await platform.db.query<{ operation: string; caller_id: string }>(
        'SELECT operation, caller_id FROM traces WHERE id = $1',
        [answer.traceId],
      );
      assert.equal(trace.rows[0]?.operation, 'answer');
      assert.equal(trace.rows[0]?.caller_id, 'user:ann@x.test', 'the key’s caller, as over /v1');

      // fetch_document: the text of a readable document; an unreadable one is the API's not-found.
      const readableId = [...readable][0] as string;
      type Page = { documentId: string; text: string; chunks: Array<{ chunkId: string }>; nextChunk: number | null };
      const whole = (await call(client, 'fetch_document', { documentId: readableId })).structuredContent as Page;
      assert.equal(whole.documentId, readableId);
      assert.equal(whole.chunks.length, 3, 'the whole document fits the default page');
      assert.equal(whole.nextChunk, null);
      // Paged: whole chunks up to maxChars, then the rest from nextChunk; together the whole document.
      const pages: Page[] = [];
      let from: number | null = 0;
      while (from !== null) {
        const result = await call(client, 'fetch_document', { documentId: readableId, fromChunk: from, maxChars: 500 });
        assert.notEqual(result.isError, true, JSON.stringify(result));
        const page = result.structuredContent as Page;
        assert.ok(page.chunks.length >= 1 && page.text.length <= 500 + 2 * page.chunks.length, 'within the budget');
        pages.push(page);
        from = page.nextChunk;
      }
      assert.ok(pages.length >= 2, 'the budget split the document');
      assert.deepEqual(
        pages.flatMap((p) => p.chunks.map((c) => c.chunkId)),
        whole.chunks.map((c) => c.chunkId),
      );
      await platform.observe.recorder.flush();
      const reads = await platform.db.query<{ caller_id: string; attributes: { 'groundwork.retrieved'?: unknown[] } }>(
        "SELECT caller_id, attributes FROM traces WHERE operation = 'document'",
      );
      assert.ok(reads.rows.length >= pages.length, 'every fetch_document call is traced');
      assert.ok(reads.rows.every((r) => r.caller_id === 'user:ann@x.test'));
      const hidden = [...corpus.principalsOf.keys()].find((id) => !readable.has(id)) as string;
      const unreadable = errorOf(await call(client, 'fetch_document', { documentId: hidden }));
      const missing = errorOf(await call(client, 'fetch_document', { documentId: 'doc_nope' }));
      assert.equal(unreadable.code, 'documents.not_found');
      assert.equal(unreadable.message.replace(hidden, 'X'), missing.message.replace('doc_nope', 'X'), 'no existence oracle');

      // Bad arguments: a Groundwork error code naming the argument and the fix, never a stack.
      const invalid = errorOf(await call(client, 'search', { query: '', limit: 500 }));
      assert.equal(invalid.code, 'request.invalid');
      assert.match(invalid.message, /arguments\.query/);
      assert.match(invalid.message, /arguments\.limit/);
      assert.ok(invalid.fix);
      // The answerer's rules: a refusal when nothing supports an answer, a draft use case not rolled out.
      const refused = await call(client, 'answer', {
        question: 'Which zeppelin hangar hosts the xylophone gala?',
        useCase: 'default',
      });
      assert.equal(refused.structuredContent?.refused, true, JSON.stringify(refused));
      assert.deepEqual(refused.structuredContent?.citations, []);
      await platform.answerer.useCases.create('drafty', {});
      assert.equal(
        errorOf(await call(client, 'answer', { question: 'What about claims?', useCase: 'drafty' })).code,
        'rollout.not_available',
      );
      const unknownUseCase = errorOf(await call(client, 'answer', { question: 'Hello?', useCase: 'nope' }));
      assert.equal(unknownUseCase.code, 'use_case.not_found');

      // propose_action through the port: the caller, input and reasoning reach it; its errors come back coded.
      const proposed = await call(client, 'propose_action', {
        action: 'create_claim_note',
        input: { claimId: 'CL-1', note: 'Call the claimant back.' },
        reasoning: 'The claimant asked for a call.',
      });
      assert.notEqual(proposed.isError, true, JSON.stringify(proposed));
      assert.deepEqual(proposed.structuredContent, {
        proposal: { id: 'prop_1', state: 'proposed', action: 'create_claim_note' },
      });
      assert.equal(actions.proposed[0]?.reasoning, 'The claimant asked for a call.');
      assert.equal(actions.proposed[0]?.caller, 'user:ann@x.test');
      assert.equal(
        errorOf(await call(client, 'propose_action', { action: 'create_claim_note', input: {} })).code,
        'request.invalid',
      );

      // A key whose role lacks a tool's scope: forbidden per tool call (and audited), other tools still work.
      const viewing = await connect(server.url, viewer);
      clients.push(viewing);
      const denied = errorOf(await call(viewing, 'answer', { question: 'Hello?', useCase: 'default' }));
      assert.equal(denied.code, 'auth.forbidden');
      assert.match(denied.fix ?? '', /ask/);
      assert.notEqual((await call(viewing, 'search', { query: words[0] as string })).isError, true);
      const audit = await listAudit(platform.db, { action: 'access.denied' });
      assert.ok(
        audit.some((entry) => entry.target === 'mcp answer'),
        'the denial is in the audit log',
      );

      // No key, a wrong key, a revoked key: 401 with WWW-Authenticate, before any MCP message is handled.
      const post = (authorization?: string) =>
        fetch(new URL('/mcp', server.url), {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            ...(authorization ? { authorization } : {}),
          },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
        });
      const anonymous = await post();
      assert.equal(anonymous.status, 401);
      assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Bearer/);
      assert.equal(((await anonymous.json()) as { error: { code: string } }).error.code, 'auth.missing');
      assert.equal((await post('Bearer gw_not_a_real_key_000000000000')).status, 401);
      await assert.rejects(connect(server.url), /auth\.missing/, 'the SDK client cannot connect without a key');

      const revokable = await createApiKey(
        platform.db,
        { name: 'soon-revoked', role: 'user', principals: ['group:claims'] },
        {
          actor: 'local:operator',
        },
      );
      const before = await connect(server.url, revokable.token);
      clients.push(before);
      assert.notEqual((await call(before, 'search', { query: words[0] as string })).isError, true);
      await revokeKey(platform.db, localOperator, revokable.key.id);
      await assert.rejects(
        call(before, 'search', { query: words[0] as string }),
        /auth\.invalid_key/,
        'a revoked key fails at once',
      );

      // A web page in someone's browser cannot drive the endpoint (the spec's Origin check); audited as a denial.
      const fromPage = await fetch(new URL('/mcp', server.url), {
        method: 'POST',
        headers: {
          authorization: `Bearer ${user}`,
          origin: 'http://evil.test',
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
      assert.equal(fromPage.status, 403);
      assert.equal(((await fromPage.json()) as { error: { code: string } }).error.code, 'mcp.origin_refused');

      // Stateless: GET (no server-initiated stream) and DELETE (no session) are 405, naming POST.
      const get = await fetch(new URL('/mcp', server.url), { headers: { accept: 'text/event-stream' } });
      assert.equal(get.status, 405);
      assert.equal(get.headers.get('allow'), 'POST');
      // /mcp is listed in the OpenAPI document with the other routes.
      const openapi = (await (await fetch(new URL('/openapi.json', server.url))).json()) as { paths: Record<string, unknown> };
      assert.ok(openapi.paths['/mcp']);
    } finally {
      for (const c of clients) await c.close().catch(() => {});
      await server.close();
      await platform.close();
    }
  });

  test('randomized permissions: zero passages or text of unreadable documents across users, via every tool', async () => {
    const platform = await createTestPlatform({ server: { rateLimit: { requestsPerSecond: 0 } } });
    const server = await startServer(platform, { host: '127.0.0.1', port: 0, webRoot: false, authCacheMs: 0 });
    const clients: Client[] = [];
    try {
      const random = prng(20261204);
      const corpus = await insertAclCorpus(platform.db, random, 50);
      const allIds = [...corpus.principalsOf.keys()];
      let returned = 0;
      let refusedFetches = 0;
      for (let u = 0; u < 6; u++) {
        const principals = principalPool.filter(() => random() < 0.3);
        const { token } = await createApiKey(
          platform.db,
          { name: `u${u}`, role: 'user', principals },
          { actor: 'local:operator' },
        );
        // protect's readable set for these principals is the authority the tools must agree with.
        const readable = await readableDocumentIds(platform.db, callerWithPrincipals(principals), allIds);
        const client = await connect(server.url, token);
        clients.push(client);
        const leak = (documentId: string, via: string) =>
          assert.ok(
            readable.has(documentId),
            `[${principals}] got ${documentId} (readable by [${corpus.principalsOf.get(documentId)}]) via ${via}`,
          );
        for (let q = 0; q < 6; q++) {
          const query = Array.from(
            { length: 1 + Math.floor(random() * 3) },
            () => words[Math.floor(random() * words.length)],
          ).join(' ');
          const searched = await call(client, 'search', { query, limit: 25 });
          assert.notEqual(searched.isError, true, JSON.stringify(searched));
          for (const p of (searched.structuredContent?.passages ?? []) as Passage[]) {
            leak(p.documentId, `search "${query}"`);
            returned += 1;
          }
          // The text of a hidden document must not appear anywhere in a result, not only under its id.
          const answered = await call(client, 'answer', { question: `What about ${query}?`, useCase: 'default' });
          assert.notEqual(answered.isError, true, JSON.stringify(answered));
          for (const c of (answered.structuredContent?.citations ?? []) as Array<{ documentId: string; chunkId: string }>) {
            leak(c.documentId, `answer "${query}"`);
            returned += 1;
          }
          const target = allIds[Math.floor(random() * allIds.length)] as string;
          const fetched = await call(client, 'fetch_document', { documentId: target });
          if (readable.has(target)) {
            assert.notEqual(fetched.isError, true, JSON.stringify(fetched));
            assert.equal(fetched.structuredContent?.documentId, target);
            returned += 1;
          } else {
            assert.equal(errorOf(fetched).code, 'documents.not_found');
            assert.doesNotMatch(fetched.content[0]?.text ?? '', /chk_acl/, 'no chunk of it');
            refusedFetches += 1;
          }
        }
      }
      assert.ok(returned > 20, `the test returned content (${returned})`);
      assert.ok(refusedFetches > 0, 'the test tried unreadable documents');
    } finally {
      for (const c of clients) await c.close().catch(() => {});
      await server.close();
      await platform.close();
    }
  });

  test('revocation: once an ACL change takes a document away, the next tool call no longer returns it', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'gw-mcp-revoke-'));
    mkdirSync(join(folder, 'claims'));
    writeFileSync(
      join(folder, 'claims', 'cl-0142.txt'),
      'Claim CL-0142 water damage. The adjuster approved a payment of 18,400 dollars for the kitchen ceiling.\n',
    );
    writeFileSync(join(folder, 'hours.txt'), 'The claims office is open from nine to five on weekdays.\n');
    const aclMap = join(folder, '..', `${folder.split('/').pop()}-acl.yaml`);
    writeFileSync(aclMap, 'default: [group:staff]\nrules:\n  - match: "claims/**"\n    principals: [group:claims]\n');
    const platform = await createTestPlatform({ server: { rateLimit: { requestsPerSecond: 0 } } });
    const server = await startServer(platform, { host: '127.0.0.1', port: 0, webRoot: false, authCacheMs: 0 });
    let client: Client | undefined;
    try {
      await addSource(platform.db, { name: 'share', type: 'filesystem', path: folder, aclMapPath: aclMap });
      await platform.ingestion.sync({ source: 'share' });
      const { token } = await createApiKey(
        platform.db,
        { name: 'adjuster', role: 'user', principals: ['user:cal@x.test', 'group:claims', 'group:staff'] },
        { actor: 'local:operator' },
      );
      client = await connect(server.url, token);
      const question = { question: 'What payment did the adjuster approve for claim CL-0142?', useCase: 'default' };
      const searched = await call(client, 'search', { query: 'adjuster payment kitchen ceiling' });
      const claim = ((searched.structuredContent?.passages ?? []) as Passage[]).find((p) => /18,400/.test(p.text));
      assert.ok(claim, 'before: search finds the claim file');
      assert.match(JSON.stringify((await call(client, 'answer', question)).structuredContent), /18,400/);
      assert.match((await call(client, 'fetch_document', { documentId: claim.documentId })).content[0]?.text ?? '', /18,400/);

      writeFileSync(aclMap, 'default: [group:staff]\nrules:\n  - match: "claims/**"\n    principals: [group:claims-leads]\n');
      await requestSourceAclMap(platform.governance, platform.db, localOperator, 'share', aclMap);
      await platform.ingestion.sync({ source: 'share' });

      // The same connection, the next calls: the document is gone from every tool.
      const after = await call(client, 'search', { query: 'adjuster payment kitchen ceiling' });
      assert.doesNotMatch(JSON.stringify(after), /18,400|kitchen ceiling/);
      assert.doesNotMatch(JSON.stringify(await call(client, 'answer', question)), /18,400|kitchen ceiling/);
      const fetched = await call(client, 'fetch_document', { documentId: claim.documentId });
      assert.equal(errorOf(fetched).code, 'documents.not_found');
      assert.doesNotMatch(JSON.stringify(fetched), /18,400/);
    } finally {
      await client?.close().catch(() => {});
      await server.close();
      await platform.close();
    }
  });

  test('OIDC bearer tokens work like on /v1; the body limit and per-caller rate limit apply to /mcp', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'ES256' };
    const idp = createServer((_req, res) =>
      res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [jwk] })),
    );
    await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
    const issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
    const platform = await createTestPlatform({
      auth: { oidc: { issuer, audience: 'groundwork', jwksUrl: `${issuer}/jwks` } },
      server: { rateLimit: { requestsPerSecond: 0.01, burst: 6 }, bodyLimitBytes: 4096 },
    });
    const server = await startServer(platform, { host: '127.0.0.1', port: 0, webRoot: false, authCacheMs: 0 });
    let client: Client | undefined;
    try {
      const corpus = await insertAclCorpus(platform.db, prng(11), 20);
      const token = await new SignJWT({ email: 'eve@x.test', groups: ['claims'] })
        .setProtectedHeader({ alg: 'ES256', kid: 'idp-1' })
        .setIssuer(issuer)
        .setAudience('groundwork')
        .setExpirationTime('5m')
        .sign(privateKey);
      client = await connect(server.url, token);
      const searched = await call(client, 'search', { query: words.slice(0, 10).join(' '), limit: 20 });
      const passages = (searched.structuredContent?.passages ?? []) as Passage[];
      assert.ok(passages.length > 0, 'the token’s groups read documents');
      for (const p of passages) assert.ok(corpus.principalsOf.get(p.documentId)?.includes('group:claims'));
      await assert.rejects(connect(server.url, `${token}x`), /auth\./, 'a bad signature is refused');

      // The same limits as /v1: one request per POST counts against the caller's rate; big bodies are 413.
      const post = (body: string) =>
        server.app.app.request('http://127.0.0.1/mcp', {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
          },
          body,
        });
      const big = await post(JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list', params: { pad: 'x'.repeat(8000) } }));
      assert.equal(big.status, 413);
      let limited: Response | undefined;
      for (let i = 0; i < 10 && !limited; i++) {
        const response = await post(JSON.stringify({ jsonrpc: '2.0', id: i, method: 'ping' }));
        if (response.status === 429) limited = response;
      }
      assert.ok(limited, 'the per-caller rate limit applies');
      assert.equal(((await limited.json()) as { error: { code: string } }).error.code, 'rate_limit.exceeded');
      assert.ok(limited.headers.get('retry-after'));
    } finally {
      await client?.close().catch(() => {});
      await server.close();
      await platform.close();
      idp.close();
    }
  });
});
