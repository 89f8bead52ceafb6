/**
 * The claims workflow's own costs (docs/claims.md), each next to a baseline measured in the same run:
 * - import of N claim folders (claims, files with ACL sidecars, one sync) vs a plain sync of the same files as
 *   an ordinary source;
 * - `process` per claim (gather pages, history, policy terms as the caller, assess, store) — with the placeholder
 *   or real assessment, whatever src/claims/assess exports;
 * - one document upload (write + sync of the claims source) vs a re-sync of the same source with nothing new.
 *
 * - end to end on the generated example set (src/claims/example, `--generated N` claims, no scans): import →
 *   process through the workflow, tier / outcome / planted fraud patterns against the ground truth, vs an
 *   "always standard" router (`--generated 0` skips it).
 *
 *   node bench/claims-workflow.bench.ts [--claims 60] [--generated 12] [--database-url postgres://…_bench]
 *
 * Embedded store by default (a fresh data dir). Results go to stdout; docs/benchmarks.md ("Claims workflow").
 */
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { generateClaimsDataset } from '../src/claims/example/generate.ts';
import { addClaimDocument, getClaim, importClaims, processAllClaims, processClaim } from '../src/claims/index.ts';
import { callerWithPrincipals, loadConfig, localOperator, silentLogger } from '../src/core/index.ts';
import { createPlatform } from '../src/create-platform.ts';
import { addSource } from '../src/ingest/index.ts';
import { fixtureClaims, writeClaimsFolder, writePolicyFolder } from '../test/helpers/claims-fixtures.ts';

const { values } = parseArgs({
  options: {
    claims: { type: 'string', default: '60' },
    'database-url': { type: 'string' },
    generated: { type: 'string', default: '12' },
  },
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

// End to end on the generated example set: the workflow's routing against the ground truth.
const generatedCount = Number(values.generated);
if (generatedCount > 0) {
  const gdir = await mkdtemp(join(tmpdir(), 'gw-claims-bench-gen-'));
  const gplatform = await createPlatform(
    loadConfig({
      env: {},
      flags: { dataDir: join(gdir, 'data'), claims: { documentsDir: join(gdir, 'claim-docs') } },
      cwd: gdir,
    }),
    { logger: silentLogger },
  );
  try {
    const dataset = await generateClaimsDataset({ seed: 18, claims: generatedCount, outDir: join(gdir, 'set') });
    const scanned = dataset.truth.claims.filter((c) => c.documents.some((d) => d.scanned));
    for (const c of scanned) await rm(join(gdir, 'set', c.folder), { recursive: true, force: true });
    const truth = dataset.truth.claims.filter((c) => !scanned.includes(c));
    let t = performance.now();
    const imported = await importClaims(gplatform, localOperator, join(gdir, 'set'));
    const importMs = ms(t);
    t = performance.now();
    const { processed } = await processAllClaims(gplatform, localOperator);
    const processMs = ms(t);
    let tiers = 0;
    let outcomes = 0;
    let standard = 0;
    let planted = 0;
    let found = 0;
    for (const c of truth) {
      const p = processed.find((x) => x.claim.claimNumber === c.claimNumber);
      if (p?.tier === c.tier) tiers++;
      if (p?.outcome === c.outcome) outcomes++;
      if (c.tier === 'standard') standard++;
      const codes = new Set((await getClaim(gplatform, localOperator, c.claimNumber)).fraud?.indicators.map((i) => i.code));
      planted += c.fraudPatterns.length;
      found += c.fraudPatterns.filter((code) => codes.has(code)).length;
    }
    const k = truth.length;
    console.log(
      `generated set through the workflow: ${k} claims (${scanned.length} with scans left out), ${imported.files} files, ${imported.quarantined.length} quarantined, import ${(importMs / 1000).toFixed(2)} s, process ${(processMs / k).toFixed(0)} ms per claim`,
    );
    console.log(
      `  routing accuracy ${((100 * tiers) / k).toFixed(1)}% (baseline "always standard" ${((100 * standard) / k).toFixed(1)}%); outcome accuracy ${((100 * outcomes) / k).toFixed(1)}%; planted fraud patterns found ${found}/${planted}`,
    );
  } finally {
    await gplatform.close();
    await rm(gdir, { recursive: true, force: true });
  }
}
