/** Text helpers of the assessment: lines with their page, dates, times, amounts, VINs, names. */
import type { ClaimCitation, ClaimDocumentInput } from '../model.ts';

export interface Line {
  readonly page: number;
  readonly text: string;
}

/** The non-empty lines of a document, each with its page. */
export function linesOf(document: ClaimDocumentInput): Line[] {
  const out: Line[] = [];
  for (const page of document.pages) {
    for (const raw of page.text.split('\n')) {
      const text = raw.replace(/\s+/g, ' ').trim();
      if (text) out.push({ page: page.page, text });
    }
  }
  return out;
}

export function citationOf(document: ClaimDocumentInput, line: Line, passage = line.text): ClaimCitation {
  return { documentId: document.documentId, page: line.page, passage: passage.slice(0, 300) };
}

const monthNames = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const pad = (value: number) => String(value).padStart(2, '0');

function validDate(year: number, month: number, day: number): string | null {
  if (month < 1 || month > 12 || day < 1 || day > 31 || year < 1900 || year > 2100) return null;
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCMonth() !== month - 1) return null;
  return `${year}-${pad(month)}-${pad(day)}`;
}

/** The first date in `text` as ISO `YYYY-MM-DD`: `2025-03-14`, `03/14/2025`, `March 14, 2025`, `14 March 2025`. */
export function parseDate(text: string): string | null {
  let match = /\b(\d{4})-(\d{1,2})-(\d{1,2})\b/.exec(text);
  if (match) return validDate(Number(match[1]), Number(match[2]), Number(match[3]));
  match = /\b(\d{1,2})[/.](\d{1,2})[/.](\d{4})\b/.exec(text);
  if (match) return validDate(Number(match[3]), Number(match[1]), Number(match[2]));
  match = /\b([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?\s*,?\s*(\d{4})\b/.exec(text);
  if (match) {
    const month = monthNames.indexOf((match[1] ?? '').slice(0, 3).toLowerCase());
    if (month >= 0) return validDate(Number(match[3]), month + 1, Number(match[2]));
  }
  match = /\b(\d{1,2})\s+([A-Za-z]{3,9})\.?\s+(\d{4})\b/.exec(text);
  if (match) {
    const month = monthNames.indexOf((match[2] ?? '').slice(0, 3).toLowerCase());
    if (month >= 0) return validDate(Number(match[3]), month + 1, Number(match[1]));
  }
  return null;
}

/** `HH:MM` (24 h) from `10:55`, `10.55`, `10:55 pm`. */
export function parseTime(text: string): string | null {
  const match = /\b(\d{1,2})[:.](\d{2})\s*(am|pm|a\.m\.|p\.m\.)?/i.exec(text);
  if (!match) return null;
  let hours = Number(match[1]);
  const minutes = Number(match[2]);
  const suffix = (match[3] ?? '').toLowerCase();
  if (suffix.startsWith('p') && hours < 12) hours += 12;
  if (suffix.startsWith('a') && hours === 12) hours = 0;
  if (hours > 23 || minutes > 59) return null;
  return `${pad(hours)}:${pad(minutes)}`;
}

/** `$1,234.56` → 1234.56 (the first amount in the text). */
export function parseMoney(text: string): number | null {
  const match = /\$?\s?(\d{1,3}(?:[,.\s]\d{3})*|\d+)([.,]\d{2})?\b/.exec(text.replace(/S(?=\d)/g, '$'));
  if (!match) return null;
  const whole = (match[1] ?? '').replace(/[,.\s]/g, '');
  const cents = match[2] ? Number(`0.${match[2].slice(1)}`) : 0;
  const value = Number(whole) + cents;
  return Number.isFinite(value) ? Math.round(value * 100) / 100 : null;
}

/** A VIN as written, with OCR's usual confusions undone (VINs never contain I, O or Q). */
export function normalizeVin(text: string): string | null {
  const fix = (vin: string) => vin.replace(/O/g, '0').replace(/I/g, '1').replace(/Q/g, '0');
  const token = text
    .toUpperCase()
    .split(/[\s:;,]+/)
    .find((word) => /^[A-Z0-9]{17}$/.test(word));
  if (token) return fix(token);
  const compact = text.toUpperCase().replace(/[^A-Z0-9]/g, '');
  return /^[A-Z0-9]{17}$/.test(compact) ? fix(compact) : null;
}

/** For comparing names and places: lower case, single spaces, no punctuation but hyphens and periods. */
export function normalizeName(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9.\- ]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export const isNone = (text: string) => /^(none|n\/a|no|nil|-)?\.?$/i.test(text.trim());

export const dayMs = 86_400_000;
export const daysBetween = (from: string, to: string) =>
  Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / dayMs);
