/**
 * Extraction per document type to typed (zod) records, deterministic: labels (`Date of loss: …`), patterns
 * (dates, amounts, VINs) and tables (`part  hours  $amount` rows). Every value carries the citation of the
 * line it was read from. `mergeClaimFields` turns the per-document records into claim-level fields: the
 * first source in priority order wins, agreeing sources are `alsoSeen`, disagreeing ones make the field a
 * `conflict`; a field no document gives is explicit `missing`.
 */
import { z } from 'zod';
import type { ClaimCitation, ClaimDocumentInput, ClaimDocumentType, ExtractedField } from '../model.ts';
import { claimFieldNames } from '../model.ts';
import { areaOfDescription } from './lexicon.ts';
import { citationOf, isNone, type Line, linesOf, normalizeName, normalizeVin, parseDate, parseMoney, parseTime } from './text.ts';

const nullableString = z.string().nullable();
const lineItem = z.object({ part: z.string(), labourHours: z.number(), amount: z.number() });
const coverage = z.object({ name: z.string(), limit: z.number().nullable(), deductible: z.number().nullable() });

/** The typed record of each document type (also the structured-output schema of the model path). */
export const documentSchemas = {
  fnol: z.object({
    claimNumber: nullableString,
    policyNumber: nullableString,
    insuredName: nullableString,
    insuredAddress: nullableString,
    insuredPhone: nullableString,
    vehicle: nullableString.describe('year make model, e.g. "2016 Toyota Camry"'),
    vin: nullableString,
    plate: nullableString,
    lossDate: nullableString.describe('YYYY-MM-DD'),
    lossTime: nullableString.describe('HH:MM, 24 h'),
    lossLocation: nullableString,
    pointOfImpact: nullableString,
    circumstances: nullableString,
    otherParty: nullableString,
    injuries: z.array(z.string()).nullable(),
    policeReportNumber: nullableString,
    reportedDate: nullableString.describe('YYYY-MM-DD'),
  }),
  police_report: z.object({
    policeReportNumber: nullableString,
    lossDate: nullableString.describe('date of incident, YYYY-MM-DD'),
    lossTime: nullableString,
    lossLocation: nullableString,
    driver1: nullableString,
    vin: nullableString,
    driver2: nullableString,
    plate: nullableString,
    injuries: z.array(z.string()).nullable(),
    circumstances: nullableString,
  }),
  repair_estimate: z.object({
    claimNumber: nullableString,
    vehicle: nullableString,
    vin: nullableString,
    plate: nullableString,
    repairLineItems: z.array(lineItem).nullable(),
    repairTotal: z.number().nullable(),
  }),
  medical_bill: z.object({
    patient: nullableString,
    claimNumber: nullableString,
    injuries: z.array(z.string()).nullable(),
    medicalTotal: z.number().nullable(),
  }),
  policy_declarations: z.object({
    policyNumber: nullableString,
    namedInsured: nullableString,
    address: nullableString,
    policyEffectiveDate: nullableString,
    policyExpiryDate: nullableString,
    vin: nullableString,
    coverages: z.array(coverage).nullable(),
    coverageIncreaseDate: nullableString,
  }),
  correspondence: z.object({
    claimNumber: nullableString,
    policyNumber: nullableString,
    lossDate: nullableString,
    cancellationNoticeDate: nullableString,
    cancellationEffectiveDate: nullableString,
  }),
  photo: z.object({ lossDate: nullableString.describe('EXIF DateTimeOriginal date'), caption: nullableString }),
} as const;

export type ExtractableType = keyof typeof documentSchemas;
export const extractableTypes = Object.keys(documentSchemas) as ExtractableType[];

/** One value read from a document, with where. */
export interface Found {
  readonly value: unknown;
  readonly citation: ClaimCitation;
  readonly method: 'deterministic' | 'model';
  readonly confidence: number;
  /** Read from OCR text (a scan): small differences from a digital source are OCR noise, not a conflict. */
  readonly ocr?: boolean;
}

