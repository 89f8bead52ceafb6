/**
 * The model path of extraction with a scripted AI SDK mock model (a value the document does not state is
 * rejected, never kept uncited), and the generator's determinism (same seed ⇒ same bytes and ground truth).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, describe, test } from 'node:test';
import { MockLanguageModelV4 } from 'ai/test';
import { generateClaimsDataset } from '../example/generate.ts';
import type { AssessClaimInput, ClaimDocumentInput } from '../model.ts';
import { assessClaim, defaultClaimsConfig, defaultExtractionPrompt, documentSchemas } from './index.ts';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-claims-gen-'));
  dirs.push(dir);
  return dir;
};
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const fnolText = [
  'FIRST NOTICE OF LOSS - PERSONAL AUTO',
  'Claim number: CLM-2026-10001',
  'Policy number: PA-200000',
  'Insured name: Dana Whitfield',
  'Vehicle: 2019 Toyota Camry',
  'VIN: 1HGCM82633A004352',
  'Date of loss: May 10, 2026',
  'Time of loss: 14:05',
  'Location of loss: Main Street and Oak Road, Springfield',
  'Point of impact: Rear',
  'Description of loss: Insured vehicle was rear-ended while waiting at a stop sign.',
  'Other party: Sam Okafor',
  'Injuries reported: None',
  'Police report number: None',
  'Date reported: May 11, 2026',
].join('\n');

const fnol: ClaimDocumentInput = {
  documentId: 'CLM-2026-10001/fnol.pdf',
  fileName: 'fnol.pdf',
  mediaType: 'application/pdf',
  pages: [{ page: 1, text: fnolText }],
  ocr: false,
};

function scriptedModel(reply: Record<string, unknown>, prompts: string[]): MockLanguageModelV4 {
  return new MockLanguageModelV4({
    provider: 'mock',
    modelId: 'extractor-1',
    doGenerate: async (options) => {
      prompts.push(JSON.stringify(options.prompt));
      return {
        content: [{ type: 'text', text: JSON.stringify(reply) }],
        finishReason: { unified: 'stop', raw: 'stop' },
        usage: {
          inputTokens: { total: 120, noCache: 120, cacheRead: 0, cacheWrite: 0 },
          outputTokens: { total: 40, text: 40, reasoning: 0 },
        },
        warnings: [],
      };
    },
  });
}

const input = (model: MockLanguageModelV4): AssessClaimInput => ({
  claim: {
    claimNumber: 'CLM-2026-10001',
    policyNumber: 'PA-200000',
    lineOfBusiness: 'personal_auto',
    lossDate: '2026-05-10',
    reportedDate: '2026-05-11',
  },
  documents: [fnol],
  history: [],
  config: defaultClaimsConfig,
  searchPolicyTerms: async () => [],
  extractionModel: { model, prompt: defaultExtractionPrompt },
  now: new Date(Date.UTC(2026, 5, 1)),
});

describe('extraction with a model', () => {
  test('model values found in the text are kept and cited; an uncited model value is rejected for the deterministic one', async () => {
    const prompts: string[] = [];
    const model = scriptedModel(
      {
        ...Object.fromEntries(Object.keys(documentSchemas.fnol.shape).map((key) => [key, null])),
        claimNumber: 'CLM-2026-10001',
        policyNumber: 'PA-200000',
        insuredName: 'Dana Whitfield',
        lossDate: '2026-05-10',
        lossTime: '14:05',
        // Not in the document: a hallucinated police report number and a wrong location.
        policeReportNumber: 'PR-26-99999',
        lossLocation: 'Harbor Road, Eastport',
        circumstances: 'Insured vehicle was rear-ended while waiting at a stop sign',
      },
      prompts,
    );
    const assessment = await assessClaim(input(model));
    assert.equal(prompts.length, 1, 'one structured-output call per document');
    assert.match(
      prompts[0] ?? '',
      /You extract facts from one insurance claim document/,
      'the versioned prompt is the system text',
    );
    assert.match(prompts[0] ?? '', /Document type: fnol/);

    const lossDate = assessment.extracted.lossDate;
    assert.equal(lossDate?.value, '2026-05-10');
    assert.equal(lossDate?.method, 'model');
    assert.deepEqual(lossDate?.citation, { documentId: fnol.documentId, page: 1, passage: 'Date of loss: May 10, 2026' });

    // The police report number the document does not state is not kept: the document says None.
    assert.equal(assessment.extracted.policeReportNumber?.status, 'missing');
    assert.equal(assessment.extracted.policeReportNumber?.value, null);
    // The wrong location is replaced by the deterministic reading, which is cited.
    assert.equal(assessment.extracted.lossLocation?.value, 'Main Street and Oak Road, Springfield');
    assert.equal(assessment.extracted.lossLocation?.method, 'deterministic');
    assert.deepEqual([...(assessment.detail.rejectedModelValues?.[fnol.documentId] ?? [])].sort(), [
      'lossLocation',
      'policeReportNumber',
    ]);
    for (const field of Object.values(assessment.extracted)) {
      if (field.status !== 'missing') assert.ok(field.citation?.passage, 'no found field without a citation');
    }
    assert.deepEqual(assessment.usage, { inputTokens: 120, outputTokens: 40, model: 'mock:extractor-1' });
  });

  test('a model that fails or returns no valid object leaves the deterministic values in place', async () => {
    const assessment = await assessClaim(input(scriptedModel({ claimNumber: 42 }, [])));
    assert.equal(assessment.extracted.lossDate?.value, '2026-05-10');
    assert.equal(assessment.extracted.lossDate?.method, 'deterministic');
    assert.deepEqual(assessment.detail.rejectedModelValues?.[fnol.documentId], ['(model output invalid)']);
  });

  test('without a model no model is called and every value is deterministic', async () => {
    const assessment = await assessClaim({ ...input(scriptedModel({}, [])), extractionModel: undefined });
    assert.equal(assessment.usage, undefined);
    assert.ok(Object.values(assessment.extracted).every((field) => field.method === 'deterministic'));
    assert.equal(assessment.extracted.reportedDate?.value, '2026-05-11');
  });
});

function hashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (path: string) => {
    for (const entry of readdirSync(path).sort()) {
      const full = join(path, entry);
      if (statSync(full).isDirectory()) walk(full);
      else out[relative(dir, full)] = createHash('sha256').update(readFileSync(full)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

describe('the synthetic dataset generator', () => {
  test('the same seed gives the same bytes and ground truth; another seed gives other claims', async () => {
    const options = { seed: 11, claims: 8, scanEvery: 1000 };
    const a = tempDir();
    const b = tempDir();
    const c = tempDir();
    const started = Date.now();
    const first = await generateClaimsDataset({ ...options, outDir: a });
    assert.ok(Date.now() - started < 10_000, 'a small set is fast');
    await generateClaimsDataset({ ...options, outDir: b });
    await generateClaimsDataset({ ...options, seed: 12, outDir: c });
    const ha = hashes(a);
    assert.deepEqual(hashes(b), ha);
    assert.notDeepEqual(hashes(c), ha);
    assert.ok(Object.keys(ha).includes('ground-truth.json'));
    assert.ok(Object.keys(ha).includes('history.csv'));
    assert.ok(Object.keys(ha).some((path) => /^claims\/CLM-\d{4}-\d{5}\/claim\.json$/.test(path)));
    assert.ok(Object.keys(ha).some((path) => path.endsWith('.eml')));
    assert.ok(Object.keys(ha).some((path) => path.endsWith('.jpg')));
    const truth = JSON.parse(readFileSync(join(a, 'ground-truth.json'), 'utf8'));
    assert.equal(truth.claims.length, 8);
    assert.deepEqual(truth, JSON.parse(JSON.stringify(first.truth)));
    const manifest = JSON.parse(readFileSync(join(a, truth.claims[0].folder, 'claim.json'), 'utf8'));
    assert.deepEqual(Object.keys(manifest).slice(0, 7), [
      'claimNumber',
      'policyNumber',
      'lineOfBusiness',
      'lossDate',
      'reportedDate',
      'region',
      'assignedAdjuster',
    ]);
  });

  test('planted fraud patterns occur in their share of a 200-claim set, and scans in a few claims', async () => {
    const { buildScenario, patternShares } = await import('../example/scenario.ts');
    const scenario = buildScenario({ seed: 18, claims: 200, years: 3 });
    for (const [pattern, share] of Object.entries(patternShares)) {
      const count = scenario.claims.filter((claim) => claim.patterns.includes(pattern as never)).length;
      assert.ok(count >= Math.round(200 * share) - 4 && count <= Math.round(200 * share), `${pattern}: ${count}`);
    }
    const years = new Set(scenario.claims.map((claim) => claim.lossDate.slice(0, 4)));
    assert.ok(years.size >= 3, 'three years of losses');
    const scanned = scenario.claims.filter((claim) => claim.scanned.length > 0).length;
    assert.equal(scanned, 8);
    assert.ok(scenario.claims.some((claim) => claim.outcome === 'not_covered'));
    assert.ok(scenario.claims.some((claim) => claim.estimate === 'unreadable'));
  });
});
