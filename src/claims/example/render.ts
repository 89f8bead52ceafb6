/**
 * Renders the documents of a synthetic claim: the text of each (pages of lines, with table rows as columns)
 * and its bytes — PDFs with a text layer (pdf-lib), scanned PDFs (pages drawn with @napi-rs/canvas, slightly
 * degraded, embedded as images), e-mails (.eml) and photos (JPEG with EXIF DateTimeOriginal and a caption).
 */
import { buildExif } from '../assess/index.ts';
import { dateMs, type LineItem, random, type ScenarioClaim } from './scenario.ts';

/** A line of a page: plain text, or table cells drawn in columns. */
export type DocLine = string | { readonly cells: readonly string[] };
export type DocPages = readonly (readonly DocLine[])[];

const months = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
export const longDate = (iso: string) => {
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number];
  return `${months[m - 1]} ${d}, ${y}`;
};
export const usDate = (iso: string) => {
  const [y, m, d] = iso.split('-');
  return `${m}/${d}/${y}`;
};
export const money = (amount: number) =>
  `$${amount.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const cap = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

const twelveHour = (time: string) => {
  const [h, m] = time.split(':').map(Number) as [number, number];
  return `${((h + 11) % 12) + 1}:${String(m).padStart(2, '0')} ${h < 12 ? 'AM' : 'PM'}`;
};

export function fnolPages(claim: ScenarioClaim): DocPages {
  const v = claim.vehicle;
  if (claim.templates.fnol === 2) {
    // The held-out layout: a boxed form, each label on its own line above its value.
    const [y, m, d] = claim.lossDate.split('-').map(Number) as [number, number, number];
    const pairs: [string, string][] = [
      ['CLAIM REFERENCE', claim.claimNumber],
      ['POLICY', claim.policyNumber],
      ['POLICYHOLDER', claim.insured.name],
      ['POLICYHOLDER ADDRESS', claim.insured.address],
      ['CONTACT NUMBER', claim.insured.phone],
      ['VEHICLE (YEAR / MAKE / MODEL)', `${v.year} ${v.make} ${v.model}`],
      ['VIN', v.vin],
      ['REGISTRATION', v.plate],
      ['DATE OF LOSS', `${d} ${months[m - 1]} ${y}`],
      ['TIME', claim.lossTime],
      ['WHERE DID IT HAPPEN', claim.lossLocation],
      ['AREA OF DAMAGE', cap(claim.area)],
      ['WHAT HAPPENED', `${claim.circumstances}.`],
      ['THIRD PARTY', claim.otherParty ?? 'None'],
      ['ANY INJURIES', claim.injuries.length > 0 ? claim.injuries.join(', ') : 'None'],
      ['POLICE REFERENCE', claim.policeReportNumber ?? 'None'],
      ['DATE NOTIFIED', claim.reportedDate],
    ];
    return [['MOTOR CLAIM FORM', 'Northwind Mutual', ...pairs.flatMap(([label, value]) => [label, value])]];
  }
  if (claim.templates.fnol === 1) {
    return [
      [
        'AUTOMOBILE LOSS NOTICE',
        'Northwind Mutual - Claims Intake',
        `Claim no.: ${claim.claimNumber}`,
        `Policy no.: ${claim.policyNumber}`,
        `Name of insured: ${claim.insured.name}`,
        `Insured address: ${claim.insured.address}`,
        `Insured telephone: ${claim.insured.phone}`,
        `Vehicle: ${v.year} ${v.make} ${v.model}`,
        `VIN: ${v.vin}`,
        `License plate: ${v.plate}`,
        `Date of accident: ${usDate(claim.lossDate)}`,
        `Time of accident: ${twelveHour(claim.lossTime)}`,
        `Place of loss: ${claim.lossLocation}`,
        `Point of impact: ${cap(claim.area)}`,
        `Description of accident: ${claim.circumstances}.`,
        `Other driver: ${claim.otherParty ?? 'N/A'}`,
        `Injuries reported: ${claim.injuries.length > 0 ? claim.injuries.join(', ') : 'None'}`,
        `Police report no.: ${claim.policeReportNumber ?? 'N/A'}`,
        `Date reported: ${claim.reportedDate}`,
      ],
    ];
  }
  return [
    [
      'FIRST NOTICE OF LOSS - PERSONAL AUTO',
      'Northwind Mutual Insurance Company',
      `Claim number: ${claim.claimNumber}`,
      `Policy number: ${claim.policyNumber}`,
      `Insured name: ${claim.insured.name}`,
      `Insured address: ${claim.insured.address}`,
      `Insured phone: ${claim.insured.phone}`,
      `Vehicle: ${v.year} ${v.make} ${v.model}`,
      `VIN: ${v.vin}`,
      `Plate: ${v.plate}`,
      `Date of loss: ${longDate(claim.lossDate)}`,
      `Time of loss: ${claim.lossTime}`,
      `Location of loss: ${claim.lossLocation}`,
      `Point of impact: ${cap(claim.area)}`,
      `Description of loss: ${claim.circumstances}.`,
      `Other party: ${claim.otherParty ?? 'None'}`,
      `Injuries reported: ${claim.injuries.length > 0 ? claim.injuries.join(', ') : 'None'}`,
      `Police report number: ${claim.policeReportNumber ?? 'None'}`,
      `Date reported: ${longDate(claim.reportedDate)}`,
      'Signature of insured on file.',
    ],
  ];
}

export function policeReportPages(claim: ScenarioClaim): DocPages {
  const date = claim.mismatch?.kind === 'date' ? claim.mismatch.policeDate : claim.lossDate;
  const other = claim.mismatch?.kind === 'party' ? claim.mismatch.policeParty : claim.otherParty;
  if (claim.templates.police === 1) {
    return [
      [
        'STATE HIGHWAY PATROL - CRASH REPORT',
        `Troop ${claim.region}`,
        `Case number: ${claim.policeReportNumber}`,
        `Crash date: ${longDate(date)}`,
        `Crash time: ${claim.lossTime}`,
        `Crash location: ${claim.lossLocation}`,
        `Unit 1 driver: ${claim.insured.name}`,
        `Unit 1 VIN: ${claim.vehicle.vin}`,
        `Unit 1 plate: ${claim.vehicle.plate}`,
        `Unit 2 driver: ${other ?? 'None'}`,
        `Injuries: ${claim.injuries.length > 0 ? claim.injuries.join(', ') : 'None'}`,
        `Officer narrative: ${claim.circumstances}.`,
      ],
    ];
  }
  return [
    [
      'TRAFFIC COLLISION REPORT',
      `${claim.lossLocation.split(', ').pop()} Police Department`,
      `Report number: ${claim.policeReportNumber}`,
      `Date of incident: ${usDate(date)}`,
      `Time of incident: ${claim.lossTime}`,
      `Location: ${claim.lossLocation}`,
      `Driver 1: ${claim.insured.name}`,
      `Vehicle 1 VIN: ${claim.vehicle.vin}`,
      `Vehicle 1 plate: ${claim.vehicle.plate}`,
      `Driver 2: ${other ?? 'None'}`,
      `Injuries: ${claim.injuries.length > 0 ? claim.injuries.join(', ') : 'None'}`,
      `Narrative: ${claim.circumstances}.`,
      'Reporting officer badge 4471.',
    ],
  ];
}

function itemRows(items: readonly LineItem[], hours: boolean): DocLine[] {
  return items.map((item) => ({
    cells: hours ? [item.part, item.labourHours.toFixed(1), money(item.amount)] : [item.part, money(item.amount)],
  }));
}

export function estimatePages(claim: ScenarioClaim): DocPages {
  const v = claim.vehicle;
  if (claim.templates.estimate === 1) {
    const plain = (amount: number) => money(amount).slice(1);
    return [
      [
        'ESTIMATE OF RECORD',
        'Body shop: Harbor Auto Body and Paint',
        `RO number: RO-${claim.claimNumber.slice(-5)}`,
        `Claim #: ${claim.claimNumber}`,
        `Vehicle: ${v.year} ${v.make} ${v.model}`,
        `VIN: ${v.vin}`,
        `License: ${v.plate}`,
        { cells: ['Description', 'Hrs', 'Price'] },
        ...claim.repairLineItems.map((item) => ({ cells: [item.part, item.labourHours.toFixed(1), plain(item.amount)] })),
        `Total estimate: ${money(claim.repairTotal)}`,
        'Supplements, if any, will be sent to the insurer for approval.',
      ],
    ];
  }
  return [
    [
      'REPAIR ESTIMATE',
      'Precision Collision Center',
      `Estimate number: E-${claim.claimNumber.slice(-5)}`,
      `Claim number: ${claim.claimNumber}`,
      `Vehicle: ${v.year} ${v.make} ${v.model}`,
      `VIN: ${v.vin}`,
      `Plate: ${v.plate}`,
      { cells: ['Part', 'Labour hours', 'Amount'] },
      ...itemRows(claim.repairLineItems, true),
      `Estimate total: ${money(claim.repairTotal)}`,
      'Prices include parts and labour at the posted rate.',
    ],
  ];
}

