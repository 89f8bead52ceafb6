import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  fixtureClaims,
  type GeneratedFixture,
  generatedClaimsFixture,
  writeClaimsFolder,
  writePolicyFolder,
} from '../../test/helpers/claims-fixtures.ts';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { callerWithPrincipals, type GroundworkError, localOperator } from '../core/index.ts';
import { listCandidates } from '../evaluate/index.ts';
import { listAudit } from '../govern/index.ts';
import { addSource, getDocument } from '../ingest/index.ts';
import { getTrace } from '../observe/index.ts';
import {
  addClaimDocument,
  changeClaimsConfig,
  claimsMetrics,
  currentClaimsConfig,
  getClaim,
  getClaimDocument,
  importClaims,
  listClaims,
  processAllClaims,
  processClaim,
  recordSiuOutcome,
  reviewClaim,
  saveClaim,
} from './index.ts';

const alice = callerWithPrincipals(['user:alice@example.com', 'group:claims']);
const bob = callerWithPrincipals(['user:bob@example.com', 'group:claims']);
const sam = callerWithPrincipals(['user:sam@example.com', 'group:claims', 'group:claims-senior']);
const sid = callerWithPrincipals(['user:sid@example.com', 'group:claims', 'group:siu']);
/** A senior adjuster outside the claims group: the documents' ACL does not let them read. */
const outsideSenior = callerWithPrincipals(['user:olga@example.com', 'group:claims-senior']);
const eve = callerWithPrincipals(['user:eve@example.com', 'group:underwriting']);
const viewer = callerWithPrincipals(['user:vic@example.com', 'group:claims'], 'viewer');

const code = (expected: string) => (error: unknown) => (error as GroundworkError).code === expected;

