import { isOleCompoundFile } from '../docx/docx-parser.ts';
import { coreProperties, readPackage } from '../ooxml/ooxml-package.ts';
import { corruptError, encryptedError, throwIfAborted } from '../parse-errors.ts';
import { buildDocument, isoDate, titleFromFileName } from '../parsed-document.ts';
import type { ParsedDocument, ParsedSection, ParseInput, Parser } from '../parser.ts';
import { tableSections } from '../table/render-table.ts';

/** A cell value as exceljs returns it, rendered as the text a reader sees. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) {
    const iso = isoDate(value) ?? '';
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
  }
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Math.round(value * 1e6) / 1e6);
  if (typeof value === 'string' || typeof value === 'boolean') return String(value);
  if (typeof value === 'object') {
    const object = value as Record<string, unknown>;
    if (Array.isArray(object.richText)) return object.richText.map((run: { text?: unknown }) => String(run.text ?? '')).join('');
    if ('result' in object) return cellText(object.result);
    if ('formula' in object || 'sharedFormula' in object) return '';
    if ('text' in object) return cellText(object.text);
    if ('error' in object) return '';
  }
  return '';
}

/**
 * Spreadsheets (XLSX): one heading per sheet, rows as `Header: value; …` with the header row detected (title
 * rows above it kept as text), formula results rather than formulas, dates as ISO dates.
 */
export const xlsxParser: Parser = {
  name: 'xlsx',
  mediaTypes: [
    'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    'application/vnd.ms-excel.sheet.macroEnabled.12',
  ],
  async parse(input: ParseInput): Promise<ParsedDocument> {
    if (isOleCompoundFile(input.bytes)) throw encryptedError(input.fileName, 'workbook');
    // exceljs inflates the whole package: refuse packages that would blow far past the file limit first.
    const parts = readPackage(input.bytes, input.fileName, input.limits.maxBytes * 4, (name) => name === 'docProps/core.xml');
    const { default: ExcelJS } = await import('exceljs');
    const workbook = new ExcelJS.Workbook();
    try {
      await workbook.xlsx.load(Buffer.from(input.bytes.buffer, input.bytes.byteOffset, input.bytes.byteLength) as never);
    } catch (error) {
      throw corruptError(input.fileName, 'workbook', error);
    }
    const sections: ParsedSection[] = [];
    const sheets: string[] = [];
    for (const sheet of workbook.worksheets) {
      throwIfAborted(input.signal, input.fileName);
      sheets.push(sheet.name);
      const rows: string[][] = [];
      sheet.eachRow({ includeEmpty: false }, (row) => {
        const values = Array.isArray(row.values) ? row.values.slice(1) : [];
        rows.push(Array.from(values, (value) => cellText(value)));
      });
      sections.push(...tableSections([sheet.name], rows));
    }
    const core = coreProperties(parts);
    return buildDocument({
      title: core.title || workbook.title || titleFromFileName(input.fileName),
      mediaType: xlsxParser.mediaTypes[0] ?? '',
      sections,
      metadata: {
        ...core.metadata,
        author: core.metadata.author ?? (workbook.creator || undefined),
        sheets,
      },
    });
  },
};