export function medicalBillPages(claim: ScenarioClaim): DocPages {
  return [
    [
      'STATEMENT OF MEDICAL SERVICES',
      'Riverside General Hospital',
      `Patient: ${claim.insured.name}`,
      `Claim number: ${claim.claimNumber}`,
      `Date of service: ${longDate(claim.lossDate)}`,
      `Diagnosis: ${claim.injuries.join(', ')}`,
      { cells: ['Service', 'Charge'] },
      ...itemRows(claim.medicalItems, false),
      `Total charges: ${money(claim.medicalTotal ?? 0)}`,
    ],
  ];
}

export function declarationsPages(claim: ScenarioClaim): DocPages {
  const lines: DocLine[] = [
    'PERSONAL AUTO POLICY DECLARATIONS',
    'Northwind Mutual Insurance Company',
    `Policy number: ${claim.policyNumber}`,
    `Named insured: ${claim.insured.name}`,
    `Address: ${claim.insured.address}`,
    `Effective date: ${claim.policyEffectiveDate}`,
    `Expiry date: ${claim.policyExpiryDate}`,
    `Covered vehicle: ${claim.vehicle.year} ${claim.vehicle.make} ${claim.vehicle.model} VIN ${claim.vehicle.vin}`,
    { cells: ['Coverage', 'Limit', 'Deductible'] },
    ...claim.coverages.map((coverage) => ({
      cells: [coverage.name, money(coverage.limit), coverage.deductible === null ? 'None' : money(coverage.deductible)],
    })),
  ];
  if (claim.coverageIncreaseDate) lines.push(`Endorsement: Collision limit increased effective ${claim.coverageIncreaseDate}`);
  lines.push('Coverages apply only to losses during the policy period shown above.');
  return [lines];
}