describe(`claims workflow (${testStoreKind})`, () => {
  let platform: Awaited<ReturnType<typeof createTestPlatform>>;
  let dir: string;
  let importDir: string;
  // The real generated example (seed 18): ground truth for tier, outcome, fraud patterns and fields.
  let fx: GeneratedFixture;
  let FT: string;
  let SIU: string;
  let NI: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gw-claims-'));
    platform = await createTestPlatform({
      dataDir: join(dir, 'data'),
      claims: { documentsDir: join(dir, 'claim-docs'), policySources: ['policies', 'uw-notes'] },
    });
    const policy = await writePolicyFolder(dir);
    await addSource(platform.db, { name: 'policies', type: 'filesystem', path: policy.claimsDir, readableBy: ['group:claims'] });
    await addSource(platform.db, {
      name: 'uw-notes',
      type: 'filesystem',
      path: policy.underwritingDir,
      readableBy: ['group:underwriting'],
    });
    await platform.ingestion.sync({ source: 'policies' });
    await platform.ingestion.sync({ source: 'uw-notes' });
    fx = await generatedClaimsFixture(join(dir, 'import'));
    importDir = fx.dir;
    FT = fx.fastTrack.claimNumber;
    SIU = fx.siu.claimNumber;
    NI = fx.needsInfo.claimNumber;
    // Server mode: uploads sync the claims source through sync-source jobs (decision 0014); run them here.
    if (platform.db.mode === 'server') {
      await platform.jobs.work('sync-source', (data, job) =>
        platform.ingestion.sync({ source: data.source, trigger: data.trigger, signal: job.signal }),
      );
    }
  });

  after(async () => {
    await platform.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('import: claims, documents through ingestion with the claim ACL, quarantine → needs information, history; idempotent', async () => {
    const progress: string[] = [];
    const summary = await importClaims(platform, localOperator, importDir, { onProgress: (p) => progress.push(p.phase) });
    assert.equal(summary.claims, 3);
    assert.equal(summary.created, 3);
    const expectedFiles = fx.fastTrack.documents.length + fx.siu.documents.length + fx.needsInfo.documents.length + 1;
    assert.equal(summary.files, expectedFiles);
    assert.equal(summary.history, fx.historyRows);
    assert.equal(summary.policies, 1, 'the policy wording goes to the claims-policies source');
    // Only the corrupt file is quarantined: the text-less photos are photos, not unreadable documents.
    assert.deepEqual(
      summary.quarantined.map((q) => [q.claimNumber, q.file]),
      [[NI, 'estimate-scan.pdf']],
    );
    assert.ok(progress.includes('claims') && progress.includes('ingest'));
    const cl1 = await getClaim(platform, localOperator, FT);
    assert.equal(cl1.documents.length, fx.fastTrack.documents.length);
    for (const d of cl1.documents) {
      const photo = fx.fastTrack.documents.find((t) => t.file === d.fileName)?.type === 'photo';
      assert.equal(d.status, photo ? 'photo' : 'indexed', d.fileName);
      assert.ok(photo || d.documentId);
    }
    const detail = await getDocument(platform.db, cl1.documents[0]?.documentId as string, localOperator);
    assert.deepEqual([...detail.principals].sort(), ['group:claims', 'user:alice@example.com']);
    const cl3 = await getClaim(platform, localOperator, NI);
    assert.equal(cl3.status, 'needs_information');
    assert.ok(cl3.missing.some((m) => m.startsWith('document:estimate-scan.pdf')));
    // Again: nothing new, nothing rewritten.
    const again = await importClaims(platform, localOperator, importDir);
    assert.equal(again.created, 0);
    assert.equal(again.updated, 3);
    assert.equal(again.filesChanged, 0);
    assert.equal((await listClaims(platform, localOperator)).length, 3);
    assert.ok(!(await getClaim(platform, localOperator, FT)).missing.some((m) => m.includes('photo')));
  });

  test('process: fast-track, SIU referral against history, needs information; terms only from policy documents the caller may read', async () => {
    const one = await processClaim(platform, alice, FT);
    assert.equal(one.outcome, fx.fastTrack.outcome);
    assert.equal(one.tier, fx.fastTrack.tier);
    assert.equal(one.version, 1);
    assert.deepEqual(one.missing, []);
    const summary = await getClaim(platform, alice, FT);
    // Every ground-truth field, with its value and a citation of the claim's own documents.
    for (const [name, value] of Object.entries(fx.fastTrack.fields)) {
      const field = summary.extracted[name];
      if (value === null) {
        assert.ok(!field || field.value === null, `${name} is missing in the documents`);
        continue;
      }
      assert.ok(field, name);
      const sorted = (v: unknown): unknown =>
        Array.isArray(v)
          ? v.map(sorted)
          : v && typeof v === 'object'
            ? Object.fromEntries(
                Object.entries(v)
                  .sort(([a], [b]) => a.localeCompare(b))
                  .map(([k, x]) => [k, sorted(x)]),
              )
            : v;
      assert.deepEqual(sorted(field.value), sorted(value), name);
      assert.ok(field.citation?.documentId, `${name} cites its document`);
    }
    assert.equal(summary.determination?.deductible, fx.fastTrack.deductible);
    assert.equal(summary.determination?.estimatedPayable, fx.fastTrack.estimatedPayable);
    const citation = summary.extracted.repairTotal?.citation;
    assert.ok(citation && citation.page >= 1 && citation.passage.length > 0);
    assert.ok(summary.documents.some((d) => d.documentId === citation.documentId && d.fileName === 'repair-estimate.pdf'));
    assert.ok(summary.determination && summary.determination.terms.length > 0);
    const termDocs = new Set(summary.determination.terms.map((t) => t.documentId));
    const own = new Set(summary.documents.map((d) => d.documentId));
    for (const id of termDocs) {
      // The policy wording (claims-readable) and the claim's own declarations — never the underwriting note.
      if (own.has(id)) {
        assert.equal(summary.documents.find((d) => d.documentId === id)?.fileName, 'declarations.pdf');
        continue;
      }
      const doc = await getDocument(platform.db, id, localOperator);
      assert.deepEqual(doc.principals, ['group:claims'], 'terms come from the claims-readable policy wording only');
    }
    assert.ok(
      [...termDocs].some((id) => !own.has(id)),
      'the policy wording is cited',
    );
    assert.ok(!summary.determination.terms.some((t) => /SECRET/.test(t.passage)));
    // The page text beside the citation.
    const pages = await getClaimDocument(platform, alice, FT, citation.documentId);
    const cited = pages.pages.find((p) => p.page === citation.page);
    assert.ok(cited?.text.includes(citation.passage.slice(0, 20)), 'the cited passage is on the cited page');

    const two = await processClaim(platform, bob, SIU);
    assert.equal(two.tier, fx.siu.tier);
    assert.equal(two.outcome, fx.siu.outcome);
    const fraud = (await getClaim(platform, bob, SIU)).fraud;
    // Every planted pattern is found, each with evidence (contract level: the assessment may find more).
    const codes = fraud?.indicators.map((i) => i.code) ?? [];
    for (const pattern of fx.siu.fraudPatterns) {
      assert.ok(codes.includes(pattern), `${pattern} in ${codes.join(', ')}`);
      assert.ok((fraud?.indicators.find((i) => i.code === pattern)?.evidence.length ?? 0) > 0, pattern);
    }
    assert.ok((fraud?.score ?? 0) > 0.5);

    const three = await processClaim(platform, alice, NI);
    assert.equal(three.outcome, fx.needsInfo.outcome);
    assert.equal(three.tier, fx.needsInfo.tier);
    assert.equal(three.claim.status, 'needs_information');
    assert.ok(three.missing.some((m) => m.startsWith('document:estimate-scan.pdf')));
    for (const m of fx.needsInfo.missing) assert.ok(three.missing.includes(m), `${m} in ${three.missing.join(', ')}`);

    // A second run is a new version; a trace is recorded.
    const rerun = await processClaim(platform, alice, FT);
    assert.equal(rerun.version, 2);
    await platform.observe.recorder.flush();
    const trace = await getTrace(platform.db, localOperator, rerun.traceId);
    assert.ok(trace, 'the run is traced');
    assert.ok(trace.spans.some((s) => s.name === 'claims.process'));
    const audit = await listAudit(platform.db, { action: 'claims.process' });
    assert.equal(audit.length, 4);
  });

  test('permissions: low-privilege keys, other adjusters, seniors outside the ACL and outsiders see nothing', async () => {
    await assert.rejects(listClaims(platform, viewer), code('auth.forbidden'));
    await assert.rejects(getClaim(platform, viewer, FT), code('auth.forbidden'));
    assert.deepEqual((await listClaims(platform, alice)).map((c) => c.claimNumber).sort(), [FT, NI].sort());
    await assert.rejects(getClaim(platform, alice, SIU), code('claims.not_found'));
    await assert.rejects(processClaim(platform, alice, SIU), code('claims.not_found'));
    await assert.rejects(reviewClaim(platform, alice, SIU, { accept: true }), code('claims.not_found'));
    assert.deepEqual(await listClaims(platform, eve), []);
    await assert.rejects(getClaim(platform, eve, FT), code('claims.not_found'));
    // Senior by role, but the documents' ACL does not let them read: the claims do not exist for them.
    assert.deepEqual(await listClaims(platform, outsideSenior), []);
    assert.equal((await listClaims(platform, sam)).length, 3);
    assert.deepEqual(
      (await listClaims(platform, sam, { tier: 'siu_referral' })).map((c) => c.claimNumber),
      [SIU],
    );
    assert.deepEqual(
      (await listClaims(platform, sam, { adjuster: 'alice@example.com' })).map((c) => c.claimNumber).sort(),
      [FT, NI].sort(),
    );
    await assert.rejects(listClaims(platform, sam, { tier: 'urgent' }), code('claims.invalid_filter'));
    // Policy documents the caller may not read are not shown even when cited.
    const doc = (await getClaim(platform, sam, FT)).determination?.terms[0]?.documentId as string;
    await assert.rejects(getClaimDocument(platform, eve, FT, doc), code('claims.not_found'));
    // An ACL change after processing: the estimate's values, citations and page are withheld at once.
    const estimate = (await getClaim(platform, sam, FT)).documents.find((d) => d.fileName === 'repair-estimate.pdf')
      ?.documentId as string;
    const restrict = async (principals: string[]) => {
      await platform.db.query('UPDATE documents SET principals = $2 WHERE id = $1', [estimate, principals]);
      await platform.db.query('UPDATE chunks SET principals = $2 WHERE document_id = $1', [estimate, principals]);
    };
    const total = (await getClaim(platform, sam, FT)).extracted.repairTotal?.value as number;
    await restrict(['group:legal']);
    try {
      const seen = await getClaim(platform, alice, FT);
      assert.equal(seen.extracted.repairTotal?.value, null);
      assert.equal(seen.extracted.repairTotal?.withheld, true);
      assert.equal(seen.extracted.repairTotal?.citation, null);
      assert.ok(seen.withheld >= 2);
      assert.ok(!seen.documents.some((d) => d.documentId === estimate));
      assert.ok(!JSON.stringify(seen).includes(total.toFixed(2)), 'the repair total is nowhere, not in the rationale');
      assert.equal(seen.determination?.estimatedPayable, null);
      await assert.rejects(getClaimDocument(platform, alice, FT, estimate), code('claims.document_not_found'));
    } finally {
      await restrict(['group:claims', 'user:alice@example.com']);
    }
  });

  test('review: accept, edit and override recorded with who/what/why, become evaluation candidates; SIU decides SIU referrals', async () => {
    await assert.rejects(reviewClaim(platform, alice, FT, {}), code('claims.invalid_review'));
    await assert.rejects(reviewClaim(platform, alice, FT, { edits: { favouriteColour: 'red' } }), code('claims.invalid_review'));
    const accepted = await reviewClaim(platform, alice, FT, { accept: true });
    assert.equal(accepted.status, 'decided');
    assert.equal(accepted.reviews[0]?.unchanged, true);
    assert.equal(accepted.review.candidate, null);
    await assert.rejects(reviewClaim(platform, alice, FT, { accept: true }), code('claims.already_decided'));

    // Bob is assigned the SIU claim but it is an SIU referral: SIU or a senior decides.
    await assert.rejects(reviewClaim(platform, bob, SIU, { accept: true }), code('claims.not_assigned'));
    await assert.rejects(
      reviewClaim(platform, sid, SIU, { override: 'not_covered', reason: 'because', comment: 'x' }),
      code('claims.invalid_override_reason'),
    );
    await assert.rejects(
      reviewClaim(platform, sid, SIU, { override: 'denied', reason: 'fraud_suspected', comment: 'x' }),
      code('claims.invalid_review'),
    );
    const overridden = await reviewClaim(platform, sid, SIU, {
      override: 'not_covered',
      reason: 'fraud_suspected',
      comment: 'Staged collision: same claimant twice on this policy.',
    });
    assert.equal(overridden.outcome, 'not_covered');
    assert.equal(overridden.reviews[0]?.reasonCode, 'fraud_suspected');
    assert.equal(overridden.reviews[0]?.reviewer, sid.id);
    assert.ok(overridden.review.candidate);
    await recordSiuOutcome(platform, sid, SIU, { outcome: 'fraud_confirmed' });
    await assert.rejects(recordSiuOutcome(platform, alice, FT, { outcome: 'not_fraud' }), code('claims.not_assigned'));
    await assert.rejects(recordSiuOutcome(platform, sid, SIU, { outcome: 'maybe' }), code('claims.invalid_outcome'));

    // The needs-information claim is low confidence (senior review): alice may not decide it, a senior may.
    await assert.rejects(reviewClaim(platform, alice, NI, { edits: { lossDate: '2020-03-05' } }), code('claims.not_assigned'));
    const edited = await reviewClaim(platform, sam, NI, {
      edits: { lossDate: '2020-03-05' },
      comment: 'from the FNOL call',
    });
    assert.deepEqual(edited.reviews[0]?.edits, [
      { field: 'lossDate', before: fx.needsInfo.fields.lossDate, after: '2020-03-05' },
    ]);

    const candidates = await listCandidates(platform.db, localOperator);
    assert.deepEqual(candidates.map((c) => c.category).sort(), ['claims:edit', 'claims:override:fraud_suspected']);
    const audit = await listAudit(platform.db, { action: 'claims.review' });
    assert.equal(audit.length, 3);
    assert.ok(!JSON.stringify(audit).includes('Staged collision'), 'no free text in the audit record');
  });

  test('metrics on the known fixture; config versions are a governed change', async () => {
    // Known times: assigned at 00:00, determined after 2 h / 4 h / 10 h, decided after 3 h / 8 h / 20 h.
    const t0 = Date.parse('2026-03-09T00:00:00Z');
    const at = (h: number) => new Date(t0 + h * 3_600_000);
    for (const [claim, det, dec] of [
      [FT, 2, 3],
      [SIU, 4, 8],
      [NI, 10, 20],
    ] as const) {
      await platform.db.query('UPDATE claims SET assigned_at = $2, determined_at = $3, decided_at = $4 WHERE claim_number = $1', [
        claim,
        at(0),
        at(det),
        at(dec),
      ]);
    }
    const m = await claimsMetrics(platform, sam);
    assert.equal(m.claims, 3);
    assert.equal(m.decided, 3);
    assert.deepEqual(m.timeToDetermination, { n: 3, p50Hours: 4, p90Hours: 10 });
    assert.deepEqual(m.timeToDecision, { n: 3, p50Hours: 8, p90Hours: 20 });
    assert.equal(m.straightThroughRate, 1 / 3);
    assert.equal(m.overrideRate, 1 / 3);
    assert.equal(m.editRate, 1 / 3);
    assert.equal(m.overrideRateWeekly.length, 1);
    assert.equal(m.fraud.flagged, 1);
    assert.equal(m.fraud.truePositives, 1);
    assert.equal(m.fraud.precision, 1);
    assert.equal(m.fraud.falsePositiveRate, 0);
    assert.equal(m.fieldAccuracy.edited, 1);
    assert.ok(m.fieldAccuracy.accuracy !== null && m.fieldAccuracy.accuracy > 0.9);
    assert.equal(m.cost.assessments, 4);
    // Alice sees only her claims in her metrics.
    assert.equal((await claimsMetrics(platform, alice)).claims, 2);

    const current = await currentClaimsConfig(platform.db);
    assert.equal(current.version, 1);
    const next = { ...current.config, routing: { ...current.config.routing, siuFraudScore: 0.9 } };
    const { version: _v, ...body } = next;
    await assert.rejects(
      changeClaimsConfig(platform.governance, platform.db, alice, { routing: {} }),
      code('claims.invalid_config'),
    );
    const pending = await changeClaimsConfig(platform.governance, platform.db, alice, body, { reason: 'fewer SIU referrals' });
    assert.equal(pending.status, 'pending');
    assert.equal((await currentClaimsConfig(platform.db)).version, 1);
    await changeClaimsConfig(platform.governance, platform.db, localOperator, body);
    assert.equal((await currentClaimsConfig(platform.db)).version, 2);
    const rerun = await processClaim(platform, bob, SIU);
    assert.equal(rerun.tier, 'standard');
  });

  test('upload: size limit, bad names, an unreadable file is quarantined and listed as missing', async () => {
    await assert.rejects(
      addClaimDocument(platform, alice, FT, { fileName: 'big.pdf', bytes: new Uint8Array(21 * 1024 * 1024) }),
      code('claims.too_large'),
    );
    await assert.rejects(
      addClaimDocument(platform, alice, FT, { fileName: '../../etc/passwd.meta.json', bytes: new Uint8Array(3) }),
      code('claims.invalid_upload'),
    );
    await assert.rejects(
      addClaimDocument(platform, alice, SIU, { fileName: 'note.txt', bytes: new Uint8Array(3) }),
      code('claims.not_found'),
    );
    const ok = await addClaimDocument(platform, alice, FT, {
      fileName: 'adjuster-note.txt',
      bytes: new TextEncoder().encode('Adjuster note: photos confirm rear bumper damage only.'),
    });
    assert.equal(ok.status, 'indexed');
    const bad = await addClaimDocument(platform, alice, FT, {
      fileName: 'photos.pdf',
      bytes: new TextEncoder().encode('%PDF-1.4 broken'),
    });
    assert.equal(bad.status, 'quarantined');
    const claim = await getClaim(platform, alice, FT);
    assert.equal(claim.status, 'needs_information');
    assert.ok(
      claim.missing.some((m) => m.startsWith('document:photos.pdf (')),
      claim.missing.join(', '),
    );
    const all = await processAllClaims(platform, localOperator);
    assert.equal(all.processed.length, 3);
  });
  test('re-assigning a claim moves its document ACL to the new adjuster: the old one no longer sees it', async () => {
    const before = await getClaim(platform, alice, FT);
    // A partial update: only the adjuster changes, the other fields keep their values.
    await saveClaim(platform, localOperator, { claimNumber: FT, assignedAdjuster: 'bob@example.com' });
    await assert.rejects(getClaim(platform, alice, FT), code('claims.not_found'));
    const now = await getClaim(platform, bob, FT);
    assert.ok(now.assignedAt);
    assert.equal(now.policyNumber, before.policyNumber);
    assert.equal(now.lossDate, before.lossDate);
    const doc = await getDocument(platform.db, now.documents.find((d) => d.documentId)?.documentId as string, localOperator);
    assert.deepEqual([...doc.principals].sort(), ['group:claims', 'user:bob@example.com']);
    await assert.rejects(
      saveClaim(platform, localOperator, { claimNumber: 'bad number!', lossDate: '2026-13-45' }),
      code('claims.invalid_claim'),
    );
  });
});

