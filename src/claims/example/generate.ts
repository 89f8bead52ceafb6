/**
 * The synthetic claims dataset (seeded, deterministic): `generateClaimsDataset({seed, claims, years, outDir})`
 * writes
 *
 * - `claims/<claim-no>/`: `claim.json` (the manifest), `fnol.pdf`, `police-report.pdf`, `repair-estimate.pdf`,
 *   `medical-bill.pdf` (injury claims), `declarations.pdf`, `email-1.eml`, `cancellation-notice.eml` (some),
 *   `photo-N.jpg` (EXIF DateTimeOriginal and caption); some FNOLs and estimates are scans (OCR needed), a few
 *   estimates are missing or unreadable;
 * - `policies/personal-auto-policy-wording.pdf`: the policy terms the determination cites;
 * - `history.csv`: older claims (claimant, VIN, address, amount, damage type) for the fraud indicators;
 * - `ground-truth.json`: every field value, the planted fraud patterns, the correct outcome and tier per claim.
 *
 * Also a script: `node src/claims/example/generate.ts --out DIR --seed N --claims N [--years N]`.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ClaimDocumentType } from '../model.ts';
import {
  cancellationEmailText,
  declarationsPages,
  emailText,
  estimatePages,
  fnolPages,
  medicalBillPages,
  noisePage,
  photoJpeg,
  policeReportPages,
  policyWordingPages,
  scannedPdf,
  scanPage,
  textPdf,
} from './render.ts';
import { buildScenario, fraudPatterns, type HistoryRow, patternShares, type ScenarioClaim, truthFields } from './scenario.ts';

export interface GenerateClaimsOptions {
  readonly seed: number;
  /** Number of claims (200 for the benchmark, ~10 for tests). */
  readonly claims: number;
  /** Years the loss dates span. */
  readonly years?: number;
  readonly outDir: string;
  /** Every `scanEvery`-th claim has a scanned FNOL or estimate (OCR is slow). Default 25. */
  readonly scanEvery?: number;
  /** Every FNOL in a layout the extractor was not written for (the benchmark's generalisation check). */
  readonly heldOutLayout?: boolean;
}

export interface GroundTruthDocument {
  readonly file: string;
  readonly type: ClaimDocumentType;
  readonly scanned: boolean;
  readonly unreadable?: boolean;
}

export interface GroundTruthClaim {
  readonly claimNumber: string;
  readonly folder: string;
  readonly fields: Record<string, unknown>;
  readonly fraudPatterns: readonly string[];
  readonly outcome: string;
  readonly tier: string;
  readonly missing: readonly string[];
  readonly deductible: number | null;
  readonly estimatedPayable: number | null;
  readonly damageType: string;
  readonly documents: readonly GroundTruthDocument[];
}

export interface GroundTruth {
  readonly seed: number;
  readonly claims: readonly GroundTruthClaim[];
  readonly patternShares: Readonly<Record<string, number>>;
  readonly policyWording: string;
}

export interface GeneratedDataset {
  readonly outDir: string;
  readonly truth: GroundTruth;
  readonly history: readonly HistoryRow[];
}

/** The claim manifest (`claim.json`). */
export function claimManifest(claim: ScenarioClaim) {
  return {
    claimNumber: claim.claimNumber,
    policyNumber: claim.policyNumber,
    lineOfBusiness: claim.lineOfBusiness,
    lossDate: claim.lossDate,
    reportedDate: claim.reportedDate,
    region: claim.region,
    assignedAdjuster: claim.adjuster,
    damageType: claim.damageType,
  };
}