/** Levenshtein distance (for telling OCR noise from a real disagreement). */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number;
      row[j] = Math.min((row[j] as number) + 1, (row[j - 1] as number) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length] as number;
}

/** Two readings that differ only as OCR misreads do (one of them from a scan, at most 2 characters apart). */
export function ocrVariant(a: Found, b: Found): boolean {
  if (!a.ocr && !b.ocr) return false;
  if (typeof a.value !== 'string' || typeof b.value !== 'string') return false;
  // Dates and times are parsed values: a different one is a different fact, not a misread.
  if (/^\d{4}-\d{2}-\d{2}$|^\d{2}:\d{2}$/.test(a.value)) return false;
  const x = normalizeName(a.value);
  const y = normalizeName(b.value);
  return x !== y && editDistance(x, y) <= Math.min(2, Math.floor(Math.min(x.length, y.length) / 5));
}

/** The fields read from one document. */
export interface DocumentExtraction {
  readonly documentId: string;
  readonly type: ClaimDocumentType;
  readonly values: Readonly<Record<string, Found>>;
}

type Parse = (value: string) => unknown;
const text: Parse = (value) => (isNone(value) ? null : value.replace(/\.$/, '').trim());
const date: Parse = (value) => parseDate(value);
const time: Parse = (value) => parseTime(value);
const moneyValue: Parse = (value) => parseMoney(value);
const vinValue: Parse = (value) => normalizeVin(value);
const list: Parse = (value) =>
  isNone(value)
    ? []
    : value
        .replace(/\.$/, '')
        .split(/\s*[,;]\s*/)
        .map((item) => item.trim().toLowerCase())
        .filter(Boolean);

