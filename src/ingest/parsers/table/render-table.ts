import { oneLine } from '../parsed-document.ts';
import type { ParsedSection } from '../parser.ts';

/** Most characters of one table section; larger tables become several sections of whole rows. */
export const maxTableSectionChars = 6000;

/** A cell that looks like a number, date, amount or percentage rather than a label. */
function isValueLike(cell: string): boolean {
  return (
    /^[-+(]?[$€£¥]?\s*[\d.,' ]+%?\)?$/.test(cell) || /^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}/.test(cell) || /^(true|false)$/i.test(cell)
  );
}

/**
 * Index of the header row among the first rows, or -1. A header has at least two (or all, for one column)
 * non-empty cells, none of them value-like, all different, and covers at least half of the table's width.
 * Rows above it (titles such as "Rates 2026") are returned by `renderTable` as preamble text.
 */
export function detectHeaderRow(rows: readonly (readonly string[])[], scanRows = 10): number {
  const width = Math.max(0, ...rows.slice(0, 50).map((row) => row.filter((cell) => cell !== '').length));
  for (let index = 0; index < Math.min(rows.length, scanRows); index++) {
    const row = rows[index] ?? [];
    const cells = row.filter((cell) => cell !== '');
    if (cells.length === 0) continue;
    const enough = width <= 1 ? cells.length === 1 : cells.length >= 2 && cells.length >= width / 2;
    if (!enough) continue;
    const unique = new Set(cells.map((cell) => cell.toLowerCase())).size === cells.length;
    // Years are labels in a header ("Region, 2025, 2026"), values elsewhere.
    if (unique && cells.every((cell) => (/^(19|20)\d\d$/.test(cell) || !isValueLike(cell)) && cell.length <= 80)) {
      // A table of only label-like rows has no header we can tell apart; require something below it.
      return index + 1 < rows.length ? index : -1;
    }
  }
  return -1;
}

export interface RenderedTable {
  /** Lines above the header (table titles), joined. */
  readonly preamble: string;
  readonly header: readonly string[] | undefined;
  /** One line per data row: `Header: value; Header: value` (empty cells left out), or `value; value` without a header. */
  readonly lines: readonly string[];
}

/** Renders rows as readable lines, repeating the header on every row so each line stands on its own. */
/** A cell on one line; the regular expression only runs for the few cells that need it. */
function cellLine(cell: string): string {
  return /[\t\n\r\u00a0]| {2}/.test(cell) ? oneLine(cell) : cell.trim();
}

export function renderTable(rawRows: readonly (readonly string[])[]): RenderedTable {
  const rows = rawRows.map((row) => row.map(cellLine));
  const headerIndex = detectHeaderRow(rows);
  const header = headerIndex >= 0 ? rows[headerIndex] : undefined;
  const preamble =
    headerIndex > 0
      ? rows
          .slice(0, headerIndex)
          .map((row) => row.filter(Boolean).join(' '))
          .filter(Boolean)
      : [];
  const body = rows.slice(headerIndex + 1);
  const names = header?.map((name, index) => name || `Column ${index + 1}`);
  const lines: string[] = [];
  for (const row of body) {
    let line = '';
    for (let index = 0; index < row.length; index++) {
      const cell = row[index];
      if (!cell) continue;
      if (line) line += '; ';
      line += names ? `${names[index] ?? `Column ${index + 1}`}: ${cell}` : cell;
    }
    if (line) lines.push(line);
  }
  return { preamble: preamble.join('\n'), header: names, lines };
}

/**
 * Table sections of whole rows, each at most `maxChars` long (a single longer row is its own section), so a
 * big table is kept as tables — never mixed with prose — in pieces the chunker can handle.
 */
export function tableSections(
  headingPath: readonly string[],
  rows: readonly (readonly string[])[],
  options: { maxChars?: number; pageStart?: number; pageEnd?: number } = {},
): ParsedSection[] {
  const maxChars = options.maxChars ?? maxTableSectionChars;
  const rendered = renderTable(rows);
  const pages = {
    ...(options.pageStart === undefined ? {} : { pageStart: options.pageStart }),
    ...(options.pageEnd === undefined ? {} : { pageEnd: options.pageEnd }),
  };
  const sections: ParsedSection[] = [];
  if (rendered.preamble) sections.push({ headingPath, text: rendered.preamble, kind: 'text', ...pages });
  let group: string[] = [];
  let size = 0;
  const flush = () => {
    if (group.length > 0) sections.push({ headingPath, text: group.join('\n'), kind: 'table', ...pages });
    group = [];
    size = 0;
  };
  for (const line of rendered.lines) {
    if (size > 0 && size + line.length + 1 > maxChars) flush();
    group.push(line);
    size += line.length + 1;
  }
  flush();
  return sections;
}
