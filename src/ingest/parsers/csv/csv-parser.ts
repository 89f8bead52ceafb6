import { buildDocument, titleFromFileName } from '../parsed-document.ts';
import type { ParsedDocument, ParseInput, Parser } from '../parser.ts';
import { tableSections } from '../table/render-table.ts';
import { decodeText } from '../text/decode-text.ts';
import { createTextBudget } from '../text-budget.ts';
import { detectDelimiter, parseCsv } from './parse-csv.ts';

/**
 * CSV and TSV: encoding detection, delimiter detection (`,` `;` tab `|`), quoted fields, header-row detection;
 * rows rendered as `Header: value; …` in table sections of whole rows.
 */
export const csvParser: Parser = {
  name: 'csv',
  mediaTypes: ['text/csv', 'text/tab-separated-values', 'application/csv'],
  async parse(input: ParseInput): Promise<ParsedDocument> {
    // Delimiters and quotes are decoded but are not text (rows repeat their headers, which is more): allow 2×.
    const decoded = decodeText(input.bytes, {
      budget: createTextBudget(input.fileName, input.limits.maxTextChars, { allowance: 2 }),
    });
    const delimiter = input.mediaType === 'text/tab-separated-values' ? '\t' : detectDelimiter(decoded.text);
    const rows = parseCsv(decoded.text, delimiter);
    const title = titleFromFileName(input.fileName);
    return buildDocument({
      title,
      mediaType: input.mediaType === 'text/tab-separated-values' ? 'text/tab-separated-values' : 'text/csv',
      sections: tableSections([], rows),
      metadata: { rows: rows.length, delimiter: delimiter === '\t' ? 'tab' : delimiter },
      warnings: decoded.warnings,
      encoding: decoded.encoding,
    });
  },
};
