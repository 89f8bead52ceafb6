/**
 * Claims assessment quality and speed: `npm run bench:claims` (`node bench/claims.bench.ts [--claims 200]
 * [--seed 18] [--scan-every 10] [--out DIR] [--fit] [--verbose]`).
 *
 * Generates the synthetic dataset (src/claims/example), parses every document with Groundwork's own parsers
 * (OCR for the scans), runs `assessClaim` offline (deterministic extraction, no model) and prints, against the
 * ground truth: extraction field precision/recall/F1 (overall and per field, scanned documents separately),
 * fraud indicator precision/recall per code, determination accuracy, routing accuracy, calibration (ECE and the
 * reliability table) and seconds per claim (parse and assess separately). Baselines in the same run: a
 * labels-only extractor (no tables, no conflict merge: first label wins, line items and coverages missing) and
 * an "always standard" router. `--fit` prints freshly fitted Platt constants for the confidence.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  assessClaim,
  calibratedConfidence,
  confidenceCalibration,
  defaultClaimsConfig,
  expectedCalibrationError,
  fitPlatt,
} from '../src/claims/assess/index.ts';
import { countFields, type FieldCounts, prf, sameFieldValue } from '../src/claims/example/evaluate.ts';
import { generateClaimsDataset } from '../src/claims/example/generate.ts';
import {
  keywordPolicySearch,
  parseClaimFile,
  parseClaimFolder,
  readClaimManifest,
  readHistoryCsv,
} from '../src/claims/example/load.ts';
import { fraudPatterns } from '../src/claims/example/scenario.ts';
import type { ClaimAssessment, HistoryClaim } from '../src/claims/model.ts';
import { closeParsers } from '../src/ingest/index.ts';

const argument = (name: string) => {
  const index = process.argv.indexOf(name);
  return index > 0 ? process.argv[index + 1] : undefined;
};
const claimsCount = Number(argument('--claims') ?? 200);
const seed = Number(argument('--seed') ?? 18);
// Every 10th claim has a scanned FNOL or estimate (20 of 200): enough OCR'd fields to measure.
const scanEvery = Number(argument('--scan-every') ?? 10);
const verbose = process.argv.includes('--verbose');
const outDir = argument('--out') ?? mkdtempSync(join(tmpdir(), 'gw-claims-bench-'));

const generateStart = performance.now();
const dataset = await generateClaimsDataset({ seed, claims: claimsCount, years: 3, outDir, scanEvery });
const generateSeconds = (performance.now() - generateStart) / 1000;
const history: HistoryClaim[] = readHistoryCsv(readFileSync(join(outDir, 'history.csv'), 'utf8'));
const wording = (
  await parseClaimFile(join(outDir, dataset.truth.policyWording), 'personal-auto-policy-wording.pdf', 'policy-wording')
).document;

const fieldCounts = new Map<string, FieldCounts>();
const scannedCounts = new Map<string, FieldCounts>();
const baselineCounts = new Map<string, FieldCounts>();
const fraudCounts = new Map<string, FieldCounts>();
let parseSeconds = 0;
let assessSeconds = 0;
let maxClaimSeconds = 0;
let outcomeRight = 0;
let tierRight = 0;
let baselineTierRight = 0;
let payableRight = 0;
let payableTotal = 0;
let citedFound = 0;
let foundFields = 0;
const tierConfusion = new Map<string, number>();
const calibrationSamples: { raw: number; label: 0 | 1 }[] = [];
const confidenceSamples: { confidence: number; label: 0 | 1 }[] = [];
const parseErrors: string[] = [];
let autoDenied = 0;

// Claims are assessed in loss-date order; earlier claims join the history (as they would in Groundwork).
const ordered = [...dataset.truth.claims].sort((a, b) => String(a.fields.lossDate).localeCompare(String(b.fields.lossDate)));
for (const truth of ordered) {
  const folder = join(outDir, truth.folder);
  const claim = readClaimManifest(folder);
  const parseStart = performance.now();
  const parsed = await parseClaimFolder(folder, truth.claimNumber);
  const parsedSeconds = (performance.now() - parseStart) / 1000;
  parseSeconds += parsedSeconds;
  for (const file of parsed) if (file.error) parseErrors.push(`${file.document.documentId}: ${file.error}`);
  const documents = parsed.map((file) => file.document);
  const policyDocuments = [wording, ...documents.filter((document) => /declarations/.test(document.fileName))];
  const assessStart = performance.now();
  const assessment: ClaimAssessment & { detail: { rawConfidence: number } } = await assessClaim({
    claim,
    documents,
    history,
    config: defaultClaimsConfig,
    searchPolicyTerms: keywordPolicySearch(policyDocuments),
    now: new Date(Date.UTC(2026, 11, 1)),
  });
  const assessedSeconds = (performance.now() - assessStart) / 1000;
  assessSeconds += assessedSeconds;
  maxClaimSeconds = Math.max(maxClaimSeconds, parsedSeconds + assessedSeconds);

  countFields(fieldCounts, assessment.extracted, truth.fields);
  if (verbose) {
    for (const [field, value] of Object.entries(truth.fields)) {
      const got = assessment.extracted[field];
      const predicted = got && got.status !== 'missing' ? got.value : null;
      if (!sameFieldValue(field, predicted, value ?? null)) {
        process.stdout.write(`  ${truth.claimNumber} ${field}: got ${JSON.stringify(predicted)} want ${JSON.stringify(value)}\n`);
      }
    }
    const codes = assessment.fraud.indicators.map((indicator) => indicator.code).sort();
    if (
      codes.join() !== [...truth.fraudPatterns].sort().join() ||
      assessment.tier !== truth.tier ||
      assessment.determination.outcome !== truth.outcome
    ) {
      process.stdout.write(
        `  ${truth.claimNumber} fraud ${codes.join(',')} want ${truth.fraudPatterns.join(',')}; ${assessment.determination.outcome}/${assessment.tier} (${assessment.determination.confidence}, ${assessment.fraud.score}) want ${truth.outcome}/${truth.tier}; ${assessment.fraud.notes?.join(' ') ?? ''} ${assessment.fraud.indicators.map((i) => i.reason).join(' | ')}\n`,
      );
    }
  }
  if (truth.documents.some((document) => document.scanned && !document.unreadable)) {
    const scannedTypes = new Set(truth.documents.filter((document) => document.scanned).map((document) => document.type));
    const scannedFields = Object.keys(truth.fields).filter((field) =>
      scannedTypes.has('fnol')
        ? [
            'claimNumber',
            'policyNumber',
            'parties',
            'vehicles',
            'lossDate',
            'lossTime',
            'lossLocation',
            'circumstances',
            'reportedDate',
            'injuries',
            'pointOfImpact',
          ].includes(field)
        : ['repairLineItems', 'repairTotal'].includes(field),
    );
    countFields(scannedCounts, assessment.extracted, truth.fields, scannedFields);
  }
  // Baseline: labels only (tables unread, no merge across documents).
  const labelsOnly = Object.fromEntries(
    Object.entries(assessment.extracted).map(([name, field]) => [
      name,
      ['repairLineItems', 'coverages', 'deductible', 'parties', 'vehicles'].includes(name)
        ? { ...field, status: 'missing' as const, value: null }
        : field,
    ]),
  );
  countFields(baselineCounts, labelsOnly, truth.fields);
  for (const field of Object.values(assessment.extracted)) {
    if (field.status === 'missing') continue;
    foundFields++;
    if (field.citation?.passage && field.citation.documentId) citedFound++;
  }

  const predictedCodes = new Set(assessment.fraud.indicators.map((indicator) => indicator.code));
  for (const code of fraudPatterns) {
    const entry = fraudCounts.get(code) ?? { tp: 0, fp: 0, fn: 0 };
    const planted = truth.fraudPatterns.includes(code);
    if (planted && predictedCodes.has(code)) entry.tp++;
    else if (planted) entry.fn++;
    else if (predictedCodes.has(code)) entry.fp++;
    fraudCounts.set(code, entry);
  }
  if (assessment.determination.outcome === truth.outcome) outcomeRight++;
  if (truth.estimatedPayable !== null) {
    payableTotal++;
    if (
      assessment.determination.estimatedPayable !== null &&
      Math.abs(assessment.determination.estimatedPayable - truth.estimatedPayable) < 0.011
    )
      payableRight++;
  }
  if (assessment.tier === truth.tier) tierRight++;
  if (truth.tier === 'standard') baselineTierRight++;
  if (assessment.determination.outcome === 'not_covered' && assessment.tier === 'fast_track') autoDenied++;
  const confusionKey = `${truth.tier} → ${assessment.tier}`;
  tierConfusion.set(confusionKey, (tierConfusion.get(confusionKey) ?? 0) + 1);
  const label: 0 | 1 = assessment.determination.outcome === truth.outcome && truth.outcome !== 'needs_information' ? 1 : 0;
  calibrationSamples.push({ raw: assessment.detail.rawConfidence, label });
  confidenceSamples.push({ confidence: assessment.determination.confidence, label });

  // This claim joins the history for the later ones.
  const insured = (assessment.extracted.parties?.value as { role: string; name: string; address?: string }[] | null)?.find(
    (party) => party.role === 'insured',
  );
  history.push({
    claimNumber: truth.claimNumber,
    policyNumber: claim.policyNumber ?? '',
    lineOfBusiness: claim.lineOfBusiness,
    lossDate: String(assessment.extracted.lossDate?.value ?? claim.lossDate),
    ...(claim.region ? { region: claim.region } : {}),
    ...(claim.damageType ? { damageType: claim.damageType } : {}),
    ...(typeof assessment.extracted.repairTotal?.value === 'number' ? { amount: assessment.extracted.repairTotal.value } : {}),
    ...(insured ? { claimantName: insured.name, ...(insured.address ? { address: insured.address } : {}) } : {}),
  });
}

// Generalisation check: 40 claims whose FNOL is in a layout the extractor was not written for.
const heldOutDir = mkdtempSync(join(tmpdir(), 'gw-claims-heldout-'));
const heldOut = await generateClaimsDataset({
  seed: seed + 1,
  claims: 40,
  years: 3,
  outDir: heldOutDir,
  scanEvery: 1000,
  heldOutLayout: true,
});
const heldOutCounts = new Map<string, FieldCounts>();
let heldOutTierRight = 0;
const heldOutConfusion = new Map<string, number>();
const heldOutHistory = readHistoryCsv(readFileSync(join(heldOutDir, 'history.csv'), 'utf8'));
for (const truth of heldOut.truth.claims) {
  const folder = join(heldOutDir, truth.folder);
  const documents = (await parseClaimFolder(folder, truth.claimNumber)).map((file) => file.document);
  const assessment = await assessClaim({
    claim: readClaimManifest(folder),
    documents,
    history: heldOutHistory,
    config: defaultClaimsConfig,
    searchPolicyTerms: keywordPolicySearch([wording, ...documents.filter((document) => /declarations/.test(document.fileName))]),
    now: new Date(Date.UTC(2026, 11, 1)),
  });
  countFields(heldOutCounts, assessment.extracted, truth.fields);
  if (assessment.tier === truth.tier) heldOutTierRight++;
  const key = `${truth.tier} → ${assessment.tier}`;
  heldOutConfusion.set(key, (heldOutConfusion.get(key) ?? 0) + 1);
}
rmSync(heldOutDir, { recursive: true, force: true });
await closeParsers();

const sum = (counts: Map<string, FieldCounts>) =>
  [...counts.values()].reduce((total, c) => ({ tp: total.tp + c.tp, fp: total.fp + c.fp, fn: total.fn + c.fn }), {
    tp: 0,
    fp: 0,
    fn: 0,
  });
const pct = (value: number) => `${(value * 100).toFixed(1)}%`;
const fmt = (c: FieldCounts) => {
  const r = prf(c);
  return `P ${r.precision.toFixed(3)}  R ${r.recall.toFixed(3)}  F1 ${r.f1.toFixed(3)}  (tp ${c.tp}, fp ${c.fp}, fn ${c.fn})`;
};
const n = dataset.truth.claims.length;
const scans = dataset.truth.claims.filter((claim) => claim.documents.some((document) => document.scanned)).length;
const overall = prf(sum(fieldCounts));
const out: string[] = [];
out.push(
  `claims bench: ${n} claims (seed ${seed}, ${scans} with a scanned document), ${cpus().length} CPUs, generated in ${generateSeconds.toFixed(1)} s`,
);
out.push('');
out.push('extraction (offline, deterministic):');
out.push(`  overall          ${fmt(sum(fieldCounts))}`);
out.push(`  scanned docs     ${fmt(sum(scannedCounts))}`);
out.push(`  baseline labels  ${fmt(sum(baselineCounts))}`);
out.push(`  found fields with a citation: ${citedFound}/${foundFields}`);
for (const [field, counts] of [...fieldCounts.entries()].sort()) out.push(`    ${field.padEnd(24)} ${fmt(counts)}`);
out.push(
  `  held-out FNOL layout (40 claims, labels above values, other wording): ${fmt(sum(heldOutCounts))}; routing ${pct(heldOutTierRight / heldOut.truth.claims.length)}`,
);
const heldOutMissed = [...heldOutCounts.entries()]
  .filter(([, counts]) => counts.fn > 0)
  .map(([field, counts]) => `${field} ${counts.fn}`);
out.push(`    fields missed there: ${heldOutMissed.join(', ') || 'none'}`);
out.push(
  `    routed there (truth → routed): ${[...heldOutConfusion.entries()]
    .sort()
    .map(([key, count]) => `${key}: ${count}`)
    .join('; ')}`,
);
out.push('');
out.push('fraud indicators (planted vs reported):');
for (const code of fraudPatterns) {
  const c = fraudCounts.get(code) ?? { tp: 0, fp: 0, fn: 0 };
  const r = prf(c);
  out.push(
    `  ${code.padEnd(34)} precision ${r.precision.toFixed(3)}  recall ${r.recall.toFixed(3)}  (planted ${c.tp + c.fn}, reported ${c.tp + c.fp})`,
  );
}
out.push('');
out.push(
  `determination accuracy: ${pct(outcomeRight / n)} (${outcomeRight}/${n}); payable exact: ${payableRight}/${payableTotal}`,
);
out.push(
  `routing accuracy: ${pct(tierRight / n)} (${tierRight}/${n}); baseline "always standard": ${pct(baselineTierRight / n)}`,
);
out.push(`not_covered fast-tracked (auto-denied): ${autoDenied}`);
out.push(
  `  confusion (truth → routed): ${[...tierConfusion.entries()]
    .sort()
    .map(([key, count]) => `${key}: ${count}`)
    .join('; ')}`,
);
const calibration = expectedCalibrationError(confidenceSamples);
const uncalibrated = expectedCalibrationError(
  calibrationSamples.map((sample) => ({ confidence: calibratedConfidence(sample.raw, { a: 1, b: 0 }), label: sample.label })),
);
out.push('');
out.push(
  `calibration: ECE ${calibration.ece.toFixed(3)} with Platt a=${confidenceCalibration.a} b=${confidenceCalibration.b}; baseline sigmoid(raw) ECE ${uncalibrated.ece.toFixed(3)}`,
);
for (const row of calibration.table) {
  out.push(
    `  [${row.from.toFixed(1)}, ${row.to.toFixed(1)}) n ${String(row.n).padStart(3)}  mean confidence ${row.meanConfidence.toFixed(3)}  right and final ${row.accuracy.toFixed(3)}`,
  );
}
if (process.argv.includes('--fit')) out.push(`  refit on this run: ${JSON.stringify(fitPlatt(calibrationSamples))}`);
out.push('');
out.push(
  `seconds per claim: parse ${(parseSeconds / n).toFixed(3)} s, assess ${(assessSeconds / n).toFixed(4)} s, slowest claim ${maxClaimSeconds.toFixed(2)} s (target < 10 s)`,
);
out.push(`parse errors (would be quarantined): ${parseErrors.length}${parseErrors.length ? ` — ${parseErrors.join(', ')}` : ''}`);
out.push(
  `targets: field F1 ${overall.f1.toFixed(3)} ≥ 0.95 ${overall.f1 >= 0.95 ? 'met' : 'NOT met'}; per claim ${((parseSeconds + assessSeconds) / n).toFixed(2)} s < 10 s ${(parseSeconds + assessSeconds) / n < 10 ? 'met' : 'NOT met'}`,
);
process.stdout.write(`${out.join('\n')}\n`);
if (!argument('--out')) rmSync(outDir, { recursive: true, force: true });
process.exit(0);