/** Label specs per document type: record key, the label, how the value is read. */
const labelSpecs: Readonly<Record<ExtractableType, readonly [string, RegExp, Parse][]>> = {
  fnol: [
    ['claimNumber', /^claim (?:number|no\.?|#)\s*[:;.]?\s*(.+)$/i, text],
    ['policyNumber', /^policy (?:number|no\.?|#)\s*[:;.]?\s*(.+)$/i, text],
    ['insuredName', /^(?:insured name|name of insured)\s*[:;.]?\s*(.+)$/i, text],
    ['insuredAddress', /^insured address\s*[:;.]?\s*(.+)$/i, text],
    ['insuredPhone', /^insured (?:phone|telephone)\s*[:;.]?\s*(.+)$/i, text],
    ['vehicle', /^vehicle\s*[:.]\s*(.+)$/i, text],
    ['vin', /^vin\s*[:;.]?\s*(.+)$/i, vinValue],
    ['plate', /^(?:plate|license plate|license)\s*[:;.]?\s*(.+)$/i, text],
    ['lossDate', /^(?:date of (?:loss|accident)|loss date)\s*[:;.]?\s*(.+)$/i, date],
    ['lossTime', /^(?:time of (?:loss|accident)|loss time)\s*[:;.]?\s*(.+)$/i, time],
    ['lossLocation', /^(?:location|place) of loss\s*[:;.]?\s*(.+)$/i, text],
    ['pointOfImpact', /^point of impact\s*[:;.]?\s*(.+)$/i, (value) => (isNone(value) ? null : value.trim().toLowerCase())],
    ['circumstances', /^description of (?:loss|accident)\s*[:;.]?\s*(.+)$/i, text],
    ['otherParty', /^other (?:party|driver)\s*[:;.]?\s*(.+)$/i, text],
    ['injuries', /^injuries reported\s*[:;.]?\s*(.+)$/i, list],
    ['policeReportNumber', /^police report (?:number|no\.?)\s*[:;.]?\s*(.+)$/i, text],
    ['reportedDate', /^date reported\s*[:;.]?\s*(.+)$/i, date],
  ],
  police_report: [
    ['policeReportNumber', /^(?:report|case) (?:number|no\.?)\s*[:;.]?\s*(.+)$/i, text],
    ['lossDate', /^(?:date of (?:incident|collision|accident)|crash date)\s*[:;.]?\s*(.+)$/i, date],
    ['lossTime', /^(?:time of (?:incident|collision|accident)|crash time)\s*[:;.]?\s*(.+)$/i, time],
    ['lossLocation', /^(?:crash )?location\s*[:;.]?\s*(.+)$/i, text],
    ['driver1', /^(?:driver 1|unit 1 driver)\s*[:;.]?\s*(.+)$/i, text],
    ['vin', /^(?:vehicle|unit) 1 vin\s*[:;.]?\s*(.+)$/i, vinValue],
    ['plate', /^(?:vehicle|unit) 1 plate\s*[:;.]?\s*(.+)$/i, text],
    ['driver2', /^(?:driver 2|unit 2 driver)\s*[:;.]?\s*(.+)$/i, text],
    ['injuries', /^injuries\s*[:;.]?\s*(.+)$/i, list],
    ['circumstances', /^(?:officer )?narrative\s*[:;.]?\s*(.+)$/i, text],
  ],
  repair_estimate: [
    ['claimNumber', /^claim (?:number|no\.?|#)\s*[:;.]?\s*(.+)$/i, text],
    ['vehicle', /^vehicle\s*[:;.]\s*(.+)$/i, text],
    ['vin', /^vin\s*[:;.]?\s*(.+)$/i, vinValue],
    ['plate', /^(?:plate|license plate|license)\s*[:;.]?\s*(.+)$/i, text],
    ['repairTotal', /^(?:estimate total|total estimate|grand total|total)\s*[:;.]?\s*(.+)$/i, moneyValue],
  ],
  medical_bill: [
    ['patient', /^patient\s*[:;.]?\s*(.+)$/i, text],
    ['claimNumber', /^claim (?:number|no\.?|#)\s*[:;.]?\s*(.+)$/i, text],
    ['injuries', /^diagnosis\s*[:;.]?\s*(.+)$/i, list],
    ['medicalTotal', /^total (?:charges|amount due|due)\s*[:;.]?\s*(.+)$/i, moneyValue],
  ],
  policy_declarations: [
    ['policyNumber', /^policy (?:number|no\.?|#)\s*[:;.]?\s*(.+)$/i, text],
    ['namedInsured', /^named insured\s*[:;.]?\s*(.+)$/i, text],
    ['address', /^address\s*[:;.]?\s*(.+)$/i, text],
    ['policyEffectiveDate', /^(?:effective date|policy effective)\s*[:;.]?\s*(.+)$/i, date],
    ['policyExpiryDate', /^(?:expiry date|expiration date|policy expires)\s*[:;.]?\s*(.+)$/i, date],
    ['vin', /^covered vehicle\s*[:;.]?\s*(.+)$/i, vinValue],
    ['coverageIncreaseDate', /^endorsement\s*[:;.]?\s*.*increased.*?effective\s+(.+)$/i, date],
  ],
  correspondence: [
    ['cancellationNoticeDate', /^notice date\s*[:;.]?\s*(.+)$/i, date],
    ['cancellationEffectiveDate', /^cancellation effective date\s*[:;.]?\s*(.+)$/i, date],
  ],
  photo: [],
};

const deterministicConfidence = (document: ClaimDocumentInput) => (document.ocr ? 0.85 : 0.97);

/**
 * Boxed forms put a label on its own line and the value on the next one: such pairs, read as `label: value`
 * (the passage is both lines, verbatim).
 */
function stackedPairs(lines: readonly Line[]): { text: string; line: Line; passage: string }[] {
  const out: { text: string; line: Line; passage: string }[] = [];
  for (const [index, line] of lines.entries()) {
    const next = lines[index + 1];
    if (!next || next.page !== line.page || /[:;]/.test(line.text) || line.text.length > 40) continue;
    out.push({ text: `${line.text}: ${next.text}`, line, passage: `${line.text}\n${next.text}` });
  }
  return out;
}

function readLabels(document: ClaimDocumentInput, type: ExtractableType, lines: readonly Line[]): Record<string, Found> {
  const values: Record<string, Found> = {};
  const confidence = deterministicConfidence(document);
  const stacked = stackedPairs(lines);
  const candidates = [...lines.map((line) => ({ text: line.text, line, passage: line.text })), ...stacked];
  for (const [key, pattern, parse] of labelSpecs[type]) {
    for (const candidate of candidates) {
      const match = pattern.exec(candidate.text);
      if (!match) continue;
      const value = parse(match[1] ?? '');
      if (value === null || value === undefined) {
        // Explicitly "None": an empty list is a value, a null scalar is not.
        break;
      }
      values[key] = {
        value,
        citation: citationOf(document, candidate.line, candidate.passage),
        method: 'deterministic',
        confidence: candidate.passage === candidate.text ? confidence : confidence * 0.95,
      };
      break;
    }
  }
  return values;
}

const itemRow = /^(.+?)\s+(\d{1,2}(?:[.,]\d)?)\s+\$?\s?(\d{1,3}(?:,\d{3})*(?:\.\d{2}))$/;
const chargeRow = /^(.+?)\s+\$\s?(\d{1,3}(?:,\d{3})*(?:\.\d{2}))$/;
const coverageRow = /^(.+?)\s+\$\s?(\d{1,3}(?:,\d{3})*(?:\.\d{2})?)\s+(none|\$\s?\d{1,3}(?:,\d{3})*(?:\.\d{2})?)$/i;

/** Rows between a header line and the first line that is not a row; the passage is the rows verbatim. */
function readTable(
  document: ClaimDocumentInput,
  lines: readonly Line[],
  header: RegExp,
  row: RegExp,
): { rows: RegExpExecArray[]; citation: ClaimCitation } | null {
  const start = lines.findIndex((line) => header.test(line.text));
  if (start < 0) return null;
  const rows: RegExpExecArray[] = [];
  const rowLines: Line[] = [];
  for (const line of lines.slice(start + 1)) {
    const match = row.exec(line.text);
    if (!match) break;
    rows.push(match);
    rowLines.push(line);
  }
  if (rows.length === 0) return null;
  const first = rowLines[0] as Line;
  const passage = rowLines
    .filter((line) => line.page === first.page)
    .map((line) => line.text)
    .join('\n');
  return { rows, citation: citationOf(document, first, passage) };
}

/** Rows OCR renders as `Header: value; Header: value` (tables it recognised), keyed by lower-case header. */
function readKeyValueRows(
  document: ClaimDocumentInput,
  lines: readonly Line[],
  required: readonly string[],
): { rows: Record<string, string>[]; citation: ClaimCitation } | null {
  const rows: Record<string, string>[] = [];
  const rowLines: Line[] = [];
  for (const line of lines) {
    if (!line.text.includes(';')) continue;
    const record: Record<string, string> = {};
    for (const pair of line.text.split(/\s*;\s*/)) {
      const match = /^([^:]+):\s*(.*)$/.exec(pair);
      if (match)
        record[
          (match[1] ?? '')
            .trim()
            .toLowerCase()
            .replace(/labour|labor/, 'labour')
        ] = (match[2] ?? '').trim();
    }
    if (required.every((key) => key in record)) {
      rows.push(record);
      rowLines.push(line);
    }
  }
  if (rows.length === 0) return null;
  const first = rowLines[0] as Line;
  const passage = rowLines
    .filter((line) => line.page === first.page)
    .map((line) => line.text)
    .join('\n');
  return { rows, citation: citationOf(document, first, passage) };
}

/** Labour hours; on a scan, a two-digit whole number over 12 lost its decimal point (`15` for `1.5`). */
function labourHours(text: string, ocr: boolean): number {
  const value = Number(text.replace(',', '.'));
  if (ocr && /^\d{2}$/.test(text.trim()) && value > 12) return value / 10;
  return value;
}

/** Deterministic extraction of one classified document. */
export function extractDocument(document: ClaimDocumentInput, type: ClaimDocumentType): DocumentExtraction {
  const values: Record<string, Found> = {};
  if (!(type in documentSchemas)) return { documentId: document.documentId, type, values };
  const kind = type as ExtractableType;
  const lines = linesOf(document);
  Object.assign(values, readLabels(document, kind, lines));
  const confidence = deterministicConfidence(document);
  if (kind === 'repair_estimate') {
    const table = readTable(
      document,
      lines,
      /^(?:part|description|operation)\b.*(?:labou?r|hrs|hours).*(?:amount|price|cost)/i,
      itemRow,
    );
    const keyed = table
      ? null
      : (readKeyValueRows(document, lines, ['part', 'labour hours', 'amount']) ??
        readKeyValueRows(document, lines, ['description', 'hrs', 'price']));
    if (keyed) {
      values.repairLineItems = {
        value: keyed.rows.map((row) => ({
          part: row.part ?? row.description ?? '',
          labourHours: labourHours(row['labour hours'] ?? row.hrs ?? '0', document.ocr),
          amount: parseMoney(row.amount ?? row.price ?? '') ?? 0,
        })),
        citation: keyed.citation,
        method: 'deterministic',
        confidence,
      };
    }
    if (table) {
      values.repairLineItems = {
        value: table.rows.map((match) => ({
          part: (match[1] ?? '').trim(),
          labourHours: labourHours(match[2] ?? '0', document.ocr),
          amount: parseMoney(match[3] ?? '') ?? 0,
        })),
        citation: table.citation,
        method: 'deterministic',
        confidence,
      };
    }
  }
  if (kind === 'medical_bill' && !values.medicalTotal) {
    const table = readTable(document, lines, /^service\b.*charge/i, chargeRow);
    if (table) {
      const sum = table.rows.reduce((total, match) => total + (parseMoney(match[2] ?? '') ?? 0), 0);
      values.medicalTotal = {
        value: Math.round(sum * 100) / 100,
        citation: table.citation,
        method: 'deterministic',
        confidence: confidence * 0.9,
      };
    }
  }
  if (kind === 'policy_declarations') {
    const table = readTable(document, lines, /^coverage\b.*limit.*deductible/i, coverageRow);
    const keyed = table ? null : readKeyValueRows(document, lines, ['coverage', 'limit', 'deductible']);
    if (keyed) {
      values.coverages = {
        value: keyed.rows.map((row) => ({
          name: row.coverage ?? '',
          limit: parseMoney(row.limit ?? ''),
          deductible: /none/i.test(row.deductible ?? '') ? null : parseMoney(row.deductible ?? ''),
        })),
        citation: keyed.citation,
        method: 'deterministic',
        confidence,
      };
    }
    if (table) {
      values.coverages = {
        value: table.rows.map((match) => ({
          name: (match[1] ?? '').trim(),
          limit: parseMoney(match[2] ?? ''),
          deductible: /none/i.test(match[3] ?? '') ? null : parseMoney(match[3] ?? ''),
        })),
        citation: table.citation,
        method: 'deterministic',
        confidence,
      };
    }
  }
  if (kind === 'correspondence') {
    // Claim and policy numbers and a loss date mentioned in the body.
    for (const line of lines) {
      if (/^(from|to|date|message-id):/i.test(line.text)) continue;
      const claim = /\b(CLM-\d{4}-\d{4,6})\b/.exec(line.text);
      if (claim && !values.claimNumber)
        values.claimNumber = { value: claim[1], citation: citationOf(document, line), method: 'deterministic', confidence };
      const policy = /\bpolicy (?:number )?([A-Z]{2,3}-\d{4,8})\b/i.exec(line.text);
      if (policy && !values.policyNumber)
        values.policyNumber = { value: policy[1], citation: citationOf(document, line), method: 'deterministic', confidence };
      if (!values.lossDate && /\b(loss|accident|collision|incident)\b.*\b(happened|occurred|on)\b/i.test(line.text)) {
        const lossDate = parseDate(line.text);
        if (lossDate)
          values.lossDate = {
            value: lossDate,
            citation: citationOf(document, line),
            method: 'deterministic',
            confidence: confidence * 0.9,
          };
      }
    }
  }
  if (kind === 'photo') {
    const taken = document.exif?.dateTimeOriginal;
    const caption = document.pages.find((page) => /\S/.test(page.text));
    const citation: ClaimCitation = {
      documentId: document.documentId,
      page: 1,
      passage: taken ? `EXIF DateTimeOriginal ${taken}` : (caption?.text ?? '').slice(0, 300),
    };
    if (taken && parseDate(taken))
      values.lossDate = { value: parseDate(taken), citation, method: 'deterministic', confidence: 0.8 };
    if (caption)
      values.caption = {
        value: caption.text.trim(),
        citation: { ...citation, passage: caption.text.trim().slice(0, 300) },
        method: 'deterministic',
        confidence: 0.9,
      };
  }
  if (kind === 'fnol' && !values.pointOfImpact && values.circumstances) {
    const area = areaOfDescription(String(values.circumstances.value));
    if (area) values.pointOfImpact = { ...values.circumstances, value: area, confidence: 0.7 };
  }
  if (document.ocr) for (const key of Object.keys(values)) values[key] = { ...(values[key] as Found), ocr: true };
  return { documentId: document.documentId, type, values };
}

/**
 * The typed record of one document (its type's zod schema): every key of the schema, `null` where the document
 * does not say. Throws when a value does not fit the schema (a bug in an extractor, never bad input).
 */
export function documentRecord(extraction: DocumentExtraction): Record<string, unknown> | null {
  if (!(extraction.type in documentSchemas)) return null;
  const schema = documentSchemas[extraction.type as ExtractableType];
  const record: Record<string, unknown> = {};
  for (const key of Object.keys(schema.shape)) record[key] = extraction.values[key]?.value ?? null;
  return schema.parse(record);
}

/** Where each claim field is read, in priority order: `[document type, record key]`. */
const fieldSources: Readonly<Record<string, readonly [ClaimDocumentType, string][]>> = {
  claimNumber: [
    ['fnol', 'claimNumber'],
    ['repair_estimate', 'claimNumber'],
    ['medical_bill', 'claimNumber'],
    ['correspondence', 'claimNumber'],
  ],
  policyNumber: [
    ['fnol', 'policyNumber'],
    ['policy_declarations', 'policyNumber'],
    ['correspondence', 'policyNumber'],
  ],
  lossDate: [
    ['fnol', 'lossDate'],
    ['police_report', 'lossDate'],
    ['correspondence', 'lossDate'],
    ['photo', 'lossDate'],
  ],
  lossTime: [
    ['fnol', 'lossTime'],
    ['police_report', 'lossTime'],
  ],
  lossLocation: [
    ['fnol', 'lossLocation'],
    ['police_report', 'lossLocation'],
  ],
  circumstances: [
    ['fnol', 'circumstances'],
    ['police_report', 'circumstances'],
  ],
  policeReportNumber: [
    ['police_report', 'policeReportNumber'],
    ['fnol', 'policeReportNumber'],
  ],
  injuries: [
    ['fnol', 'injuries'],
    ['police_report', 'injuries'],
    ['medical_bill', 'injuries'],
  ],
  repairLineItems: [['repair_estimate', 'repairLineItems']],
  repairTotal: [['repair_estimate', 'repairTotal']],
  medicalTotal: [['medical_bill', 'medicalTotal']],
  coverages: [['policy_declarations', 'coverages']],
  policyEffectiveDate: [['policy_declarations', 'policyEffectiveDate']],
  policyExpiryDate: [['policy_declarations', 'policyExpiryDate']],
  reportedDate: [['fnol', 'reportedDate']],
  pointOfImpact: [['fnol', 'pointOfImpact']],
  coverageIncreaseDate: [['policy_declarations', 'coverageIncreaseDate']],
  cancellationNoticeDate: [['correspondence', 'cancellationNoticeDate']],
  cancellationEffectiveDate: [['correspondence', 'cancellationEffectiveDate']],
};

/** Fields beyond `claimFieldNames` the assessment adds. */
export const extraFieldNames = [
  'pointOfImpact',
  'coverageIncreaseDate',
  'cancellationNoticeDate',
  'cancellationEffectiveDate',
] as const;

const missingField: ExtractedField = { value: null, status: 'missing', citation: null, method: 'deterministic', confidence: 0 };

function comparable(field: string, value: unknown): string {
  if (field === 'injuries' && Array.isArray(value)) return [...value].map(String).sort().join('|');
  if (typeof value === 'string') return normalizeName(value);
  return JSON.stringify(value);
}

function mergeSimple(field: string, sources: readonly Found[]): ExtractedField {
  // A digital reading that an OCR reading only misspells wins over it.
  let found = sources;
  const head = sources[0];
  if (head?.ocr) {
    const digital = sources.find((other) => !other.ocr && ocrVariant(head, other));
    if (digital) found = [digital, ...sources.filter((other) => other !== digital)];
  }
  const [first, ...rest] = found;
  if (!first) return missingField;
  // Injuries: a medical bill's diagnosis supports the FNOL's list, and a list of "None" never contradicts one.
  const lenient = field === 'injuries' || field === 'circumstances' || field === 'lossLocation';
  const conflicts = rest.filter(
    (other) => !lenient && comparable(field, other.value) !== comparable(field, first.value) && !ocrVariant(first, other),
  );
  const alsoSeen = rest.map((other) => ({ ...other.citation, value: other.value }));
  return {
    value: first.value,
    status: conflicts.length > 0 ? 'conflict' : 'found',
    citation: first.citation,
    ...(alsoSeen.length > 0 ? { alsoSeen } : {}),
    method: first.method,
    confidence: conflicts.length > 0 ? first.confidence * 0.6 : Math.min(0.99, first.confidence + 0.01 * rest.length),
  };
}

/** Claim-level fields from the per-document records. */
export function mergeClaimFields(extractions: readonly DocumentExtraction[]): Record<string, ExtractedField> {
  const byType = (type: ClaimDocumentType) => extractions.filter((extraction) => extraction.type === type);
  const gather = (sources: readonly [ClaimDocumentType, string][]) => {
    const out: Found[] = [];
    for (const [type, key] of sources)
      for (const extraction of byType(type)) if (extraction.values[key]) out.push(extraction.values[key]);
    return out;
  };
  const fields: Record<string, ExtractedField> = {};
  for (const [field, sources] of Object.entries(fieldSources)) fields[field] = mergeSimple(field, gather(sources));

  // Parties: the insured and the other party from the FNOL; the police report's drivers must agree.
  const fnol = byType('fnol')[0]?.values;
  const police = byType('police_report')[0]?.values;
  const estimate = byType('repair_estimate')[0]?.values;
  const declarations = byType('policy_declarations')[0]?.values;
  /** A scanned reading that a digital document states (nearly) the same way takes the digital spelling. */
  const corrected = (reading: Found | undefined, others: readonly (Found | undefined)[]) => {
    if (!reading?.ocr) return reading?.value;
    const digital = others.find((other): other is Found => Boolean(other && !other.ocr && ocrVariant(reading, other)));
    return digital ? digital.value : reading.value;
  };
  if (fnol?.insuredName) {
    // A scanned FNOL's misread name or address is corrected from a digital document that states it.
    const parties: Record<string, unknown>[] = [
      {
        role: 'insured',
        name: corrected(fnol.insuredName, [
          police?.driver1,
          declarations?.namedInsured,
          byType('medical_bill')[0]?.values.patient,
        ]),
        ...(fnol.insuredAddress ? { address: corrected(fnol.insuredAddress, [declarations?.address]) } : {}),
        ...(fnol.insuredPhone ? { phone: fnol.insuredPhone.value } : {}),
      },
    ];
    if (fnol.otherParty) parties.push({ role: 'other_party', name: fnol.otherParty.value });
    const alsoSeen: (ClaimCitation & { value: unknown })[] = [];
    let conflict = false;
    for (const [key, expected] of [
      ['driver1', fnol.insuredName.value],
      ['driver2', fnol.otherParty?.value ?? null],
    ] as const) {
      const seen = police?.[key];
      if (!seen) continue;
      alsoSeen.push({ ...seen.citation, value: seen.value });
      const same = expected !== null && normalizeName(String(seen.value)) === normalizeName(String(expected));
      const misread =
        expected !== null &&
        (seen.ocr || fnol.insuredName.ocr) &&
        editDistance(normalizeName(String(seen.value)), normalizeName(String(expected))) <= 2;
      if (!same && !misread) conflict = true;
    }
    fields.parties = {
      value: parties,
      status: conflict ? 'conflict' : 'found',
      citation: fnol.insuredName.citation,
      ...(alsoSeen.length > 0 ? { alsoSeen } : {}),
      method: fnol.insuredName.method,
      confidence: conflict ? fnol.insuredName.confidence * 0.6 : fnol.insuredName.confidence,
    };
  } else fields.parties = missingField;

  // Vehicles: year make model, VIN and plate from the FNOL; the VIN elsewhere must agree.
  const vinSources = gather([
    ['fnol', 'vin'],
    ['police_report', 'vin'],
    ['repair_estimate', 'vin'],
    ['policy_declarations', 'vin'],
  ]);
  const vin = mergeSimple('vin', vinSources);
  if (fnol?.vehicle || vin.status !== 'missing') {
    const description = String(corrected(fnol?.vehicle, [estimate?.vehicle]) ?? estimate?.vehicle?.value ?? '');
    const match = /^(\d{4})\s+(\S+)\s+(.+)$/.exec(description);
    const vehicle: Record<string, unknown> = {
      ...(match ? { year: Number(match[1]), make: match[2], model: match[3] } : {}),
      ...(vin.value ? { vin: vin.value } : {}),
      ...(fnol?.plate ? { plate: corrected(fnol.plate, [police?.plate, estimate?.plate]) } : {}),
    };
    const citation = fnol?.vehicle?.citation ?? vin.citation;
    fields.vehicles = {
      value: [vehicle],
      status: vin.status === 'conflict' ? 'conflict' : 'found',
      citation,
      ...(vin.alsoSeen || vin.citation
        ? { alsoSeen: [...(vin.citation ? [{ ...vin.citation, value: vin.value }] : []), ...(vin.alsoSeen ?? [])] }
        : {}),
      method: fnol?.vehicle?.method ?? vin.method,
      confidence: vin.status === 'conflict' ? 0.5 : (fnol?.vehicle?.confidence ?? vin.confidence),
    };
  } else fields.vehicles = missingField;

  // Deductible: the one of the coverage the loss falls under (collision, or comprehensive for hail, theft, …).
  const coverages = fields.coverages;
  const needed = coverageNeeded(String(fields.circumstances?.value ?? ''));
  const applicable = Array.isArray(coverages?.value)
    ? (coverages.value as { name: string; deductible: number | null }[]).find(
        (item) => normalizeName(item.name) === needed.toLowerCase(),
      )
    : undefined;
  fields.deductible =
    applicable && coverages?.citation && applicable.deductible !== null
      ? {
          value: applicable.deductible,
          status: 'found',
          citation: rowCitation(coverages.citation, applicable.name),
          method: coverages.method,
          confidence: coverages.confidence,
        }
      : missingField;

  const ordered: Record<string, ExtractedField> = {};
  for (const name of [...claimFieldNames, ...extraFieldNames]) ordered[name] = fields[name] ?? missingField;
  return ordered;
}

/** The line of a table passage that names `label` (the coverage row a deductible was read from). */
function rowCitation(citation: ClaimCitation, label: string): ClaimCitation {
  const line = citation.passage.split('\n').find((row) => row.toLowerCase().startsWith(label.toLowerCase()));
  return { ...citation, passage: line ?? citation.passage };
}

/** The coverage a loss falls under, from its description. */
export function coverageNeeded(circumstances: string): 'Collision' | 'Comprehensive' {
  return /\b(hail|flood|vandal\w*|keyed|theft|stolen|fire|malicious|storm|fallen tree)\b/i.test(circumstances)
    ? 'Comprehensive'
    : 'Collision';
}
