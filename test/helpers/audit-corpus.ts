/**
 * A generated folder for the data audit's tests and benchmark: known formats (detected by content, one
 * mislabelled file), a Windows-1252 file, a text PDF, a scanned PDF and a half-scanned one, an image, an
 * encrypted PDF, a corrupt DOCX, two near-duplicates and an exact copy, PII, old modification times, sidecars,
 * an ACL map (written beside the folder, not in it) and a file named like an HTML injection.
 */
import assert from 'node:assert/strict';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import type { DataAuditReport } from '../../src/data-audit/index.ts';
import { makeEncryptedPdf, makePdf, textImagePng } from '../../src/ingest/parsers/fixtures/generate-fixtures.ts';

export const scriptName = '<script>alert(1)</script>.txt';

/** Long enough text for shingles; `variant` changes one word so two copies are near, not exact, duplicates. */
export function policyText(variant: string): string {
  const sentences = [
    'Water damage claims must be reported within twenty four hours of discovery by the policy holder.',
    'The adjuster inspects the property and records the cause of loss, the affected rooms and the estimated repair cost.',
    'Claims above the delegated authority limit are referred to the senior claims handler for approval before payment.',
    `Mould remediation is covered only when the leak was sudden and accidental, as decided by the ${variant} team.`,
    'Photographs of the damage, invoices and the plumber report are attached to the claim file in the document system.',
    'Payments are made by bank transfer to the account named in the policy schedule within ten working days.',
  ];
  return `${sentences.join(' ')}\n\n${sentences.slice(0, 3).join(' ')}\n`;
}

export interface AuditCorpus {
  readonly root: string;
  readonly aclMapPath: string;
  /** Every file written (not the sidecars), by ref. */
  readonly refs: readonly string[];
  /** Modification times that were set, by ref (the rest are "now"). */
  readonly oldFiles: Readonly<Record<string, Date>>;
}