/** The policy wording shared by every policy (the terms the determination cites). */
export const policyWordingPages: DocPages = [
  [
    'PERSONAL AUTO POLICY - POLICY WORDING',
    'Part A - Liability Coverage',
    'We will pay damages for bodily injury or property damage for which any insured becomes legally responsible',
    'because of an auto accident.',
    'Part B - Medical Payments Coverage',
    'We will pay reasonable expenses incurred for necessary medical services because of bodily injury caused by',
    'an accident and sustained by an insured.',
  ],
  [
    'Part D - Coverage for Damage to Your Auto',
    'Collision coverage: we will pay for direct and accidental loss to your covered auto caused by collision with',
    'another object or by upset of your covered auto, minus any applicable deductible shown in the Declarations.',
    'Comprehensive coverage: we will pay for direct and accidental loss to your covered auto not caused by collision,',
    'including hail, vandalism, malicious mischief, theft and fire, minus the deductible shown in the Declarations.',
    'Limit of liability: our limit for loss is the lesser of the actual cash value, the amount necessary to repair,',
    'or the limit shown in the Declarations for that coverage.',
  ],
  [
    'Part F - General Provisions',
    'Policy period: this policy applies only to accidents and losses which occur during the policy period shown',
    'in the Declarations.',
    'Cancellation: we may cancel by mailing a notice of cancellation at least 10 days before the date cancellation',
    'takes effect.',
    'Duties after an accident or loss: you must give us prompt notice of how, when and where the accident or loss',
    'happened, and promptly send us copies of any legal papers and repair estimates.',
  ],
];

