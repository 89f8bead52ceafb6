import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { generatedClaimsFixture, writePolicyFolder } from '../../test/helpers/claims-fixtures.ts';
import { runGroundwork } from '../../test/helpers/run-cli.ts';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { importClaims } from '../claims/index.ts';
import { localOperator, type Role } from '../core/index.ts';
import { createApiKey } from '../govern/index.ts';
import { addSource } from '../ingest/index.ts';
import { startWorker } from '../worker.ts';
import { createApp, startServer } from './index.ts';

type Json = { error?: { code: string; message: string } } & Record<string, unknown>;

const keys: Record<string, { role: Role; principals: string[] }> = {
  viewer: { role: 'viewer', principals: ['user:vic@example.com', 'group:claims'] },
  alice: { role: 'user', principals: ['user:alice@example.com', 'group:claims'] },
  bob: { role: 'user', principals: ['user:bob@example.com', 'group:claims'] },
  sam: { role: 'user', principals: ['user:sam@example.com', 'group:claims', 'group:claims-senior'] },
  eve: { role: 'builder', principals: ['user:eve@example.com', 'group:underwriting'] },
};

describe(`claims over HTTP (${testStoreKind})`, () => {
  test('queue, summary, upload, review and metrics; low-privilege keys and other adjusters get 403/404, never data; bad input is a 4xx with a code', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gw-claims-http-'));
    const platform = await createTestPlatform({
      dataDir: join(dir, 'data'),
      claims: { documentsDir: join(dir, 'claim-docs'), maxUploadBytes: 4096, policySources: ['policies'] },
    });
    const built = createApp(platform, { webRoot: false, authCacheMs: 0 });
    // The workers: batch processing, and in server mode the syncs of uploads (decision 0014).
    const worker = await startWorker(platform, { only: ['claims-process', 'sync-source'] });
    try {
      const policy = await writePolicyFolder(dir);
      await addSource(platform.db, {
        name: 'policies',
        type: 'filesystem',
        path: policy.claimsDir,
        readableBy: ['group:claims'],
      });
      await platform.ingestion.sync({ source: 'policies' });
      const fx = await generatedClaimsFixture(join(dir, 'import'));
      const [FT, SIU, NI] = [fx.fastTrack.claimNumber, fx.siu.claimNumber, fx.needsInfo.claimNumber];
      await importClaims(platform, localOperator, fx.dir);
      const tokens = new Map<string, string>();
      for (const [name, spec] of Object.entries(keys)) {
        tokens.set(name, (await createApiKey(platform.db, { name, ...spec }, { actor: localOperator.id })).token);
      }
      const call = async (who: string, method: string, path: string, body?: unknown, raw?: { body: BodyInit; type?: string }) => {
        const headers: Record<string, string> = { authorization: `Bearer ${tokens.get(who)}` };
        if (body !== undefined) headers['content-type'] = 'application/json';
        if (raw?.type) headers['content-type'] = raw.type;
        const response = await built.app.request(`http://127.0.0.1${path}`, {
          method,
          headers,
          ...(body !== undefined ? { body: JSON.stringify(body) } : raw ? { body: raw.body } : {}),
        });
        return { status: response.status, body: (await response.json()) as Json };
      };

      // Low privilege: 403 everywhere, no data.
      for (const [method, path] of [
        ['GET', '/v1/claims'],
        ['GET', `/v1/claims/${FT}`],
        ['GET', '/v1/claims/metrics'],
        ['POST', `/v1/claims/${FT}/process`],
      ] as const) {
        const r = await call('viewer', method, path);
        assert.equal(r.status, 403, `${method} ${path}`);
        assert.ok(!JSON.stringify(r.body).includes(FT) || path.includes(FT));
      }
      // Eve may use the API but may read no claim document: the claims do not exist for her.
      assert.deepEqual((await call('eve', 'GET', '/v1/claims')).body.claims, []);
      assert.equal((await call('eve', 'GET', `/v1/claims/${FT}`)).status, 404);

      assert.equal((await call('alice', 'POST', `/v1/claims/${FT}/process`)).status, 200);
      assert.equal((await call('bob', 'POST', `/v1/claims/${SIU}/process`)).status, 200);
      assert.equal((await call('alice', 'POST', `/v1/claims/${NI}/process`)).status, 200);
      // Many claims: a claims-process job for the workers, run as the caller (their claims only).
      assert.equal((await call('viewer', 'POST', '/v1/claims/process', { all: true })).status, 403);
      const batch = await call('alice', 'POST', '/v1/claims/process?wait=true', { all: true });
      assert.equal(batch.status, 200, JSON.stringify(batch.body));
      assert.equal(batch.body.processed, 2);
      assert.deepEqual(batch.body.failed, []);
      // Adjuster A cannot see B's claim.
      const other = await call('alice', 'GET', `/v1/claims/${SIU}`);
      assert.equal(other.status, 404);
      assert.equal(other.body.error?.code, 'claims.not_found');
      const queue = await call('sam', 'GET', '/v1/claims?tier=fast_track&adjuster=alice@example.com');
      assert.deepEqual(
        (queue.body.claims as { claimNumber: string }[]).map((c) => c.claimNumber),
        [FT],
      );
      assert.equal((await call('sam', 'GET', '/v1/claims?tier=nope')).body.error?.code, 'claims.invalid_filter');

      const summary = await call('alice', 'GET', `/v1/claims/${FT}`);
      assert.equal(summary.status, 200);
      const extracted = summary.body.extracted as Record<
        string,
        { value: unknown; citation: { documentId: string; page: number } | null }
      >;
      assert.equal(extracted.policyNumber?.value, fx.fastTrack.fields.policyNumber);
      assert.ok(extracted.policyNumber?.citation?.documentId && extracted.policyNumber.citation.page >= 1);
      assert.equal(summary.body.tier, fx.fastTrack.tier);
      const pages = await call('alice', 'GET', `/v1/claims/${FT}/documents/${extracted.policyNumber?.citation?.documentId}`);
      assert.equal(pages.status, 200, JSON.stringify(pages.body));
      assert.ok(JSON.stringify(pages.body.pages).includes(String(fx.fastTrack.fields.policyNumber)));

      // Upload: multipart, size-limited, bad input.
      const form = new FormData();
      form.set('file', new File([new TextEncoder().encode('Adjuster note: bumper only.')], 'note.txt', { type: 'text/plain' }));
      const uploaded = await call('alice', 'POST', `/v1/claims/${FT}/documents`, undefined, { body: form });
      assert.equal(uploaded.status, 201);
      assert.equal(uploaded.body.status, 'indexed');
      const big = new FormData();
      big.set('file', new File([new Uint8Array(5000)], 'big.pdf'));
      const tooLarge = await call('alice', 'POST', `/v1/claims/${FT}/documents`, undefined, { body: big });
      assert.equal(tooLarge.status, 413);
      assert.equal(tooLarge.body.error?.code, 'claims.too_large');
      const huge = new FormData();
      huge.set('file', new File([new Uint8Array(200_000)], 'huge.pdf'));
      const wayTooLarge = await call('alice', 'POST', `/v1/claims/${FT}/documents`, undefined, { body: huge });
      assert.equal(wayTooLarge.status, 413);
      assert.equal(wayTooLarge.body.error?.code, 'claims.too_large');
      const notMultipart = await call('alice', 'POST', `/v1/claims/${FT}/documents`, { file: 'x' });
      assert.equal(notMultipart.status, 400);
      assert.equal(notMultipart.body.error?.code, 'claims.invalid_upload');
      const broken = await call('alice', 'POST', `/v1/claims/${FT}/documents`, undefined, {
        body: '--xyz\r\nContent-Disposition: form-data; name="other"\r\n\r\nhello\r\n--xyz--\r\n',
        type: 'multipart/form-data; boundary=xyz',
      });
      assert.equal(broken.status, 400);
      assert.equal(broken.body.error?.code, 'claims.invalid_upload');
      const unknown = await call('alice', 'POST', '/v1/claims/CL-9999/documents', undefined, { body: form });
      assert.equal(unknown.status, 404);
      assert.equal((await call('bob', 'POST', `/v1/claims/${FT}/documents`, undefined, { body: form })).status, 404);

      // Review: bad reason → 400; another adjuster → 404; the assigned adjuster decides.
      const badReason = await call('alice', 'POST', `/v1/claims/${FT}/review`, {
        override: 'not_covered',
        reason: 'bored',
        comment: 'x',
      });
      assert.equal(badReason.status, 400);
      assert.equal(badReason.body.error?.code, 'claims.invalid_override_reason');
      assert.match(badReason.body.error?.message ?? '', /coverage_misread/);
      assert.equal((await call('bob', 'POST', `/v1/claims/${FT}/review`, { accept: true })).status, 404);
      assert.equal((await call('viewer', 'POST', `/v1/claims/${FT}/review`, { accept: true })).status, 403);
      // Process again (the new note), then decide.
      await call('alice', 'POST', `/v1/claims/${FT}/process`);
      const decided = await call('alice', 'POST', `/v1/claims/${FT}/review`, {
        edits: { repairTotal: '2300' },
        comment: 'invoice',
      });
      assert.equal(decided.status, 200);
      assert.equal(decided.body.status, 'decided');
      // A senior-review claim is not the assigned adjuster's to decide.
      const senior = await call('alice', 'POST', `/v1/claims/${NI}/review`, { accept: true });
      assert.equal(senior.status, 403);
      assert.equal(senior.body.error?.code, 'claims.not_assigned');

      // Configuration versions: a governed change (pending until another person approves), bad input is a 400.
      const versions = await call('sam', 'GET', '/v1/claims/config');
      const current = (versions.body.versions as { version: number; config: Record<string, unknown> }[])[0];
      assert.equal(current?.version, 1);
      const { version: _version, ...config } = current?.config ?? {};
      const routing = { ...(config.routing as Record<string, number>), siuFraudScore: 0.7 };
      const proposed = await call('sam', 'PUT', '/v1/claims/config', {
        config: { ...config, routing },
        reason: 'fewer SIU referrals',
      });
      assert.equal(proposed.status, 202, JSON.stringify(proposed.body));
      const invalid = await call('sam', 'PUT', '/v1/claims/config', { config: { routing: { fastTrackConfidence: 3 } } });
      assert.equal(invalid.status, 400);
      assert.equal(invalid.body.error?.code, 'claims.invalid_config');
      assert.equal((await call('viewer', 'PUT', '/v1/claims/config', { config })).status, 403);

      const metrics = await call('sam', 'GET', '/v1/claims/metrics');
      assert.equal(metrics.status, 200);
      assert.equal(metrics.body.decided, 1);
      assert.equal((metrics.body.fieldAccuracy as { edited: number }).edited, 1);
    } finally {
      await worker.stop();
      await built.close();
      await platform.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('claims CLI (embedded data dir)', () => {
  test('import with progress, process --all, show --json with the contract fields, review, metrics --json; idempotent re-import', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'gw-claims-cli-'));
    try {
      const fx = await generatedClaimsFixture(join(cwd, 'import'));
      const [FT, SIU] = [fx.fastTrack.claimNumber, fx.siu.claimNumber];
      const folder = fx.dir;
      const run = (...args: string[]) => runGroundwork([...args, '--data-dir', join(cwd, 'data')], { cwd, timeoutMs: 240_000 });
      const imported = await run('claims', 'import', folder, '--json');
      assert.equal(imported.code, 0, imported.stderr);
      assert.equal(JSON.parse(imported.stdout).created, 3);
      const again = await run('claims', 'import', folder, '--json');
      assert.equal(JSON.parse(again.stdout).filesChanged, 0);
      const processed = await run('claims', 'process', '--all', '--json');
      assert.equal(processed.code, 0, processed.stderr);
      assert.equal(JSON.parse(processed.stdout).processed.length, 3);
      const shown = await run('claims', 'show', FT, '--json');
      const claim = JSON.parse(shown.stdout);
      assert.equal(typeof claim.extracted.lossDate.value, 'string');
      assert.deepEqual(Object.keys(claim.extracted.lossDate.citation).sort(), ['documentId', 'page', 'passage']);
      assert.equal(claim.extracted.policeReportNumber.value, fx.fastTrack.fields.policeReportNumber);
      assert.equal(typeof claim.fraud.score, 'number');
      assert.ok(Array.isArray(claim.fraud.indicators));
      assert.equal(claim.determination.outcome, fx.fastTrack.outcome);
      assert.equal(typeof claim.determination.confidence, 'number');
      assert.ok(Array.isArray(claim.determination.terms));
      assert.equal(claim.tier, fx.fastTrack.tier);
      const siu = JSON.parse((await run('claims', 'show', SIU, '--json')).stdout);
      const indicators = siu.fraud.indicators as { code: string; evidence: unknown[] }[];
      for (const expected of fx.siu.fraudPatterns) {
        assert.ok((indicators.find((i) => i.code === expected)?.evidence.length ?? 0) > 0, expected);
      }
      const badReason = await run('claims', 'review', FT, '--override', 'not_covered', '--reason', 'nope', '--comment', 'x');
      assert.notEqual(badReason.code, 0);
      assert.match(badReason.stderr, /claims\.invalid_override_reason/);
      const reviewed = await run('claims', 'review', FT, '--accept');
      assert.equal(reviewed.code, 0, reviewed.stderr);
      const listed = JSON.parse((await run('claims', 'list', '--tier', 'siu_referral', '--json')).stdout);
      assert.deepEqual(
        listed.claims.map((c: { claimNumber: string }) => c.claimNumber),
        [SIU],
      );
      const metrics = JSON.parse((await run('claims', 'metrics', '--json')).stdout);
      assert.equal(metrics.decided, 1);
      assert.equal(metrics.straightThroughRate, 1);
      const text = await run('claims', 'metrics');
      assert.match(text.stdout, /Straight-through 100\.0%/);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});

describe(`claims CLI against a server (${testStoreKind})`, () => {
  test('--server: list, show --json and review go through the API with the key’s access', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gw-claims-remote-'));
    const platform = await createTestPlatform({
      dataDir: join(dir, 'data'),
      claims: { documentsDir: join(dir, 'claim-docs') },
    });
    const server = await startServer(platform, { host: '127.0.0.1', port: 0, webRoot: false, authCacheMs: 0 });
    try {
      const fx = await generatedClaimsFixture(join(dir, 'import'));
      const [FT, SIU, NI] = [fx.fastTrack.claimNumber, fx.siu.claimNumber, fx.needsInfo.claimNumber];
      await importClaims(platform, localOperator, fx.dir);
      const { token } = await createApiKey(
        platform.db,
        { name: 'alice', role: 'user', principals: ['user:alice@example.com', 'group:claims'] },
        { actor: localOperator.id },
      );
      const run = (...args: string[]) => runGroundwork(['--server', server.url, '--api-key', token, ...args]);
      const processed = await run('claims', 'process', FT, '--json');
      assert.equal(processed.code, 0, processed.stderr);
      const listed = JSON.parse((await run('claims', 'list', '--json')).stdout);
      assert.deepEqual(listed.claims.map((c: { claimNumber: string }) => c.claimNumber).sort(), [FT, NI].sort());
      const shown = JSON.parse((await run('claims', 'show', FT, '--json')).stdout);
      assert.equal(shown.extracted.policyNumber.value, fx.fastTrack.fields.policyNumber);
      assert.equal(typeof shown.extracted.policyNumber.citation.page, 'number');
      const other = await run('claims', 'show', SIU);
      assert.notEqual(other.code, 0);
      assert.match(other.stderr, /claims\.not_found/);
      const reviewed = await run('claims', 'review', FT, '--edit', 'repairTotal=2300', '--comment', 'invoice', '--json');
      assert.equal(reviewed.code, 0, reviewed.stderr);
      assert.ok(JSON.parse(reviewed.stdout).review.candidate.id);
    } finally {
      await server.close(1000);
      await platform.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