/** Writes the corpus under `base` (`base/share` and `base/acl-map.json`). */
export async function writeAuditCorpus(base: string, now = new Date()): Promise<AuditCorpus> {
  const root = join(base, 'share');
  const files = new Map<string, Uint8Array | string>();
  files.set('public/handbook.md', `# Claims handbook\n\n${policyText('claims')}`);
  files.set('public/handbook-copy.md', `# Claims handbook (copy)\n\n${policyText('claims')}`);
  files.set('public/handbook-2019.md', `# Claims handbook 2019\n\n${policyText('underwriting')}`);
  // é, ü and a curly quote in Windows-1252: 0xE9, 0xFC, 0x93/0x94.
  files.set(
    'public/legacy.txt',
    Uint8Array.from([
      ...strToU8('R'),
      0xe9,
      ...strToU8('sum'),
      0xe9,
      ...strToU8(' der Schadenf'),
      0xe4,
      ...strToU8('lle f'),
      0xfc,
      ...strToU8('r das Gesch'),
      0xe4,
      ...strToU8('ftsjahr, '),
      0x93,
      ...strToU8('vertraulich'),
      0x94,
      ...strToU8(' und nur f'),
      0xfc,
      ...strToU8('r den internen Gebrauch bestimmt.\n'),
    ]),
  );
  files.set(
    'hr/employee.txt',
    'Employee record\n\nContact Jane Roe at jane.roe@example.com or john.doe@example.org for payroll questions. Salary is paid to IBAN DE89 3704 0044 0532 0130 00 every month.\n',
  );
  files.set(
    'claims/report.pdf',
    await makePdf([{ text: ['Claim CL-2026-0142 assessment', 'The roof was damaged by hail.'] }], {
      title: 'Claim assessment',
      author: 'Ann Adjuster',
    }),
  );
  files.set('claims/scan.pdf', await makePdf([{ scanned: ['Scanned claim form'] }, { scanned: ['Second scanned page'] }]));
  files.set(
    'claims/mixed.pdf',
    await makePdf([
      { text: ['A page with a text layer about the hail claim and the roof repair.'] },
      { scanned: ['Signed statement'] },
    ]),
  );
  files.set('claims/photo.png', await textImagePng(['Roof damage photo']));
  files.set('claims/secret.pdf', await makeEncryptedPdf());
  // A ZIP signature with garbage behind it, named like a Word document.
  files.set(
    'claims/broken.docx',
    Uint8Array.from([0x50, 0x4b, 0x03, 0x04, ...strToU8('this is not really a zip archive at all')]),
  );
  // A PDF behind a text extension: detected (and parsed) as a PDF, counted as an extension mismatch.
  files.set(
    'claims/letter.txt',
    await makePdf([{ text: ['Letter to the policy holder about the hail claim settlement.'] }], { title: 'Settlement letter' }),
  );
  files.set(
    'public/archive.zip',
    zipSync({ 'minutes.txt': strToU8('Minutes of the claims meeting about hail damage and roof repairs in spring.') }),
  );
  files.set(scriptName, 'A file whose name tries to inject a script into the report.\n');
  for (const [ref, content] of files) {
    const path = join(root, ...ref.split('/'));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
  }
  // Sidecars: explicit principals (and a title) for one file, operator-only for another.
  await writeFile(
    join(root, 'public', 'handbook.md.meta.json'),
    JSON.stringify({ principals: ['group:staff'], title: 'Claims handbook' }),
  );
  await writeFile(join(root, 'public', 'legacy.txt.meta.json'), JSON.stringify({ principals: [] }));
  const aclMapPath = join(base, 'acl-map.json');
  await writeFile(
    aclMapPath,
    JSON.stringify({
      rules: [
        { match: 'claims/**', principals: ['group:claims'] },
        { match: 'hr/**', principals: ['group:hr', 'user:ann@example.com', 'LEGACY-ROLE-7'] },
      ],
    }),
  );
  const year = 365.25 * 86_400_000;
  const oldFiles: Record<string, Date> = {
    'public/handbook-2019.md': new Date(now.getTime() - 6 * year),
    'public/legacy.txt': new Date(now.getTime() - 12 * year),
    'hr/employee.txt': new Date(now.getTime() - 2.5 * year),
    'claims/report.pdf': new Date(now.getTime() - 4 * year),
  };
  for (const [ref, date] of Object.entries(oldFiles)) await utimes(join(root, ...ref.split('/')), date, date);
  return { root, aclMapPath, refs: [...files.keys()].sort(), oldFiles };
}

const expectedKeys = [
  'files',
  'bytes',
  'formats',
  'encodings',
  'ocrShare',
  'unparseable',
  'nearDuplicates',
  'pii',
  'staleness',
  'permissionCoverage',
  'missingMetadata',
  'estimate',
];