export function emailText(claim: ScenarioClaim, messageSeed: number): string {
  const date = new Date(dateMs(claim.reportedDate) + 10 * 3_600_000).toUTCString().replace('GMT', '+0000');
  const body = [
    `Dear ${claim.adjuster.replace('adjuster.', '').replace(/^./, (c) => c.toUpperCase())},`,
    '',
    `I am writing about claim ${claim.claimNumber} under policy ${claim.policyNumber}.`,
    `The loss happened on ${longDate(claim.lossDate)} at ${claim.lossLocation}.`,
    claim.photos > 0 ? 'I have uploaded photos of the damage as you asked.' : 'Please let me know what else you need.',
    '',
    'Kind regards,',
    claim.insured.name,
  ].join('\r\n');
  return [
    `From: ${claim.insured.name} <insured${messageSeed}@example.com>`,
    `To: claims@northwind.example`,
    `Subject: Claim ${claim.claimNumber} follow-up`,
    `Date: ${date}`,
    `Message-ID: <claim-${messageSeed}@example.com>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 7bit',
    '',
    body,
    '',
  ].join('\r\n');
}

export function cancellationEmailText(claim: ScenarioClaim, messageSeed: number): string {
  const notice = claim.cancellationNoticeDate ?? claim.lossDate;
  const effective = new Date(dateMs(notice) + 20 * 86_400_000).toISOString().slice(0, 10);
  const body = [
    `Dear ${claim.insured.name},`,
    '',
    `Notice of cancellation for policy ${claim.policyNumber}.`,
    `Notice date: ${notice}`,
    `Cancellation effective date: ${effective}`,
    'Reason: non-payment of premium. Pay the balance before the effective date to keep your coverage.',
    '',
    'Northwind Mutual billing',
  ].join('\r\n');
  return [
    'From: Northwind Mutual Billing <billing@northwind.example>',
    `To: ${claim.insured.name} <insured${messageSeed}@example.com>`,
    `Subject: Notice of cancellation - policy ${claim.policyNumber}`,
    `Date: ${new Date(dateMs(notice) + 9 * 3_600_000).toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <cancel-${messageSeed}@northwind.example>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 7bit',
    '',
    body,
    '',
  ].join('\r\n');
}

export const photoCaption = (claim: ScenarioClaim, index: number) =>
  `Photo ${index + 1} of claim ${claim.claimNumber}: ${claim.area === 'multiple' ? 'damage to the vehicle' : `${claim.area} damage`} of the ${claim.vehicle.make} ${claim.vehicle.model}`;

const fixedDate = new Date(Date.UTC(2026, 0, 1));

function lineText(line: DocLine): string {
  return typeof line === 'string' ? line : line.cells.join('  ');
}

/** The text of the pages (what a perfect parser reads). */
export function pagesText(pages: DocPages): string[] {
  return pages.map((lines) => lines.map(lineText).join('\n'));
}

const columnX = [50, 330, 450];

/** A PDF with a text layer. */
export async function textPdf(pages: DocPages, title: string): Promise<Uint8Array> {
  const { PDFDocument, StandardFonts } = await import('pdf-lib');
  const doc = await PDFDocument.create();
  doc.setTitle(title);
  doc.setProducer('Groundwork claims example');
  doc.setCreator('Groundwork claims example');
  doc.setCreationDate(fixedDate);
  doc.setModificationDate(fixedDate);
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  for (const lines of pages) {
    const page = doc.addPage([612, 792]);
    lines.forEach((line, index) => {
      const y = 740 - index * 20;
      if (typeof line === 'string')
        page.drawText(line, { x: 50, y, size: index === 0 ? 13 : 10, font: index === 0 ? bold : font });
      else
        for (const [column, cell] of line.cells.entries()) page.drawText(cell, { x: columnX[column] ?? 50, y, size: 10, font });
    });
  }
  return doc.save();
}

/** A scanned page: the lines drawn at `dpi`, with a little blur and speckle, as PNG. */
export async function scanPage(lines: readonly DocLine[], seed: number, dpi = 200): Promise<Uint8Array> {
  const { createCanvas } = await import('@napi-rs/canvas');
  const unit = dpi / 72;
  const width = Math.round(8.5 * dpi);
  const height = Math.round(11 * dpi * 0.6);
  const canvas = createCanvas(width, height);
  const context = canvas.getContext('2d');
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, width, height);
  context.fillStyle = '#161616';
  lines.forEach((line, index) => {
    const y = (40 + index * 20) * unit;
    context.font = `${index === 0 ? 'bold ' : ''}${(index === 0 ? 13 : 11) * unit}px "Liberation Sans"`;
    if (typeof line === 'string') context.fillText(line, 50 * unit, y);
    else for (const [column, cell] of line.cells.entries()) context.fillText(cell, (columnX[column] ?? 50) * unit, y);
  });
  const out = createCanvas(width, height);
  const degraded = out.getContext('2d');
  degraded.fillStyle = '#ffffff';
  degraded.fillRect(0, 0, width, height);
  degraded.filter = `blur(${(unit / 4.17) * 0.5}px)`;
  degraded.drawImage(canvas, 0, 0);
  degraded.filter = 'none';
  const next = random(seed * 7919 + 1);
  const image = degraded.getImageData(0, 0, width, height);
  const count = Math.round(width * height * 0.001);
  for (let index = 0; index < count; index++) {
    const at = Math.floor(next() * width * height) * 4;
    const value = 90 + next() * 120;
    image.data[at] = value;
    image.data[at + 1] = value;
    image.data[at + 2] = value;
  }
  degraded.putImageData(image, 0, 0);
  return new Uint8Array(await out.encode('png'));
}

