/**
 * Builds the binary files of the example corpus (PDFs, the scanned page, the rate spreadsheet and the
 * Windows-1252 legacy file) from the text below, so every byte of the corpus is ours and reproducible:
 *   node examples/scripts/build-examples.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCanvas } from '@napi-rs/canvas';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { PDFDocument, StandardFonts } from 'pdf-lib';

const corpus = join(dirname(fileURLToPath(import.meta.url)), '..', 'corpus');

const ho3Pages: Array<{ heading: string; paragraphs: string[] }> = [
  {
    heading: 'Homeowners 3 - Special Form (HO-3)',
    paragraphs: [
      'Meridian Mutual Insurance, policy form HO-3, edition 03 26.',
      'Agreement. We will provide the insurance described in this policy in return for the premium and compliance with all applicable provisions of this policy.',
      'Definitions. "You" and "your" refer to the named insured shown in the Declarations. "Occurrence" means an accident, including continuous or repeated exposure to substantially the same general harmful conditions.',
      'Section I - Property Coverages. Coverage A - Dwelling. Coverage B - Other Structures, 10% of Coverage A. Coverage C - Personal Property, 50% of Coverage A. Coverage D - Loss of Use, 20% of Coverage A.',
    ],
  },
  {
    heading: 'Section I - Deductibles',
    paragraphs: [
      'All other perils deductible. Unless otherwise shown in the Declarations, the all other perils (AOP) deductible is 1,000 USD per occurrence.',
      'Water damage deductible. Under policy form HO-3 the deductible for water damage caused by the sudden and accidental discharge or overflow of water or steam is 1,000 USD per occurrence. When the Water Damage Deductible Endorsement (MM-HO-WD-04) is attached, the water damage deductible is 2,500 USD per occurrence instead.',
      'Wind and hail deductible. Loss caused by windstorm or hail is subject to a deductible of 2% of the Coverage A limit, with a minimum of 1,000 USD.',
      'Only one deductible applies to an occurrence: the highest applicable deductible.',
    ],
  },
  {
    heading: 'Section I - Exclusions',
    paragraphs: [
      'We do not insure loss caused by continuous or repeated seepage or leakage of water or steam over a period of 14 days or more.',
      'We do not insure loss caused by flood, surface water, waves, tidal water or overflow of a body of water, whether or not driven by wind.',
      'Mold, fungus or wet rot resulting from a covered water loss is covered up to 10,000 USD per policy term.',
      'Earth movement, neglect, war and nuclear hazard are excluded.',
    ],
  },
  {
    heading: 'Section II - Liability Coverages',
    paragraphs: [
      'Coverage E - Personal Liability. The limit is 300,000 USD per occurrence unless a higher limit is shown in the Declarations.',
      'Coverage F - Medical Payments to Others. We pay necessary medical expenses up to 5,000 USD per person.',
      'Duties after loss. Give prompt notice to us or our agent, protect the property from further damage, and keep an accurate record of repair expenses.',
    ],
  },
];

function wrap(text: string, width: number, font: { widthOfTextAtSize(t: string, s: number): number }, size: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const candidate = line ? `${line} ${word}` : word;
    if (font.widthOfTextAtSize(candidate, size) > width && line) {
      lines.push(line);
      line = word;
    } else line = candidate;
  }
  if (line) lines.push(line);
  return lines;
}

async function buildHo3Pdf(): Promise<void> {
  const pdf = await PDFDocument.create();
  pdf.setTitle('Homeowners 3 - Special Form (HO-3)');
  pdf.setAuthor('Meridian Mutual Insurance - Policy Forms');
  pdf.setCreationDate(new Date('2026-03-01T00:00:00Z'));
  pdf.setModificationDate(new Date('2026-03-01T00:00:00Z'));
  const font = await pdf.embedFont(StandardFonts.TimesRoman);
  const bold = await pdf.embedFont(StandardFonts.TimesRomanBold);
  for (const [index, page] of ho3Pages.entries()) {
    const p = pdf.addPage([612, 792]);
    let y = 730;
    p.drawText(page.heading, { x: 60, y, size: 16, font: bold });
    y -= 32;
    for (const paragraph of page.paragraphs) {
      for (const line of wrap(paragraph, 490, font, 11)) {
        p.drawText(line, { x: 60, y, size: 11, font });
        y -= 15;
      }
      y -= 10;
    }
    p.drawText(`HO-3 (03 26)    Page ${index + 1} of ${ho3Pages.length}`, { x: 60, y: 40, size: 9, font });
  }
  writeFileSync(join(corpus, 'policy-forms', 'ho3-policy-form.pdf'), await pdf.save());
}

/** A claims page that exists only as a scanned image: no text layer, so ingestion must OCR it. */
async function buildScannedReport(): Promise<void> {
  const width = 1275; // 8.5 in at 150 dpi
  const height = 1650;
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#111111';
  ctx.font = 'bold 44px sans-serif';
  ctx.fillText('FIELD DAMAGE REPORT', 90, 140);
  ctx.font = '30px sans-serif';
  const lines = [
    'Claim number: CL-2026-0142',
    'Inspection date: 14 September 2026',
    'Adjuster: R. Okafor, field adjuster',
    '',
    'Cause of loss: failed supply line under the',
    'upstairs bathroom sink. Sudden and accidental.',
    '',
    'Moisture reading kitchen ceiling: 38 percent.',
    'Drywall to replace: 120 square feet.',
    'Bathroom floor: replace vinyl plank flooring.',
    '',
    'Recommendation: pay dwelling repairs after the',
    'water damage deductible of 2,500 USD.',
  ];
  let y = 240;
  for (const line of lines) {
    ctx.fillText(line, 90, y);
    y += 52;
  }
  const png = canvas.toBuffer('image/png');
  const pdf = await PDFDocument.create();
  pdf.setTitle('Field damage report CL-2026-0142 (scanned)');
  const image = await pdf.embedPng(png);
  const page = pdf.addPage([612, 792]);
  page.drawImage(image, { x: 0, y: 0, width: 612, height: 792 });
  writeFileSync(join(corpus, 'claims', 'claim-file-CL-2026-0142', 'scanned-field-report.pdf'), await pdf.save());
}

