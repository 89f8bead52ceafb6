import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import pg from 'pg';
import { runGroundwork } from '../../../test/helpers/run-cli.ts';
import { testDatabaseUrl, testStoreKind } from '../../../test/helpers/test-platform.ts';
import { loadConfig, silentLogger } from '../../core/index.ts';
import { createPlatform } from '../../create-platform.ts';
import { createApiKey } from '../../govern/index.ts';
import { addSource } from '../../ingest/index.ts';

const bin = fileURLToPath(new URL('../../../bin/groundwork.js', import.meta.url));

type ToolResult = {
  isError?: boolean;
  content: Array<{ type: string; text?: string }>;
  structuredContent?: Record<string, unknown>;
};

describe(`cli: groundwork mcp over stdio (${testStoreKind})`, () => {
  test('the SDK client spawns `groundwork mcp`: tools as the API key’s caller or --as principals; stdout is the protocol', {
    timeout: 300_000,
  }, async () => {
    const work = await mkdtemp(join(tmpdir(), 'gw-mcp-cli-'));
    let admin: pg.Client | undefined;
    let database: string | undefined;
    let store = ['--data-dir', join(work, 'data')];
    let flags: Record<string, unknown> = { dataDir: join(work, 'data') };
    if (testDatabaseUrl) {
      database = `gw_mcp_cli_${process.pid}_${Date.now()}`;
      admin = new pg.Client({ connectionString: testDatabaseUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${database}`);
      const url = new URL(testDatabaseUrl);
      url.pathname = `/${database}`;
      store = ['--database-url', url.href];
      flags = { databaseUrl: url.href };
    }
    const clients: Client[] = [];
    const spawnClient = async (args: string[], env: Record<string, string> = {}) => {
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: [bin, ...store, 'mcp', ...args],
        cwd: work,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
        stderr: 'pipe',
      });
      let stderr = '';
      transport.stderr?.on('data', (data) => {
        stderr += data;
      });
      const client = new Client({ name: 'groundwork-stdio-test', version: '1.0.0' });
      await client.connect(transport);
      clients.push(client);
      return { client, stderr: () => stderr };
    };
    const call = async (client: Client, name: string, args: Record<string, unknown>) =>
      (await client.callTool({ name, arguments: args })) as ToolResult;
    try {
      const folder = join(work, 'share');
      mkdirSync(join(folder, 'claims'), { recursive: true });
      writeFileSync(
        join(folder, 'claims', 'cl-0142.txt'),
        'Claim CL-0142 water damage. The adjuster approved a payment of 18,400 dollars for the kitchen ceiling.\n',
      );
      writeFileSync(
        join(folder, 'hours.txt'),
        'The claims office is open from nine to five on weekdays for water damage claims.\n',
      );
      const aclMap = join(work, 'acl.yaml');
      writeFileSync(aclMap, 'default: [group:staff]\nrules:\n  - match: "claims/**"\n    principals: [group:claims]\n');
      // The store is closed again before the CLI opens it (the embedded store belongs to one process).
      const platform = await createPlatform(loadConfig({ env: {}, cwd: work, flags }), { logger: silentLogger });
      let adjusterKey: string;
      let staffKey: string;
      try {
        await addSource(platform.db, { name: 'share', type: 'filesystem', path: folder, aclMapPath: aclMap });
        await platform.ingestion.sync({ source: 'share' });
        adjusterKey = (
          await createApiKey(
            platform.db,
            { name: 'adjuster', role: 'user', principals: ['user:cal@x.test', 'group:claims', 'group:staff'] },
            { actor: 'local:operator' },
          )
        ).token;
        staffKey = (
          await createApiKey(
            platform.db,
            { name: 'staff', role: 'viewer', principals: ['user:sam@x.test', 'group:staff'] },
            { actor: 'local:operator' },
          )
        ).token;
      } finally {
        await platform.close();
      }

      // As the adjuster's API key: the claim file is readable.
      const adjuster = await spawnClient(['--api-key-env', 'GW_MCP_KEY'], {
        GW_MCP_KEY: adjusterKey,
        GROUNDWORK_LOG_LEVEL: 'info',
      });
      const { tools } = await adjuster.client.listTools();
      assert.deepEqual(
        tools.map((t) => [t.name, t.annotations?.readOnlyHint]),
        [
          ['search', true],
          ['answer', true],
          ['fetch_document', true],
          ['propose_action', false],
        ],
      );
      // propose_action goes through the actions feature: the built-in create_note is listed for a user.
      assert.match(tools.find((t) => t.name === 'propose_action')?.description ?? '', /create_note/);
      const searched = await call(adjuster.client, 'search', { query: 'adjuster payment kitchen ceiling' });
      const passages = (searched.structuredContent?.passages ?? []) as Array<{ documentId: string; text: string }>;
      const claim = passages.find((p) => /18,400/.test(p.text));
      assert.ok(claim, JSON.stringify(searched));
      const answered = await call(adjuster.client, 'answer', {
        question: 'What payment did the adjuster approve for claim CL-0142?',
        useCase: 'default',
      });
      assert.match(JSON.stringify(answered.structuredContent), /18,400/);
      assert.match(
        (await call(adjuster.client, 'fetch_document', { documentId: claim.documentId })).content[0]?.text ?? '',
        /18,400/,
      );
      const unknown = await call(adjuster.client, 'propose_action', { action: 'x', input: {} });
      assert.equal(unknown.isError, true);
      assert.match(unknown.content[0]?.text ?? '', /actions\.unknown_action/);
      // Logs went to stderr (JSON lines, never the arguments); stdout carried only the protocol.
      assert.match(adjuster.stderr(), /"mcp tool call"/);
      assert.doesNotMatch(adjuster.stderr(), /kitchen ceiling/);
      // Closing stdin ends the process (and its hold on the embedded store: one process at a time).
      for (const client of clients.splice(0)) await client.close();

      // A viewer key: search works, the claim is not readable, answer needs the `ask` scope.
      const staff = await spawnClient(['--api-key-env', 'GW_MCP_KEY'], { GW_MCP_KEY: staffKey });
      const staffSearch = await call(staff.client, 'search', { query: 'adjuster payment kitchen ceiling water damage' });
      assert.doesNotMatch(JSON.stringify(staffSearch), /18,400/);
      const fetched = await call(staff.client, 'fetch_document', { documentId: claim.documentId });
      assert.match(fetched.content[0]?.text ?? '', /documents\.not_found/);
      const denied = await call(staff.client, 'answer', { question: 'What payment?', useCase: 'default' });
      assert.match(denied.content[0]?.text ?? '', /auth\.forbidden/);
      for (const client of clients.splice(0)) await client.close();

      // --as principals: exactly what those principals may read.
      const asStaff = await spawnClient(['--as', 'group:staff']);
      const asSearch = await call(asStaff.client, 'search', { query: 'claims office water damage' });
      const asPassages = (asSearch.structuredContent?.passages ?? []) as Array<{ text: string }>;
      assert.ok(asPassages.length > 0);
      assert.doesNotMatch(JSON.stringify(asSearch), /18,400/);
      for (const client of clients.splice(0)) await client.close();

      // Bad invocations: clear errors on stderr, usage exit code, nothing on stdout.
      const empty = await runGroundwork([...store, 'mcp', '--api-key-env', 'GW_UNSET'], { cwd: work });
      assert.equal(empty.code, 2, empty.stderr);
      assert.match(empty.stderr, /GW_UNSET: that environment variable is empty/);
      assert.equal(empty.stdout, '');
      const revoked = await runGroundwork([...store, 'mcp', '--api-key-env', 'GW_MCP_KEY'], {
        cwd: work,
        env: { GW_MCP_KEY: 'gw_this_key_does_not_exist_0000000000' },
      });
      assert.notEqual(revoked.code, 0);
      assert.match(revoked.stderr, /auth\.invalid_key/);
    } finally {
      for (const client of clients) await client.close().catch(() => {});
      await rm(work, { recursive: true, force: true });
      if (admin && database) {
        await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
        await admin.end();
      }
    }
  });
});