/** An unreadable scan: a grey mottled page (a fax of nothing). */
export async function noisePage(seed: number, dpi = 100): Promise<Uint8Array> {
  const { createCanvas } = await import('@napi-rs/canvas');
  const width = Math.round(8.5 * dpi);
  const height = Math.round(11 * dpi * 0.5);
  const canvas = createCanvas(width, height);
  const context = canvas.getContext('2d');
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, width, height);
  const next = random(seed);
  for (let index = 0; index < 3000; index++) {
    context.fillStyle = `rgb(${Math.floor(next() * 160)},${Math.floor(next() * 160)},${Math.floor(next() * 160)})`;
    const size = 2 + next() * 14 * (dpi / 72);
    context.fillRect(next() * width, next() * height, size, size * (0.3 + next()));
  }
  return new Uint8Array(await canvas.encode('png'));
}

/** A PDF of page images (a scan). */
export async function scannedPdf(images: readonly Uint8Array[], title: string): Promise<Uint8Array> {
  const { PDFDocument } = await import('pdf-lib');
  const doc = await PDFDocument.create();
  doc.setTitle(title);
  doc.setProducer('Groundwork claims example scanner');
  doc.setCreator('Groundwork claims example scanner');
  doc.setCreationDate(fixedDate);
  doc.setModificationDate(fixedDate);
  for (const png of images) {
    const image = await doc.embedPng(png);
    const page = doc.addPage([612, 792]);
    const scale = Math.min(612 / image.width, 792 / image.height);
    page.drawImage(image, { x: 0, y: 792 - image.height * scale, width: image.width * scale, height: image.height * scale });
  }
  return doc.save();
}

/** A small photo of the damage: JPEG with EXIF (DateTimeOriginal at the loss, the caption, the camera). */
export async function photoJpeg(claim: ScenarioClaim, index: number, seed: number): Promise<Uint8Array> {
  const { createCanvas } = await import('@napi-rs/canvas');
  const canvas = createCanvas(240, 160);
  const context = canvas.getContext('2d');
  const next = random(seed);
  context.fillStyle = `rgb(${110 + Math.floor(next() * 60)},${120 + Math.floor(next() * 40)},${130 + Math.floor(next() * 40)})`;
  context.fillRect(0, 0, 240, 160);
  context.fillStyle = `rgb(${Math.floor(next() * 200)},${Math.floor(next() * 80)},${Math.floor(next() * 80)})`;
  context.fillRect(30, 60, 180, 55);
  context.fillStyle = '#222222';
  context.beginPath();
  context.arc(70, 118, 16, 0, Math.PI * 2);
  context.arc(170, 118, 16, 0, Math.PI * 2);
  context.fill();
  context.strokeStyle = '#eeeeee';
  context.lineWidth = 2;
  for (let scratch = 0; scratch < 4; scratch++) {
    context.beginPath();
    context.moveTo(40 + next() * 160, 65 + next() * 45);
    context.lineTo(40 + next() * 160, 65 + next() * 45);
    context.stroke();
  }
  const jpeg = new Uint8Array(await canvas.encode('jpeg', 80));
  const taken = `${claim.lossDate.replaceAll('-', ':')} ${claim.lossTime}:${String(10 + index).padStart(2, '0')}`;
  const exif = buildExif({ description: photoCaption(claim, index), make: 'Pixel', model: '7a', dateTimeOriginal: taken });
  // SOI, then our APP1 (Exif), then the rest of the encoder's stream.
  const out = new Uint8Array(jpeg.length + exif.length);
  out.set(jpeg.subarray(0, 2), 0);
  out.set(exif, 2);
  out.set(jpeg.subarray(2), 2 + exif.length);
  return out;
}

export { fixedDate };