describe(`claims processing with a model configured (${testStoreKind})`, () => {
  test('the extraction prompt is versioned (created on first use) and each assessment records its prompt version', async () => {
    const { startOpenAICompatibleServer } = await import('../../test/helpers/openai-compatible-server.ts');
    const server = await startOpenAICompatibleServer({ chat: () => ({ text: '{}', promptTokens: 100, completionTokens: 20 }) });
    const dir = await mkdtemp(join(tmpdir(), 'gw-claims-model-'));
    const platform = await createTestPlatform({
      dataDir: join(dir, 'data'),
      claims: { documentsDir: join(dir, 'claim-docs') },
      models: {
        providers: { local: { type: 'openai-compatible', baseUrl: server.baseUrl, trusted: true } },
        chat: 'local:mid-model',
      },
    });
    try {
      const [first] = await fixtureClaims();
      await importClaims(platform, localOperator, await writeClaimsFolder(join(dir, 'import'), first ? [first] : []));
      await processClaim(platform, alice, 'CL-1001');
      const claim = await getClaim(platform, alice, 'CL-1001');
      assert.equal(claim.assessment?.promptVersion, 1);
      const { resolvePrompt } = await import('../prompts/index.ts');
      assert.equal((await resolvePrompt(platform.db, 'claims-extraction', 'latest')).version, 1);
    } finally {
      await platform.close();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe(`claims processing without a policy wording (${testStoreKind})`, () => {
  test("the claim's own declarations are searched for the terms (only its own, only when readable)", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gw-claims-decl-'));
    const platform = await createTestPlatform({ dataDir: join(dir, 'data'), claims: { documentsDir: join(dir, 'claim-docs') } });
    try {
      const fx = await generatedClaimsFixture(join(dir, 'import'));
      await rm(join(fx.dir, 'policies'), { recursive: true, force: true });
      await importClaims(platform, localOperator, fx.dir);
      await processClaim(platform, alice, fx.fastTrack.claimNumber);
      const summary = await getClaim(platform, alice, fx.fastTrack.claimNumber);
      const declarations = summary.documents.find((d) => d.fileName === 'declarations.pdf')?.documentId;
      const terms = summary.determination?.terms ?? [];
      // More than the coverages citation: the search found terms in the declarations, and nowhere else.
      assert.ok(terms.length > 1, JSON.stringify(terms));
      assert.ok(
        terms.every((t) => t.documentId === declarations),
        'terms come from this claim’s declarations only',
      );
      assert.equal(summary.determination?.outcome, fx.fastTrack.outcome);
    } finally {
      await platform.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