async function buildRateSheet(): Promise<void> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'Meridian Mutual Pricing';
  workbook.created = new Date('2026-02-15T00:00:00Z');
  const base = workbook.addWorksheet('HO-3 base rates');
  base.addRow(['Territory', 'Protection class', 'Construction', 'Base rate per 1,000 USD Coverage A', 'Effective']);
  const rows: Array<[string, string, string, number, string]> = [
    ['Springfield', '1-4', 'Frame', 3.12, '2026-03-01'],
    ['Springfield', '1-4', 'Masonry', 2.74, '2026-03-01'],
    ['Springfield', '5-8', 'Frame', 3.68, '2026-03-01'],
    ['Springfield', '5-8', 'Masonry', 3.21, '2026-03-01'],
    ['Riverside', '1-4', 'Frame', 3.45, '2026-03-01'],
    ['Riverside', '1-4', 'Masonry', 3.02, '2026-03-01'],
    ['Riverside', '5-8', 'Frame', 4.11, '2026-03-01'],
    ['Riverside', '5-8', 'Masonry', 3.57, '2026-03-01'],
  ];
  for (const row of rows) base.addRow(row);
  const factors = workbook.addWorksheet('Deductible factors');
  factors.addRow(['AOP deductible (USD)', 'Factor', 'Notes']);
  factors.addRow([500, 1.08, 'Requires underwriting manager approval']);
  factors.addRow([1000, 1.0, 'Standard for policy form HO-3']);
  factors.addRow([2500, 0.88, '']);
  factors.addRow([5000, 0.79, 'Minimum Coverage A 400,000 USD']);
  await workbook.xlsx.writeFile(join(corpus, 'underwriting', 'homeowners-rates-2026.xlsx'));
}

function buildLegacyFile(): void {
  const text = [
    'LOSS CAUSE CODES — legacy claims system CLX (export 1998, Windows-1252)',
    '',
    'WD01  Water damage – sudden discharge from plumbing',
    'WD02  Water damage – appliance failure (washer, dishwasher, water heater)',
    'WD03  Water damage – gradual seepage (excluded after 14 days)',
    'FR01  Fire – kitchen, including “flash” fires',
    'TH01  Theft – forced entry; police report required',
    '',
    'Notes: codes WD01–WD03 map to the new cause “Water” in the current system.',
    'Legacy Euro policies (Société Générale d’Assurances book, acquired 1997) carry a minimum deductible of 250 €.',
    'Contact for mapping questions: café-hours desk, Zoë Müller, claims data team.',
    '',
  ].join('\r\n');
  writeFileSync(join(corpus, 'claims', 'legacy-loss-cause-codes.txt'), iconv.encode(text, 'windows-1252'));
}

mkdirSync(join(corpus, 'policy-forms'), { recursive: true });
await buildHo3Pdf();
await buildScannedReport();
await buildRateSheet();
buildLegacyFile();
process.stdout.write(`example corpus binaries written under ${corpus}\n`);
