import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { type Role, roles } from '../core/index.ts';
import type { Platform } from '../create-platform.ts';
import { createApiKey, listAudit, verifyAuditChain } from '../govern/index.ts';
import { startWorker } from '../worker.ts';
import { prng } from './fixtures/acl-corpus.ts';
import { createApp } from './index.ts';

type Caller = (path: string, body?: unknown, method?: string) => Promise<Response>;

/** Adds a source for `folder` as the builder, then removes the folder: its syncs fail as a share gone offline. */
async function createTestSourceAt(
  call: (role: Role, path: string, init?: { method?: string; body?: unknown }) => Promise<Response> | Response,
  folder: string,
): Promise<string> {
  const added = await call('builder', '/v1/sources', { method: 'POST', body: { name: 'offline', path: folder } });
  assert.equal(added.status, 201, await added.clone().text());
  rmSync(folder, { recursive: true, force: true });
  return 'offline';
}

describe(`sources, status and quarantine over HTTP (${testStoreKind})`, () => {
  test('roles × routes; add, sync, status, quarantine and remove; changes audited; settings only for writers', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'gw-api-src-'));
    mkdirSync(join(folder, 'claims'));
    writeFileSync(join(folder, 'claims', 'flood.txt'), 'Flood claims need photos of the damage and a loss adjuster report.\n');
    writeFileSync(join(folder, 'fire.md'), '# Fire\n\nFire policies exclude arson by the insured.\n');
    writeFileSync(join(folder, 'broken.pdf'), 'this is not a pdf');
    const platform = await createTestPlatform({
      // Source changes are governed by default (change-routes.test.ts); here they apply at once.
      governance: { governedKinds: [] },
      sources: { allowedRoots: [folder] },
      jobs: { pollingIntervalSeconds: 0.5, types: { 'sync-source': { retryLimit: 1, retryDelaySeconds: 1 } } },
    });
    const built = createApp(platform, { webRoot: false, authCacheMs: 0 });
    // Syncs run on the queue: a worker (here in the test process; in production `groundwork worker`) does them.
    const worker = await startWorker(platform);
    try {
      const tokens = {} as Record<Role, string>;
      for (const role of roles) {
        tokens[role] = (
          await createApiKey(platform.db, { name: role, role, principals: [`user:${role}@x.test`] }, { actor: 'local:operator' })
        ).token;
      }
      const call = (role: Role, path: string, init: { method?: string; body?: unknown } = {}) =>
        built.app.request(`http://127.0.0.1${path}`, {
          method: init.method ?? 'GET',
          headers: { authorization: `Bearer ${tokens[role]}`, 'content-type': 'application/json' },
          ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
        });

      for (const role of ['viewer', 'user', 'reviewer'] as const) {
        assert.equal((await call(role, '/v1/sources', { method: 'POST', body: { name: 'x', path: folder } })).status, 403, role);
      }
      const added = await call('builder', '/v1/sources', { method: 'POST', body: { name: 'policies', path: folder } });
      assert.equal(added.status, 201, await added.clone().text());
      assert.equal(
        (await call('builder', '/v1/sources', { method: 'POST', body: { name: 'policies', path: folder } })).status,
        409,
      );

      for (const role of roles) {
        const expected = role === 'builder' || role === 'admin' ? 200 : 403;
        if (expected === 403)
          assert.equal((await call(role, '/v1/sources/policies/sync?wait=true', { method: 'POST' })).status, 403);
      }
      const synced = await call('builder', '/v1/sources/policies/sync?wait=true', { method: 'POST' });
      assert.equal(synced.status, 200, await synced.clone().text());
      const summary = (await synced.json()) as { added: number; quarantined: Array<{ path: string }> };
      assert.equal(summary.added, 2);
      assert.equal(summary.quarantined.length, 1);

      const asViewer = (await (await call('viewer', '/v1/sources')).json()) as { sources: Array<Record<string, unknown>> };
      assert.equal(asViewer.sources[0]?.name, 'policies');
      assert.equal(asViewer.sources[0]?.settings, undefined, 'viewers do not see server paths');
      const asBuilder = (await (await call('builder', '/v1/sources')).json()) as {
        sources: Array<{ settings: { path: string } }>;
      };
      assert.equal(asBuilder.sources[0]?.settings.path, folder);

      const status = (await (await call('viewer', '/v1/status')).json()) as {
        sources: Array<{ documents: number; path?: string }>;
      };
      assert.equal(status.sources[0]?.documents, 2);
      assert.equal(status.sources[0]?.path, undefined);
      assert.equal((await call('viewer', '/v1/sources/nope/status')).status, 404);

      for (const role of roles) {
        const response = await call(role, '/v1/quarantine');
        assert.equal(response.status, role === 'builder' || role === 'admin' ? 200 : 403, `${role} quarantine`);
      }
      const quarantine = (await (await call('builder', '/v1/quarantine')).json()) as { entries: Array<{ sourceRef: string }> };
      assert.equal(quarantine.entries[0]?.sourceRef, 'broken.pdf');

      // Without wait: 202 and a job id; the job's output is the sync summary.
      const queued = await call('builder', '/v1/sources/policies/sync', { method: 'POST' });
      assert.equal(queued.status, 202);
      const { jobId, status: queuedStatus } = (await queued.json()) as { jobId: string; status: string };
      assert.equal(queuedStatus, 'queued');
      for (const role of ['viewer', 'user', 'reviewer'] as const) {
        assert.equal((await call(role, `/v1/jobs/${jobId}`)).status, 403, `${role} reads jobs`);
        assert.equal((await call(role, '/v1/jobs')).status, 403);
      }
      let job: { state: string; name: string; output: { unchanged?: number } } | undefined;
      for (let i = 0; i < 200 && job?.state !== 'completed'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        job = (await (await call('builder', `/v1/jobs/${jobId}`)).json()) as typeof job;
      }
      assert.equal(job?.state, 'completed');
      assert.equal(job?.name, 'sync-source');
      assert.equal(job?.output.unchanged, 2);
      assert.equal((await call('builder', '/v1/jobs/00000000-0000-0000-0000-000000000000')).status, 404);
      assert.equal((await call('builder', '/v1/jobs?state=nope')).status, 400);

      // A schedule on the source (cron, UTC): validated, stored, registered with the queue, audited.
      const badCron = await call('builder', '/v1/sources/policies', { method: 'PATCH', body: { schedule: 'daily' } });
      assert.equal(badCron.status, 400);
      assert.equal(((await badCron.json()) as { error: { code: string } }).error.code, 'jobs.invalid_schedule');
      assert.equal(
        (await call('user', '/v1/sources/policies', { method: 'PATCH', body: { schedule: '0 2 * * *' } })).status,
        403,
      );
      const scheduled = await call('builder', '/v1/sources/policies', { method: 'PATCH', body: { schedule: '0 2 * * *' } });
      assert.equal(scheduled.status, 200, await scheduled.clone().text());
      assert.equal(((await scheduled.json()) as { schedule: string }).schedule, '0 2 * * *');
      assert.deepEqual(
        (await platform.jobs.schedules('sync-source')).map((s) => s.cron),
        ['0 2 * * *'],
      );

      // A sync whose folder went away fails retryably: ?wait=true answers its first failure (503), the job
      // retries, then lands in the dead letters, visible to builders and retried by admins only.
      const gone = join(folder, 'gone');
      mkdirSync(gone);
      writeFileSync(join(gone, 'a.md'), '# A\n\nText.\n');
      const allowedGone = await createTestSourceAt(call, gone);
      const failing = await call('builder', `/v1/sources/${allowedGone}/sync?wait=true`, { method: 'POST' });
      assert.equal(failing.status, 503, await failing.clone().text());
      const failure = (await failing.json()) as { error: { code: string; details: { jobId: string } } };
      assert.equal(failure.error.code, 'ingest.source_unavailable');
      let dead: Array<{ id: string; name: string; failedJobId: string; retryCount: number }> = [];
      for (let i = 0; i < 300 && dead.length === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        dead = ((await (await call('builder', '/v1/jobs?state=dead')).json()) as { jobs: typeof dead }).jobs;
      }
      assert.equal(dead.length, 1);
      assert.equal(dead[0]?.failedJobId, failure.error.details.jobId);
      assert.equal(dead[0]?.name, 'sync-source');
      assert.equal(dead[0]?.retryCount, 1, 'one retry (jobs.types.sync-source.retryLimit 1), then dead');
      assert.equal((await call('builder', `/v1/jobs/${dead[0]?.id}/retry`, { method: 'POST' })).status, 403);
      const retried = await call('admin', `/v1/jobs/${dead[0]?.id}/retry`, { method: 'POST' });
      assert.equal(retried.status, 200, await retried.clone().text());
      assert.equal(((await retried.json()) as { name: string }).name, 'sync-source');
      assert.equal(((await (await call('builder', '/v1/jobs?state=dead')).json()) as { jobs: unknown[] }).jobs.length, 0);
      assert.equal((await call('admin', `/v1/jobs/${dead[0]?.id}/retry`, { method: 'POST' })).status, 404);
      assert.equal((await call('admin', `/v1/jobs/${jobId}/retry`, { method: 'POST' })).status, 409);
      assert.equal((await call('user', '/v1/sources/policies', { method: 'DELETE' })).status, 403);
      const removed = await call('admin', '/v1/sources/policies', { method: 'DELETE' });
      assert.deepEqual(await removed.json(), { source: 'policies', documents: 2 });

      const actions = (await listAudit(platform.db, { limit: 1000 })).map((e) => e.action);
      assert.ok(actions.includes('source.create') && actions.includes('source.delete'));
      assert.ok(actions.includes('source.update') && actions.includes('job.retry'));
      assert.equal((await verifyAuditChain(platform.db)).ok, true);
    } finally {
      await worker.stop({ timeoutMs: 5000 });
      await built.close();
      await platform.close();
    }
  });

  test('a builder key cannot index files outside sources.allowedRoots: absolute, relative, `..` and symlink escapes are 403', async () => {
    const base = realpathSync(mkdtempSync(join(tmpdir(), 'gw-api-roots-')));
    const shares = join(base, 'shares');
    const team = join(shares, 'team');
    const outside = join(base, 'private');
    mkdirSync(team, { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(team, 'guide.md'), '# Guide\n\nRoof claims need photos of the damage.\n');
    writeFileSync(join(outside, 'shadow'), 'root:$6$secret-hash-of-the-admin:19000:0:99999:7:::\n');
    writeFileSync(join(outside, 'acl.yaml'), 'default: [group:staff]\n');
    writeFileSync(join(shares, 'acl.yaml'), 'default: [group:staff]\n');
    symlinkSync(outside, join(shares, 'escape'));
    symlinkSync(join(outside, 'acl.yaml'), join(shares, 'escape-acl.yaml'));
    // Inside the allowed source, a link to a file outside it: quarantined at sync time, as before.
    symlinkSync(join(outside, 'shadow'), join(team, 'shadow-link'));

    // One platform at a time (the embedded test store has one connection per process).
    const withPlatform = async (allowedRoots: string[] | undefined, run: (call: Caller, platform: Platform) => Promise<void>) => {
      // No rate limit: the randomized part sends more requests than one caller's burst.
      const server = { rateLimit: { requestsPerSecond: 0 } };
      // Source changes are governed by default (change-routes.test.ts); here they apply at once.
      const governance = { governedKinds: [] };
      const platform = await createTestPlatform(
        allowedRoots ? { server, governance, sources: { allowedRoots } } : { server, governance },
      );
      const built = createApp(platform, { webRoot: false, authCacheMs: 0 });
      const worker = await startWorker(platform);
      try {
        const { token } = await createApiKey(
          platform.db,
          { name: 'builder', role: 'builder', principals: ['user:bob@x.test', 'group:staff'] },
          { actor: 'local:operator' },
        );
        await run(
          (path, body, method) =>
            Promise.resolve(
              built.app.request(`http://127.0.0.1${path}`, {
                method: method ?? (body === undefined ? 'GET' : 'POST'),
                headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
                ...(body === undefined ? {} : { body: JSON.stringify(body) }),
              }),
            ),
          platform,
        );
      } finally {
        await worker.stop({ timeoutMs: 5000 });
        await built.close();
        await platform.close();
      }
    };
    const expectRefused = async (call: Caller, body: Record<string, unknown>, pattern: RegExp) => {
      const response = await call('/v1/sources', body);
      const parsed = (await response.json()) as { error: { code: string; message: string; fix: string } };
      assert.equal(response.status, 403, JSON.stringify({ body, parsed }));
      assert.equal(parsed.error.code, 'ingest.path_not_allowed');
      assert.match(`${parsed.error.message} ${parsed.error.fix}`, /sources\.allowedRoots/);
      assert.match(parsed.error.message, pattern);
    };

    // The default: the API adds no source at all until an operator names the folders.
    await withPlatform(undefined, async (call) => {
      await expectRefused(call, { name: 'team', path: team }, /sources\.allowedRoots is empty/);
      await expectRefused(call, { name: 'etc', path: '/etc' }, /sources\.allowedRoots is empty/);
    });

    await withPlatform([shares], async (call, platform) => {
      await expectRefused(call, { name: 'etc', path: '/etc' }, /outside/);
      await expectRefused(call, { name: 'up', path: '../../../../../../etc' }, /outside/);
      await expectRefused(call, { name: 'dots', path: `${shares}/../private` }, /outside/);
      await expectRefused(call, { name: 'link', path: join(shares, 'escape') }, /symbolic link/);
      await expectRefused(call, { name: 'acl', path: team, aclMapPath: join(outside, 'acl.yaml') }, /ACL map .* outside/);
      await expectRefused(
        call,
        { name: 'acl2', path: team, aclMapPath: join(shares, 'escape-acl.yaml') },
        /ACL map .*symbolic link/,
      );
      await expectRefused(call, { name: 'acl3', path: team, aclMapPath: '/etc/passwd' }, /ACL map/);
      // Randomized: paths built from `..`, `.`, links and absolute parts. Created only when the real path is a
      // folder inside the root; everything outside is 403; nothing is a 5xx.
      const random = prng(1203);
      const parts = ['..', '.', 'team', 'escape', 'private', 'shares', '', 'missing', base, '/etc', '/'];
      for (let n = 0; n < 60; n++) {
        const segments = Array.from(
          { length: 1 + Math.floor(random() * 5) },
          () => parts[Math.floor(random() * parts.length)] as string,
        );
        const candidate = random() < 0.5 ? join(shares, ...segments) : segments.join('/') || '.';
        const response = await call('/v1/sources', { name: `r${n}`, path: candidate });
        const resolved = resolve(candidate);
        const real = (() => {
          try {
            return realpathSync(resolved);
          } catch {
            return undefined;
          }
        })();
        const inside = (path: string | undefined) => path !== undefined && (path === shares || path.startsWith(`${shares}/`));
        assert.ok(response.status < 500, `${candidate}: ${response.status}`);
        if (response.status === 201) {
          assert.ok(inside(real), `${candidate} (${real}) was added although it is outside ${shares}`);
          assert.equal(((await response.json()) as { settings: { path: string } }).settings.path, real);
          await call(`/v1/sources/r${n}`, undefined, 'DELETE');
        } else {
          await response.body?.cancel();
          if (!inside(resolved) && !inside(real)) assert.equal(response.status, 403, candidate);
        }
      }

      // No existence oracle outside the roots: a missing path there is refused the same way.
      await expectRefused(call, { name: 'ghost', path: join(outside, 'no-such-folder') }, /outside/);

      const badReaders = await call('/v1/sources', { name: 'team', path: team, readableBy: ['staff'] });
      assert.equal(badReaders.status, 400);
      assert.equal(((await badReaders.json()) as { error: { code: string } }).error.code, 'ingest.invalid_readable_by');
      const added = await call('/v1/sources', { name: 'team', path: `${shares}/./team`, aclMapPath: join(shares, 'acl.yaml') });
      assert.equal(added.status, 201, await added.clone().text());
      assert.equal(((await added.json()) as { settings: { path: string } }).settings.path, team);
      const synced = (await (await call('/v1/sources/team/sync?wait=true', {})).json()) as {
        added: number;
        quarantined: Array<{ path: string; code: string }>;
      };
      assert.equal(synced.added, 1);
      assert.deepEqual(
        synced.quarantined.map((q) => [q.path, q.code]),
        [['shadow-link', 'ingest.symlink_outside_root']],
      );
      const search = (await (await call('/v1/search', { query: 'root secret hash admin' })).json()) as { hits: unknown[] };
      assert.equal(search.hits.length, 0);

      // Every refusal is audited as a denied access with its code.
      const denied = (await listAudit(platform.db, { limit: 100 })).filter((entry) => entry.action === 'access.denied');
      assert.ok(denied.length >= 8, String(denied.length));
      assert.ok(denied.every((entry) => (entry.after as { code?: string }).code === 'ingest.path_not_allowed'));
    });
  });
});
