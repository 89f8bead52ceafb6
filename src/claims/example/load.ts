/**
 * Reading a generated dataset back the way Groundwork would: every file parsed with the ingest parsers
 * (OCR for scans), photos read for EXIF and caption, the history CSV, the claim manifests, and a small
 * keyword search over policy documents standing in for the workflow's permission-aware search. Used by the
 * benchmark and the tests; the workflow has its own import.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ParseLimits, parseDocument } from '../../ingest/index.ts';
import { photoDocumentParts } from '../assess/index.ts';
import type { ClaimCitation, ClaimDocumentInput, ClaimRecordInput, HistoryClaim } from '../model.ts';

export const exampleParseLimits: ParseLimits = {
  maxBytes: 100 * 1024 * 1024,
  maxTextChars: 5_000_000,
  zip: { maxEntries: 10_000, maxTotalBytes: 1024 * 1024 * 1024, maxRatio: 200, maxDepth: 2 },
  ocr: { enabled: true, minPageChars: 20 },
};

export interface ParsedFile {
  readonly document: ClaimDocumentInput;
  /** Parse error code when the file could not be read (it would be quarantined). */
  readonly error?: string;
}

/** Parses one file of a claim folder into the assessment's document input. */
export async function parseClaimFile(path: string, fileName: string, documentId: string): Promise<ParsedFile> {
  const bytes = new Uint8Array(readFileSync(path));
  const isImage = /\.(jpe?g|png|tiff?)$/i.test(fileName);
  if (isImage) {
    const { exif, caption } = photoDocumentParts(bytes);
    const document: ClaimDocumentInput = {
      documentId,
      fileName,
      mediaType: /\.png$/i.test(fileName) ? 'image/png' : 'image/jpeg',
      pages: caption ? [{ page: 1, text: caption }] : [],
      ocr: false,
      exif,
    };
    return { document };
  }
  try {
    const parsed = await parseDocument({ bytes, fileName, limits: exampleParseLimits });
    const pages = new Map<number, string[]>();
    for (const section of parsed.sections) {
      const page = section.pageStart ?? 1;
      pages.set(page, [...(pages.get(page) ?? []), section.text]);
    }
    return {
      document: {
        documentId,
        fileName,
        mediaType: parsed.mediaType,
        pages: [...pages.entries()].sort((a, b) => a[0] - b[0]).map(([page, texts]) => ({ page, text: texts.join('\n') })),
        ocr: (parsed.stats.ocrPages ?? 0) > 0,
      },
    };
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'parse.failed';
    return { document: { documentId, fileName, mediaType: 'application/octet-stream', pages: [], ocr: false }, error: code };
  }
}

/** Every document of a claim folder (not the manifest). */
export async function parseClaimFolder(folder: string, claimNumber: string): Promise<ParsedFile[]> {
  const files = readdirSync(folder)
    .filter((file) => file !== 'claim.json')
    .sort();
  const out: ParsedFile[] = [];
  for (const file of files) out.push(await parseClaimFile(join(folder, file), file, `${claimNumber}/${file}`));
  return out;
}

/** The claim record from `claim.json`. */
export function readClaimManifest(folder: string): ClaimRecordInput & { assignedAdjuster?: string; damageType?: string } {
  const manifest = JSON.parse(readFileSync(join(folder, 'claim.json'), 'utf8'));
  return {
    claimNumber: manifest.claimNumber,
    policyNumber: manifest.policyNumber ?? null,
    lineOfBusiness: manifest.lineOfBusiness,
    lossDate: manifest.lossDate ?? null,
    reportedDate: manifest.reportedDate ?? null,
    region: manifest.region,
    assignedAdjuster: manifest.assignedAdjuster,
    damageType: manifest.damageType,
  };
}

function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        cell += '"';
        index++;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(cell);
      cell = '';
    } else if (char === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else if (char !== '\r') cell += char;
  }
  if (cell || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

/** The history table (`history.csv`) as history claims. */
export function readHistoryCsv(text: string): HistoryClaim[] {
  const [header, ...rows] = csvRows(text);
  if (!header) return [];
  return rows
    .filter((row) => row.length === header.length)
    .map((row) => {
      const record = Object.fromEntries(header.map((name, index) => [name, row[index] ?? '']));
      return {
        claimNumber: record.claimNumber ?? '',
        policyNumber: record.policyNumber ?? '',
        lineOfBusiness: record.lineOfBusiness ?? '',
        lossDate: record.lossDate ?? '',
        ...(record.region ? { region: record.region } : {}),
        ...(record.damageType ? { damageType: record.damageType } : {}),
        ...(record.amount ? { amount: Number(record.amount) } : {}),
        ...(record.claimantName ? { claimantName: record.claimantName } : {}),
        ...(record.vehicleVin ? { vehicleVin: record.vehicleVin } : {}),
        ...(record.address ? { address: record.address } : {}),
        ...(record.outcome ? { outcome: record.outcome } : {}),
      };
    });
}

/** A keyword search over the lines of policy documents (the workflow's search is permission-aware BM25). */
export function keywordPolicySearch(documents: readonly ClaimDocumentInput[]): (query: string) => Promise<ClaimCitation[]> {
  const lines = documents.flatMap((document) =>
    document.pages.flatMap((page) =>
      page.text
        .split('\n')
        .map((text) => text.trim())
        .filter(Boolean)
        .map((text) => ({ documentId: document.documentId, page: page.page, passage: text })),
    ),
  );
  return async (query) => {
    const words = query
      .toLowerCase()
      .split(/\W+/)
      .filter((word) => word.length > 3);
    return lines
      .map((line) => ({ line, score: words.filter((word) => line.passage.toLowerCase().includes(word)).length }))
      .filter((hit) => hit.score >= 2)
      .sort((a, b) => b.score - a.score)
      .slice(0, 3)
      .map((hit) => hit.line);
  };
}
