/**
 * The claims workflow's own costs (docs/claims.md), each next to a baseline measured in the same run:
 * - import of N claim folders (claims, files with ACL sidecars, one sync) vs a plain sync of the same files as
 *   an ordinary source;
 * - `process` per claim (gather pages, history, policy terms as the caller, assess, store) — with the placeholder
 *   or real assessment, whatever src/claims/assess exports;
 * - one document upload (write + sync of the claims source) vs a re-sync of the same source with nothing new.
 *
 *   node bench/claims-workflow.bench.ts [--claims 60] [--database-url postgres://…_bench]
 *
 * Embedded store by default (a fresh data dir). Results go to stdout; docs/benchmarks.md ("Claims workflow").
 */
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { addClaimDocument, importClaims, processClaim } from '../src/claims/index.ts';
import { callerWithPrincipals, loadConfig, localOperator, silentLogger } from '../src/core/index.ts';
import { createPlatform } from '../src/create-platform.ts';
import { addSource } from '../src/ingest/index.ts';
import { fixtureClaims, writeClaimsFolder, writePolicyFolder } from '../test/helpers/claims-fixtures.ts';

const { values } = parseArgs({
  options: { claims: { type: 'string', default: '60' }, 'database-url': { type: 'string' } },
});
const n = Number(values.claims);
const databaseUrl = values['database-url'];
if (databaseUrl) {
  const url = new URL(databaseUrl);
  const name = url.pathname.slice(1);
  if (!name.endsWith('_bench')) throw new Error(`refusing to drop ${name}: the bench database name must end in _bench`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS ${name}`);
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
}

const dir = await mkdtemp(join(tmpdir(), 'gw-claims-bench-'));
const base = await fixtureClaims();
const claims = Array.from({ length: n }, (_, i) => {
  const template = base[i % 2] as (typeof base)[number];
  const claimNumber = `CL-${String(5000 + i)}`;
  const files: Record<string, string | Uint8Array> = {};
  for (const [name, content] of Object.entries(template.files)) {
    files[name] = typeof content === 'string' ? content.replaceAll(template.claimNumber, claimNumber) : content;
  }
  return { ...template, claimNumber, adjuster: i % 3 === 0 ? 'bob@example.com' : 'alice@example.com', files };
});
const importDir = await writeClaimsFolder(join(dir, 'import'), claims);
const loaded = loadConfig({
  env: {},
  flags: {
    dataDir: join(dir, 'data'),
    claims: { documentsDir: join(dir, 'claim-docs'), policySources: ['policies'] },
    ...(databaseUrl ? { databaseUrl } : {}),
  },
  cwd: dir,
});
const platform = await createPlatform(loaded, { logger: silentLogger });
const ms = (start: number) => performance.now() - start;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil(p * xs.length) - 1)] ?? 0;
try {
  const policy = await writePolicyFolder(dir);
  await addSource(platform.db, { name: 'policies', type: 'filesystem', path: policy.claimsDir, readableBy: ['group:claims'] });
  await platform.ingestion.sync({ source: 'policies' });

  // Baseline: the same files as an ordinary source (no claims, no sidecars).
  const plain = join(dir, 'plain');
  for (const folder of await readdir(join(importDir, 'claims')))
    await cp(join(importDir, 'claims', folder), join(plain, folder), { recursive: true });
  await addSource(platform.db, { name: 'plain', type: 'filesystem', path: plain, readableBy: ['group:claims'] });
  let t = performance.now();
  await platform.ingestion.sync({ source: 'plain' });
  const baselineSync = ms(t);
  t = performance.now();
  const summary = await importClaims(platform, localOperator, importDir);
  const importMs = ms(t);
  t = performance.now();
  const again = await importClaims(platform, localOperator, importDir);
  const reimportMs = ms(t);

  const alice = callerWithPrincipals(['user:alice@example.com', 'group:claims']);
  const bob = callerWithPrincipals(['user:bob@example.com', 'group:claims']);
  const times: number[] = [];
  for (const [i, c] of claims.entries()) {
    t = performance.now();
    await processClaim(platform, i % 3 === 0 ? bob : alice, c.claimNumber);
    times.push(ms(t));
  }
  t = performance.now();
  await platform.ingestion.sync({ source: 'claims-documents' });
  const idleSync = ms(t);
  const uploads: number[] = [];
  for (let i = 0; i < 5; i++) {
    t = performance.now();
    await addClaimDocument(platform, alice, claims[1]?.claimNumber as string, {
      fileName: `note-${i}.txt`,
      bytes: new TextEncoder().encode(`Adjuster note ${i}: rear bumper only.`),
    });
    uploads.push(ms(t));
  }
  console.log(`store: ${platform.db.mode}; ${n} claims, ${summary.files} files (${summary.quarantined.length} quarantined)`);
  console.log(`baseline plain sync of the same files: ${(baselineSync / 1000).toFixed(2)} s`);
  console.log(`claims import: ${(importMs / 1000).toFixed(2)} s (${(importMs / baselineSync).toFixed(2)}× the plain sync)`);
  console.log(`re-import (nothing changed, ${again.filesChanged} files rewritten): ${(reimportMs / 1000).toFixed(2)} s`);
  console.log(
    `process per claim: p50 ${pct(times, 0.5).toFixed(0)} ms, p90 ${pct(times, 0.9).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms`,
  );
  console.log(`idle sync of claims-documents (baseline of an upload): ${idleSync.toFixed(0)} ms`);
  console.log(
    `upload one document (write + sync + record): p50 ${pct(uploads, 0.5).toFixed(0)} ms, max ${Math.max(...uploads).toFixed(0)} ms (${(pct(uploads, 0.5) / idleSync).toFixed(2)}× the idle sync)`,
  );
} finally {
  await platform.close();
  await rm(dir, { recursive: true, force: true });
}
