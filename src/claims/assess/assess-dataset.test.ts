/**
 * The assessment on a generated dataset, parsed with Groundwork's own parsers (one FNOL is a scan, read by
 * real OCR): classification, extraction with verbatim citations, explicit missing fields, needs-information
 * for a missing estimate, and the routing the ground truth expects.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { closeParsers } from '../../ingest/index.ts';
import { sameFieldValue } from '../example/evaluate.ts';
import { type GeneratedDataset, generateClaimsDataset } from '../example/generate.ts';
import {
  keywordPolicySearch,
  type ParsedFile,
  parseClaimFile,
  parseClaimFolder,
  readClaimManifest,
  readHistoryCsv,
} from '../example/load.ts';
import type { ClaimAssessment, ClaimDocumentInput, HistoryClaim } from '../model.ts';
import { claimFieldNames } from '../model.ts';
import { assessClaim, classifyDocument, defaultClaimsConfig, documentRecord, extractDocument } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'gw-claims-assess-'));
let dataset: GeneratedDataset;
let history: HistoryClaim[];
let wording: ClaimDocumentInput;
const parsed = new Map<string, ParsedFile[]>();
const assessed = new Map<string, ClaimAssessment>();

before(async () => {
  // 40 claims so that every planted pattern and outcome occurs; scans only every 25th claim (OCR is slow).
  dataset = await generateClaimsDataset({ seed: 7, claims: 40, outDir: dir });
  history = readHistoryCsv(readFileSync(join(dir, 'history.csv'), 'utf8'));
  wording = (await parseClaimFile(join(dir, dataset.truth.policyWording), 'wording.pdf', 'policy-wording')).document;
  for (const truth of dataset.truth.claims) {
    const files = await parseClaimFolder(join(dir, truth.folder), truth.claimNumber);
    parsed.set(truth.claimNumber, files);
    const documents = files.map((file) => file.document);
    assessed.set(
      truth.claimNumber,
      await assessClaim({
        claim: readClaimManifest(join(dir, truth.folder)),
        documents,
        history,
        config: defaultClaimsConfig,
        searchPolicyTerms: keywordPolicySearch([
          wording,
          ...documents.filter((document) => /declarations/.test(document.fileName)),
        ]),
        now: new Date(Date.UTC(2026, 11, 1)),
      }),
    );
  }
});
after(async () => {
  await closeParsers();
  rmSync(dir, { recursive: true, force: true });
});

describe('claims assessment on the generated dataset', () => {
  test('every document is classified as the type it was generated as, with a reason', () => {
    let count = 0;
    for (const truth of dataset.truth.claims) {
      const files = parsed.get(truth.claimNumber) ?? [];
      for (const expected of truth.documents) {
        const file = files.find((item) => item.document.fileName === expected.file);
        assert.ok(file, `${truth.claimNumber}/${expected.file} parsed`);
        const classified = classifyDocument(file.document);
        assert.equal(classified.type, expected.type, `${truth.claimNumber}/${expected.file}: ${classified.reason}`);
        assert.ok(classified.reason.length > 0);
        // Its extraction is a record of its type's zod schema.
        const record = documentRecord(extractDocument(file.document, classified.type));
        assert.ok(record, `${expected.file} has a typed record`);
        if (expected.type === 'fnol' && !expected.scanned) assert.equal(record.claimNumber, truth.claimNumber);
        if (expected.type === 'repair_estimate' && !expected.unreadable) assert.ok(Array.isArray(record.repairLineItems));
        count++;
      }
    }
    assert.ok(count > 150, `${count} documents`);
  });

  test('every claim field is found with the ground-truth value, and every found field cites a verbatim passage', () => {
    let checked = 0;
    for (const truth of dataset.truth.claims) {
      const assessment = assessed.get(truth.claimNumber) as ClaimAssessment;
      const documents = new Map((parsed.get(truth.claimNumber) ?? []).map((file) => [file.document.documentId, file.document]));
      for (const name of claimFieldNames)
        assert.ok(assessment.extracted[name], `${name} is always present (missing is explicit)`);
      for (const [name, expected] of Object.entries(truth.fields)) {
        const field = assessment.extracted[name];
        assert.ok(field, name);
        if (expected === null) {
          assert.equal(
            field.status,
            'missing',
            `${truth.claimNumber} ${name} should be missing, got ${JSON.stringify(field.value)}`,
          );
          assert.equal(field.value, null);
          assert.equal(field.citation, null);
          continue;
        }
        assert.ok(
          sameFieldValue(name, field.value, expected),
          `${truth.claimNumber} ${name}: ${JSON.stringify(field.value)} ≠ ${JSON.stringify(expected)}`,
        );
        const citation = field.citation;
        assert.ok(citation, `${truth.claimNumber} ${name} is cited`);
        const document = documents.get(citation.documentId);
        assert.ok(document, `${name} cites a document of the claim`);
        if (document.mediaType.startsWith('image/') && citation.passage.startsWith('EXIF')) continue;
        const page = document.pages.find((item) => item.page === citation.page);
        const pageText = (page?.text ?? '').replace(/\s+/g, ' ');
        assert.ok(
          pageText.includes(citation.passage.replace(/\s+/g, ' ')),
          `${truth.claimNumber} ${name}: "${citation.passage}" is on page ${citation.page}`,
        );
        checked++;
      }
    }
    assert.ok(checked > 500, `${checked} cited fields checked`);
  });

  test('a scanned FNOL is read through real OCR and still gives the ground-truth fields', () => {
    const scanned = dataset.truth.claims.filter((claim) =>
      claim.documents.some((document) => document.type === 'fnol' && document.scanned),
    );
    assert.ok(scanned.length >= 1, 'the set has a scanned FNOL');
    for (const truth of scanned) {
      const fnol = (parsed.get(truth.claimNumber) ?? []).find((file) => file.document.fileName === 'fnol.pdf');
      assert.equal(fnol?.document.ocr, true, 'the text came from OCR');
      const assessment = assessed.get(truth.claimNumber) as ClaimAssessment;
      for (const name of [
        'claimNumber',
        'policyNumber',
        'lossDate',
        'lossTime',
        'reportedDate',
        'circumstances',
        'parties',
        'vehicles',
      ]) {
        assert.ok(
          sameFieldValue(name, assessment.extracted[name]?.value, truth.fields[name]),
          `${name}: ${JSON.stringify(assessment.extracted[name]?.value)}`,
        );
      }
      assert.equal(assessment.extracted.lossDate?.citation?.documentId, `${truth.claimNumber}/fnol.pdf`);
      assert.ok((assessment.extracted.lossDate?.confidence ?? 1) < 0.97, 'OCR values carry a lower confidence');
    }
  });

  test('a claim without a repair estimate needs information and names what is missing; it goes to a senior adjuster', () => {
    const missing = dataset.truth.claims.filter((claim) => claim.outcome === 'needs_information');
    assert.ok(missing.length >= 1);
    for (const truth of missing) {
      const assessment = assessed.get(truth.claimNumber) as ClaimAssessment;
      assert.equal(assessment.determination.outcome, 'needs_information');
      assert.ok(assessment.determination.missing.includes('repair_estimate'));
      assert.ok(assessment.determination.missing.includes('repairTotal'));
      assert.equal(assessment.extracted.repairTotal?.status, 'missing');
      assert.equal(assessment.determination.estimatedPayable, null);
      assert.ok(assessment.determination.confidence < defaultClaimsConfig.routing.seniorBelowConfidence);
      assert.notEqual(assessment.tier, 'fast_track');
      if (truth.documents.some((document) => document.unreadable)) {
        assert.match(assessment.determination.rationale, /Unreadable: repair-estimate\.pdf/);
        const file = (parsed.get(truth.claimNumber) ?? []).find((item) => item.document.fileName === 'repair-estimate.pdf');
        assert.equal(file?.error, 'parse.empty', 'the unreadable scan would be quarantined');
      }
    }
    assert.ok(
      missing.some((truth) => truth.documents.some((document) => document.unreadable)),
      'the set has an unreadable estimate',
    );
  });

  test('outcome, payable, planted fraud patterns and tier match the ground truth; nothing not covered is fast-tracked', () => {
    for (const truth of dataset.truth.claims) {
      const assessment = assessed.get(truth.claimNumber) as ClaimAssessment;
      assert.equal(
        assessment.determination.outcome,
        truth.outcome,
        `${truth.claimNumber}: ${assessment.determination.rationale}`,
      );
      if (truth.estimatedPayable !== null) assert.equal(assessment.determination.estimatedPayable, truth.estimatedPayable);
      assert.deepEqual(
        assessment.fraud.indicators.map((indicator) => indicator.code).sort(),
        [...truth.fraudPatterns].sort(),
        `${truth.claimNumber}: ${assessment.fraud.indicators.map((indicator) => indicator.reason).join(' | ')}`,
      );
      assert.equal(assessment.tier, truth.tier, `${truth.claimNumber}: ${assessment.tierReason}`);
      if (assessment.determination.outcome !== 'covered') assert.notEqual(assessment.tier, 'fast_track');
      if (assessment.determination.outcome === 'covered') {
        assert.ok(assessment.determination.terms.length >= 2, 'a covered determination cites its terms');
        assert.ok(assessment.determination.terms.some((term) => term.documentId === 'policy-wording'));
      }
    }
    const tiers = new Set(dataset.truth.claims.map((claim) => claim.tier));
    assert.deepEqual([...tiers].sort(), ['fast_track', 'senior_review', 'siu_referral', 'standard']);
  });
});
