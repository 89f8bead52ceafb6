import { legacyMetadata } from '../doc/doc-parser.ts';
import { readCompoundFile } from '../ole/compound-file.ts';
import { corruptError, encryptedError, throwIfAborted } from '../parse-errors.ts';
import { buildDocument, titleFromFileName } from '../parsed-document.ts';
import type { ParsedDocument, ParsedSection, ParseInput, Parser } from '../parser.ts';
import { tableSections } from '../table/render-table.ts';
import { BiffError, type BiffWorkbook, readBiffWorkbook } from './biff-reader.ts';

/**
 * Excel 97–2003 workbooks (`.xls`, BIFF8; Excel 5/95 BIFF5 too): a built-in BIFF reader over the
 * `Workbook` stream (cfb for the container) — the npm release of SheetJS, the one maintained xls parser, is
 * stuck at 0.18.5 with two published advisories. Like XLSX: one heading per sheet, the header row detected,
 * rows as `Header: value; …`, cached formula results, dates (by their cell format) as ISO dates. Title,
 * author and dates from SummaryInformation. Password-protected workbooks (FILEPASS) fail with `parse.encrypted`.
 */
export const xlsParser: Parser = {
  name: 'xls',
  mediaTypes: ['application/vnd.ms-excel'],
  async parse(input: ParseInput): Promise<ParsedDocument> {
    const { fileName } = input;
    const file = await readCompoundFile(input.bytes, fileName, 'workbook');
    const stream = file.stream('Workbook') ?? file.stream('Book');
    if (!stream) throw corruptError(fileName, 'workbook', new Error('no Workbook stream'));
    throwIfAborted(input.signal, fileName);
    let workbook: BiffWorkbook;
    try {
      workbook = readBiffWorkbook(stream);
    } catch (error) {
      if (error instanceof BiffError || error instanceof RangeError) throw corruptError(fileName, 'workbook', error);
      throw error;
    }
    if (workbook.encrypted) throw encryptedError(fileName, 'workbook');
    const sections: ParsedSection[] = [];
    for (const sheet of workbook.sheets) {
      throwIfAborted(input.signal, fileName);
      sections.push(...tableSections([sheet.name || 'Sheet'], sheet.rows));
    }
    const meta = legacyMetadata(file);
    return buildDocument({
      title: meta.title || titleFromFileName(fileName),
      mediaType: 'application/vnd.ms-excel',
      sections,
      metadata: { ...meta.metadata, sheets: workbook.sheets.map((sheet) => sheet.name), biffVersion: workbook.biffVersion },
    });
  },
};