/** Every figure of the generated corpus (test/helpers/audit-corpus.ts), with its ACL map applied. */
export function assertCorpusFigures(report: DataAuditReport, corpus: AuditCorpus): void {
  for (const key of expectedKeys) assert.ok(key in report, `report has ${key}`);
  assert.equal(report.files, 14);
  assert.equal(report.audited.files, 14);
  assert.equal(report.audited.sampled, false);
  assert.equal(report.documents, 13, '12 parsed or OCR-pending files + 1 archive member');
  const format = (mediaType: string) => report.formats.find((entry) => entry.mediaType === mediaType);
  assert.deepEqual(report.formats.map((entry) => `${entry.mediaType} ${entry.files} ${entry.extensionMismatch}`).sort(), [
    'application/pdf 5 1',
    'application/vnd.openxmlformats-officedocument.wordprocessingml.document 1 0',
    'application/zip 1 0',
    'image/png 1 0',
    'text/markdown 3 0',
    'text/plain 3 0',
  ]);
  assert.equal(report.formats[0]?.mediaType, 'application/pdf', 'most files first');
  assert.equal(format('application/pdf')?.share, 0.3571);
  assert.equal(
    report.formats.reduce((sum, entry) => sum + entry.bytes, 0),
    report.bytes,
  );
  assert.deepEqual(report.encodings, [
    { encoding: 'utf-8', documents: 6, guessed: 0 },
    { encoding: 'windows-1252', documents: 1, guessed: 0 },
  ]);
  // OCR: scan.pdf (2 pages), mixed.pdf (1 of 2), photo.png (1) — counted, not run.
  assert.equal(report.ocrShare, 0.2143);
  assert.deepEqual(report.ocr, { files: 3, pages: 4, totalPages: 7, pageShare: 0.5714, images: 1, pdfs: 2, ran: false });
  assert.equal(report.unparseable.count, 2);
  assert.deepEqual(report.unparseable.byCode, { 'parse.corrupt': 1, 'parse.encrypted': 1 });
  assert.deepEqual(
    report.unparseable.files.map((file) => [file.ref, file.code]),
    [
      ['claims/broken.docx', 'parse.corrupt'],
      ['claims/secret.pdf', 'parse.encrypted'],
    ],
  );
  assert.match(report.unparseable.files[1]?.message ?? '', /password-protected or encrypted\. Fix: /);
  assert.equal(report.unparseable.share, 0.1429);
  // Near-duplicates: the handbook, its copy under another heading, and the 2019 edition (one word differs).
  assert.equal(report.nearDuplicates.clusterCount, 1);
  assert.equal(report.nearDuplicates.documentsCompared, 10);
  const [cluster] = report.nearDuplicates.clusters;
  assert.deepEqual(
    cluster?.members.map((member) => member.ref),
    ['public/handbook-2019.md', 'public/handbook-copy.md', 'public/handbook.md'],
  );
  assert.ok((cluster?.minSimilarity ?? 0) >= 0.8 && (cluster?.minSimilarity ?? 0) < 1, `similarity ${cluster?.minSimilarity}`);
  // PII: two e-mail addresses and an IBAN in hr/employee.txt — counted per 1,000 words, values never shown.
  const pii = (type: string) => report.pii.types.find((entry) => entry.type === type);
  assert.equal(pii('email')?.count, 2);
  assert.equal(pii('iban')?.count, 1);
  assert.equal(pii('email')?.documents, 1);
  assert.equal(pii('email')?.per1000Words, Math.round((2 / report.pii.words) * 1_000_000) / 1000);
  assert.equal(report.pii.documentsWithPii, 1);
  assert.equal(report.pii.documentsWithText, 10);
  assert.equal(report.pii.shareWithPii, 0.1);
  const json = JSON.stringify(report);
  for (const value of ['jane.roe@example.com', 'john.doe@example.org', 'DE89', '3704 0044'])
    assert.ok(!json.includes(value), value);
  assert.deepEqual(report.sensitivity, [
    { label: 'internal', documents: 10, share: 0.9091 },
    { label: 'restricted', documents: 1, share: 0.0909 },
  ]);
  // Staleness from the modification times set with utimes.
  assert.deepEqual(
    report.staleness.buckets.map((bucket) => [bucket.label, bucket.files]),
    [
      ['< 30 days', 10],
      ['30 days – 1 year', 0],
      ['1–2 years', 0],
      ['2–3 years', 1],
      ['3–5 years', 1],
      ['5–10 years', 1],
      ['≥ 10 years', 1],
    ],
  );
  assert.equal(report.staleness.stale.files, 3);
  assert.equal(report.staleness.stale.share, 0.2143);
  assert.deepEqual(
    report.staleness.oldest.slice(0, 4).map((entry) => entry.ref),
    ['public/legacy.txt', 'public/handbook-2019.md', 'claims/report.pdf', 'hr/employee.txt'],
  );
  assert.equal(report.staleness.oldestModifiedAt, corpus.oldFiles['public/legacy.txt']?.toISOString());
  // Permissions: claims/** and hr/** by rules, two sidecars, nothing decides the rest (no default).
  const coverage = report.permissionCoverage;
  assert.equal(coverage.documents, 13);
  assert.deepEqual(coverage.decidedBy, { inherited: 1, none: 4, rules: 6, sidecar: 2 });
  assert.equal(coverage.undecided, 5);
  assert.equal(coverage.undecidedShare, 0.3846);
  assert.equal(coverage.operatorOnly, 6);
  assert.deepEqual(
    coverage.principalsPerDocument.map((bucket) => bucket.documents),
    [6, 6, 1, 0, 0, 0],
  );
  assert.equal(coverage.distinctPrincipals, 4);
  assert.deepEqual(coverage.topPrincipals[0], { principal: 'group:claims', documents: 5 });
  assert.equal(coverage.unknownIdentities, 1, 'LEGACY-ROLE-7 is neither a principal nor an alias');
  assert.deepEqual(coverage.aclMap, { present: true, rules: 2, hasDefault: false });
  assert.equal(coverage.sidecars, 2);
  assert.deepEqual(coverage.undecidedExamples, [
    scriptName,
    'public/archive.zip',
    'public/archive.zip!/minutes.txt',
    'public/handbook-2019.md',
    'public/handbook-copy.md',
  ]);
  // Missing metadata over the 11 parsed documents.
  assert.equal(report.missingMetadata.documents, 11);
  assert.deepEqual(report.missingMetadata.title.examples, [
    scriptName,
    'claims/mixed.pdf',
    'hr/employee.txt',
    'public/archive.zip',
    'public/archive.zip!/minutes.txt',
    'public/legacy.txt',
  ]);
  assert.equal(report.missingMetadata.date.missing, 8, 'the three PDFs carry a creation date');
  assert.equal(report.missingMetadata.author.missing, 10, 'only claims/report.pdf names its author');
  // Estimate: OCR pages × the measured seconds per page ÷ 2 parse workers; OCR cost from the price table.
  const estimate = report.estimate;
  assert.equal(estimate.documents, 13);
  assert.equal(estimate.pages, 7);
  assert.equal(estimate.ocrPages, 4);
  assert.ok(estimate.chunks >= 10, `chunks ${estimate.chunks}`);
  assert.ok(estimate.embeddingTokens > 500, `tokens ${estimate.embeddingTokens}`);
  assert.deepEqual(estimate.ocrSeconds, { low: 3.2, high: 24.4 });
  assert.ok(estimate.seconds.low >= estimate.ocrSeconds.low + estimate.measuredAuditSeconds);
  assert.ok(estimate.seconds.high > estimate.seconds.low);
  assert.equal(estimate.ocrCostUsd, 0.002);
  assert.ok(estimate.constants.every((constant) => constant.source.startsWith('docs/benchmarks.md')));
}

export function assertSelfContainedHtml(html: string): void {
  assert.ok(html.startsWith('<!doctype html>'));
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;.txt'), 'the file name is escaped');
  assert.ok(!html.includes('<script'), 'no script element, escaped or injected');
  assert.ok(!/\s(src|href)=/i.test(html), 'no external asset');
  assert.ok(!/<link|@import|url\(/i.test(html), 'no stylesheet or font from elsewhere');
  assert.ok(!/https?:\/\/(?!www\.w3\.org\/2000\/svg")/.test(html), 'no URL but the SVG namespace');
  assert.ok(html.includes('<style>') && html.includes('<svg'), 'inline CSS and SVG charts');
  for (const id of ['formats', 'staleness', 'pii', 'permissions', 'duplicates', 'unparseable', 'estimate'])
    assert.ok(html.includes(`<section id="${id}">`), id);
  assert.ok(!html.includes('jane.roe@example.com'));
}