const csvCell = (value: unknown) => {
  const text = String(value ?? '');
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

export const historyColumns = [
  'claimNumber',
  'policyNumber',
  'lineOfBusiness',
  'lossDate',
  'region',
  'damageType',
  'amount',
  'claimantName',
  'vehicleVin',
  'address',
  'outcome',
] as const;

export function historyCsv(rows: readonly HistoryRow[]): string {
  const lines = [historyColumns.join(',')];
  for (const row of rows) lines.push(historyColumns.map((column) => csvCell(row[column])).join(','));
  return `${lines.join('\n')}\n`;
}

/** Generates the dataset into `outDir` (replacing `outDir/claims`, `outDir/policies` and the two files). */
export async function generateClaimsDataset(options: GenerateClaimsOptions): Promise<GeneratedDataset> {
  const scenario = buildScenario({
    seed: options.seed,
    claims: options.claims,
    years: options.years ?? 3,
    ...(options.scanEvery ? { scanEvery: options.scanEvery } : {}),
    ...(options.heldOutLayout ? { heldOutLayout: true } : {}),
  });
  const claimsDir = join(options.outDir, 'claims');
  rmSync(claimsDir, { recursive: true, force: true });
  rmSync(join(options.outDir, 'policies'), { recursive: true, force: true });
  mkdirSync(claimsDir, { recursive: true });
  mkdirSync(join(options.outDir, 'policies'), { recursive: true });
  writeFileSync(
    join(options.outDir, 'policies', 'personal-auto-policy-wording.pdf'),
    await textPdf(policyWordingPages, 'Personal auto policy wording'),
  );

  const truthClaims: GroundTruthClaim[] = [];
  for (const claim of scenario.claims) {
    const folder = join(claimsDir, claim.claimNumber);
    mkdirSync(folder, { recursive: true });
    const documents: GroundTruthDocument[] = [];
    const write = (file: string, bytes: Uint8Array | string, type: ClaimDocumentType, scanned = false, unreadable = false) => {
      writeFileSync(join(folder, file), bytes);
      documents.push({ file, type, scanned, ...(unreadable ? { unreadable } : {}) });
    };
    const seed = options.seed * 100_003 + claim.index * 17;
    // Half the scans are poorer (150 dpi, as from an office scanner's draft setting): OCR misreads some characters.
    const dpi = claim.index % 2 === 1 ? 150 : 200;
    writeFileSync(join(folder, 'claim.json'), `${JSON.stringify(claimManifest(claim), null, 2)}\n`);

    const fnol = fnolPages(claim);
    if (claim.scanned.includes('fnol')) {
      write('fnol.pdf', await scannedPdf([await scanPage(fnol[0] ?? [], seed + 1, dpi)], 'First notice of loss'), 'fnol', true);
    } else write('fnol.pdf', await textPdf(fnol, 'First notice of loss'), 'fnol');
    if (claim.policeReportNumber)
      write('police-report.pdf', await textPdf(policeReportPages(claim), 'Traffic collision report'), 'police_report');
    if (claim.estimate === 'present') {
      const estimate = estimatePages(claim);
      if (claim.scanned.includes('repair_estimate')) {
        write(
          'repair-estimate.pdf',
          await scannedPdf([await scanPage(estimate[0] ?? [], seed + 2, dpi)], 'Repair estimate'),
          'repair_estimate',
          true,
        );
      } else write('repair-estimate.pdf', await textPdf(estimate, 'Repair estimate'), 'repair_estimate');
    } else if (claim.estimate === 'unreadable') {
      write(
        'repair-estimate.pdf',
        await scannedPdf([await noisePage(seed + 3)], 'Repair estimate'),
        'repair_estimate',
        true,
        true,
      );
    }
    if (claim.medicalTotal !== null)
      write('medical-bill.pdf', await textPdf(medicalBillPages(claim), 'Statement of medical services'), 'medical_bill');
    write('declarations.pdf', await textPdf(declarationsPages(claim), 'Policy declarations'), 'policy_declarations');
    if (claim.hasEmail) write('email-1.eml', emailText(claim, seed), 'correspondence');
    if (claim.cancellationNoticeDate) write('cancellation-notice.eml', cancellationEmailText(claim, seed), 'correspondence');
    for (let photo = 0; photo < claim.photos; photo++)
      write(`photo-${photo + 1}.jpg`, await photoJpeg(claim, photo, seed + 10 + photo), 'photo');

    truthClaims.push({
      claimNumber: claim.claimNumber,
      folder: `claims/${claim.claimNumber}`,
      fields: truthFields(claim),
      fraudPatterns: claim.patterns,
      outcome: claim.outcome,
      tier: claim.tier,
      missing: claim.missing,
      deductible: claim.deductible,
      estimatedPayable: claim.estimatedPayable,
      damageType: claim.damageType,
      documents,
    });
  }
  writeFileSync(join(options.outDir, 'history.csv'), historyCsv(scenario.history));
  const truth: GroundTruth = {
    seed: options.seed,
    claims: truthClaims,
    patternShares: Object.fromEntries(fraudPatterns.map((pattern) => [pattern, patternShares[pattern]])),
    policyWording: 'policies/personal-auto-policy-wording.pdf',
  };
  writeFileSync(join(options.outDir, 'ground-truth.json'), `${JSON.stringify(truth, null, 2)}\n`);
  return { outDir: options.outDir, truth, history: scenario.history };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const argument = (name: string) => {
    const index = process.argv.indexOf(name);
    return index > 0 ? process.argv[index + 1] : undefined;
  };
  const outDir = argument('--out');
  if (!outDir) {
    process.stderr.write('usage: node src/claims/example/generate.ts --out DIR [--seed N] [--claims N] [--years N]\n');
    process.exit(2);
  }
  const started = Date.now();
  const result = await generateClaimsDataset({
    outDir,
    seed: Number(argument('--seed') ?? 18),
    claims: Number(argument('--claims') ?? 200),
    years: Number(argument('--years') ?? 3),
  });
  process.stdout.write(
    `${result.truth.claims.length} claims written to ${outDir} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
}
