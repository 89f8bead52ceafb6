import type { OcrBox, OcrLine, OcrWord } from './ocr-engine.ts';

/**
 * Layout of one OCRed page: reading order over columns, and tables kept as rows.
 *
 * The engine's lines are cut into *segments* at wide gaps (a column gutter, the space between table cells),
 * tables are found as runs of rows whose short segments line up in the same columns, and everything else is
 * ordered by a recursive X–Y cut: a vertical gutter through a whole region splits it into columns read left
 * to right; otherwise the region is cut into horizontal bands read top to bottom, and neighbouring bands
 * that share a gutter (the lines of a two-column article) are joined again so that their columns are read
 * one after the other, not line by line across both.
 */

/** A piece of the page in reading order: prose, or a table as rows of cells (empty string = empty cell). */
export type LayoutBlock =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'table'; readonly rows: readonly (readonly string[])[] };

export interface PageLayout {
  readonly blocks: readonly LayoutBlock[];
  /** Most text columns found side by side (1 for ordinary pages, 0 when the page has no text). */
  readonly columns: number;
  readonly tables: number;
  /** Words on the page and those of them the engine was confident about (≥ 0.6). */
  readonly words: number;
  readonly confidentWords: number;
  /** Share of the words that are taller than wide: text read sideways (a page scanned at 90° or 270°). */
  readonly verticalShare: number;
}

interface Segment {
  readonly words: readonly OcrWord[];
  readonly box: OcrBox;
  /** Height of the line it came from, the unit of every gap. */
  readonly height: number;
}

type Item = { readonly kind: 'segment'; readonly segment: Segment } | { readonly kind: 'table'; readonly table: Table };

interface Table {
  readonly rows: readonly (readonly string[])[];
  readonly box: OcrBox;
}

/**
 * A gap between words wider than this many line heights (the tallest word of the line) starts a new segment.
 * Word spaces are ~0.3–0.7 of that (monospaced fonts the widest); column gutters and table cells 1.5 or more.
 */
const segmentGap = 1.2;
/** A vertical gutter must be at least this many line heights wide to split a region into columns. */
const gutterWidth = 0.5;
/** A table needs this many rows, and at least this many of them with two or more cells (a form's boxes: 2). */
const minTableRows = 3;
/** Cells of table rows are short; a row whose cells average more words than this is prose side by side. */
const maxWordsPerCell = 4;
/** Rows of one table are at most this many row heights apart. */
const maxRowGap = 2.5;

const boxOfAll = (boxes: readonly OcrBox[]): OcrBox => ({
  x0: Math.min(...boxes.map((b) => b.x0)),
  y0: Math.min(...boxes.map((b) => b.y0)),
  x1: Math.max(...boxes.map((b) => b.x1)),
  y1: Math.max(...boxes.map((b) => b.y1)),
});

const itemBox = (item: Item): OcrBox => (item.kind === 'segment' ? item.segment.box : item.table.box);
const segmentText = (segment: Segment): string => segment.words.map((word) => word.text).join(' ');

function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Rotates boxes about the origin by the page's median baseline slope, so a slightly askew scan has level rows. */
function deskew(lines: readonly OcrLine[]): OcrLine[] {
  const slope = median(lines.filter((line) => line.words.length >= 3).map((line) => line.slope));
  if (Math.abs(slope) < 0.002 || Math.abs(slope) > 0.2) return [...lines];
  const angle = -Math.atan(slope);
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const turn = (box: OcrBox): OcrBox => {
    const cx = (box.x0 + box.x1) / 2;
    const cy = (box.y0 + box.y1) / 2;
    const nx = cx * cos - cy * sin;
    const ny = cx * sin + cy * cos;
    const hw = (box.x1 - box.x0) / 2;
    const hh = (box.y1 - box.y0) / 2;
    return { x0: nx - hw, y0: ny - hh, x1: nx + hw, y1: ny + hh };
  };
  return lines.map((line) => ({ slope: 0, words: line.words.map((word) => ({ ...word, box: turn(word.box) })) }));
}

/** Cuts each line at wide gaps: a line tesseract read across a gutter or across table cells becomes several. */
function segmentsOf(lines: readonly OcrLine[]): Segment[] {
  const segments: Segment[] = [];
  for (const line of lines) {
    const words = [...line.words].sort((a, b) => a.box.x0 - b.box.x0);
    const height = Math.max(1, ...words.map((word) => word.box.y1 - word.box.y0));
    let current: OcrWord[] = [];
    const flush = () => {
      // Marks without a letter or digit are box rules and specks the engine read as ":" or "|", not text.
      if (current.some((word) => /[\p{L}\p{N}]/u.test(word.text)))
        segments.push({ words: current, box: boxOfAll(current.map((w) => w.box)), height });
      current = [];
    };
    for (const word of words) {
      const previous = current.at(-1);
      if (previous && word.box.x0 - previous.box.x1 > segmentGap * height) flush();
      current.push(word);
    }
    flush();
  }
  return segments;
}

/** Groups segments into rows: segments whose vertical extents overlap by half the smaller height. */
function rowsOf(segments: readonly Segment[]): Segment[][] {
  const sorted = [...segments].sort((a, b) => a.box.y0 + a.box.y1 - (b.box.y0 + b.box.y1));
  const rows: { segments: Segment[]; y0: number; y1: number }[] = [];
  for (const segment of sorted) {
    const h = segment.box.y1 - segment.box.y0;
    const row = rows.find((candidate) => {
      const overlap = Math.min(candidate.y1, segment.box.y1) - Math.max(candidate.y0, segment.box.y0);
      return overlap >= 0.5 * Math.min(h, candidate.y1 - candidate.y0);
    });
    if (row) {
      row.segments.push(segment);
      row.y0 = Math.min(row.y0, segment.box.y0);
      row.y1 = Math.max(row.y1, segment.box.y1);
    } else rows.push({ segments: [segment], y0: segment.box.y0, y1: segment.box.y1 });
  }
  return rows.sort((a, b) => a.y0 + a.y1 - (b.y0 + b.y1)).map((row) => row.segments.sort((a, b) => a.box.x0 - b.box.x0));
}

/** Column intervals (x ranges) of a run of rows, or undefined when a segment straddles two columns. */
function columnsOf(rows: readonly (readonly Segment[])[]): { columns: { x0: number; x1: number }[]; uses: number[] } | undefined {
  let columns: { x0: number; x1: number }[] = [];
  for (const row of rows) {
    for (const segment of row) {
      const hit = columns.filter((c) => segment.box.x0 < c.x1 && segment.box.x1 > c.x0);
      const merged = {
        x0: Math.min(segment.box.x0, ...hit.map((c) => c.x0)),
        x1: Math.max(segment.box.x1, ...hit.map((c) => c.x1)),
      };
      columns = [...columns.filter((c) => !hit.includes(c)), merged].sort((a, b) => a.x0 - b.x0);
    }
  }
  // Every row must put each of its segments in a different column.
  const uses = columns.map(() => 0);
  for (const row of rows) {
    const used = row.map((segment) => columns.findIndex((c) => segment.box.x0 < c.x1 && segment.box.x1 > c.x0));
    if (new Set(used).size !== used.length) return undefined;
    for (const column of used) uses[column] = (uses[column] ?? 0) + 1;
  }
  return { columns, uses };
}

function isTableRow(row: readonly Segment[]): boolean {
  if (row.length < 2) return false;
  const words = row.reduce((sum, segment) => sum + segment.words.length, 0);
  return words / row.length <= maxWordsPerCell;
}

/** Finds tables: runs of ≥ 3 close rows of short cells that line up in ≥ 2 columns. */
function findTables(rows: readonly Segment[][]): { tables: Table[]; used: Set<Segment> } {
  const tables: Table[] = [];
  const used = new Set<Segment>();
  let index = 0;
  while (index < rows.length) {
    const first = rows[index] ?? [];
    if (!isTableRow(first)) {
      index++;
      continue;
    }
    const run: Segment[][] = [first];
    let next = index + 1;
    while (next < rows.length) {
      const row = rows[next] ?? [];
      const previous = run.at(-1) ?? [];
      const unit = median([...row, ...previous].map((segment) => segment.height));
      const gap = Math.min(...row.map((s) => s.box.y0)) - Math.max(...previous.map((s) => s.box.y1));
      // A single-cell row (a wrapped cell, a row with one value) may continue a table, not start one.
      const fits = (isTableRow(row) || row.length === 1) && gap <= maxRowGap * unit && columnsOf([...run, row]);
      if (!fits) break;
      run.push(row);
      next++;
    }
    while (run.length > 0 && (run.at(-1)?.length ?? 0) < 2) run.pop();
    let found = run.length >= minTableRows ? columnsOf(run) : undefined;
    if (found && !found.uses.every((uses) => uses > run.length / 2)) found = undefined;
    // Else a form's row of boxes: a row of labels over a row of values, cell for cell.
    const fieldPair = !found && run.length >= 2 && run[0]?.length === run[1]?.length && (run[0]?.length ?? 0) >= 2;
    if (fieldPair) {
      run.length = 2;
      found = columnsOf(run);
    }
    const columns = found?.columns ?? [];
    // A table's columns are filled in most rows; boxes of a form that merely line up (label rows and value
    // rows of boxes of different widths) are not.
    const regular = found?.uses.every((uses) => (fieldPair ? uses === 2 : uses > run.length / 2)) === true;
    const rowsWithCells = run.filter((row) => row.length >= 2).length;
    if (regular && columns.length >= 2 && (fieldPair || rowsWithCells >= minTableRows)) {
      const cells = run.map((row) => {
        const cellsOfRow = columns.map(() => '');
        for (const segment of row) {
          const column = columns.findIndex((c) => segment.box.x0 < c.x1 && segment.box.x1 > c.x0);
          cellsOfRow[column] = segmentText(segment);
          used.add(segment);
        }
        return cellsOfRow;
      });
      tables.push({ rows: cells, box: boxOfAll(run.flat().map((segment) => segment.box)) });
      index += run.length;
    } else index++;
  }
  return { tables, used };
}

/**
 * A part made only of one-word marks of up to four characters (line numbers of a transcript, bullets,
 * checkboxes) is a margin of the text beside it, not a column to read on its own.
 */
function isMargin(part: readonly Item[]): boolean {
  return part.every(
    (item) => item.kind === 'segment' && item.segment.words.length === 1 && (item.segment.words[0]?.text.length ?? 0) <= 4,
  );
}

/** Splits items at vertical gutters that run through the whole group; one part when there is none. */
function splitVertical(items: readonly Item[], unit: number): Item[][] {
  const parts = gutterParts(items, unit);
  if (parts.length < 2) return parts;
  // Margins join the part to their right (the text they number), or the one to their left at the edge.
  const joined: Item[][] = [];
  let pending: Item[] = [];
  for (const part of parts) {
    if (isMargin(part) && part !== parts.at(-1)) {
      pending.push(...part);
      continue;
    }
    if (isMargin(part) && joined.length > 0) joined[joined.length - 1]?.push(...pending, ...part);
    else joined.push([...pending, ...part]);
    pending = [];
  }
  return joined;
}

function gutterParts(items: readonly Item[], unit: number): Item[][] {
  const sorted = [...items].sort((a, b) => itemBox(a).x0 - itemBox(b).x0);
  const parts: Item[][] = [];
  let current: Item[] = [];
  let reach = -Infinity;
  for (const item of sorted) {
    const box = itemBox(item);
    if (current.length > 0 && box.x0 - reach >= gutterWidth * unit) {
      parts.push(current);
      current = [];
    }
    current.push(item);
    reach = Math.max(reach, box.x1);
  }
  if (current.length > 0) parts.push(current);
  return parts;
}

/** Splits items into horizontal bands at every vertical gap that no item spans. */
function splitHorizontal(items: readonly Item[]): Item[][] {
  const sorted = [...items].sort((a, b) => itemBox(a).y0 - itemBox(b).y0);
  const bands: Item[][] = [];
  let current: Item[] = [];
  let reach = -Infinity;
  for (const item of sorted) {
    const box = itemBox(item);
    if (current.length > 0 && box.y0 >= reach) {
      bands.push(current);
      current = [];
    }
    current.push(item);
    reach = Math.max(reach, box.y1);
  }
  if (current.length > 0) bands.push(current);
  return bands;
}

/** Whether the band's segments are lines of prose rather than short cells. */
function isProse(band: readonly Item[]): boolean {
  const words = band.reduce((sum, item) => sum + (item.kind === 'segment' ? item.segment.words.length : 0), 0);
  return words / band.length > maxWordsPerCell;
}

/** Whether every item of a band overlaps every other vertically: one row of text, not a stack of rows. */
function isSingleRow(band: readonly Item[]): boolean {
  const top = Math.max(...band.map((item) => itemBox(item).y0));
  const bottom = Math.min(...band.map((item) => itemBox(item).y1));
  return bottom > top;
}

interface Ordering {
  readonly items: Item[];
  columns: number;
}

/** Deeper nesting than this (a staircase of cuts on a pathological page) is read top to bottom as it is. */
const maxCutDepth = 64;

function order(items: readonly Item[], unit: number, out: Ordering, depth = 0): void {
  if (items.length <= 1 || depth > maxCutDepth) {
    out.items.push(...[...items].sort((a, b) => itemBox(a).y0 - itemBox(b).y0 || itemBox(a).x0 - itemBox(b).x0));
    return;
  }
  const columns = splitVertical(items, unit);
  if (columns.length > 1) {
    // Columns of text, not boxes of a form: at least two parts with three or more lines each.
    if (columns.filter((part) => part.length >= 3).length >= 2) out.columns = Math.max(out.columns, columns.length);
    for (const part of columns) order(part, unit, out, depth + 1);
    return;
  }
  const bands = splitHorizontal(items);
  if (bands.length <= 1) {
    // One row (a line number and its line): left to right; overlapping rows: top to bottom.
    const byRow = isSingleRow(items)
      ? (a: Item, b: Item) => itemBox(a).x0 - itemBox(b).x0
      : (a: Item, b: Item) => itemBox(a).y0 - itemBox(b).y0 || itemBox(a).x0 - itemBox(b).x0;
    out.items.push(...[...items].sort(byRow));
    return;
  }
  // Single-row bands that share a gutter with the next are the lines of one multi-column region: read them as
  // columns. Bands of several rows (the label and value rows of a form's boxes) are read one after the other.
  let group: Item[] = bands[0] ?? [];
  let groupOfRows = isSingleRow(group);
  for (const band of bands.slice(1)) {
    const joined = [...group, ...band];
    // Rows of short cells (an undetected table) are read row by row; prose lines side by side are columns.
    const mergeable =
      groupOfRows &&
      isSingleRow(band) &&
      (isProse(band) || group.length >= 4) &&
      (isProse(group) || group.length >= 4) &&
      splitVertical(band, unit).length > 1 &&
      splitVertical(group, unit).length > 1 &&
      splitVertical(joined, unit).length > 1;
    if (mergeable) {
      group = joined;
      continue;
    }
    order(group, unit, out, depth + 1);
    group = band;
    groupOfRows = isSingleRow(band);
  }
  order(group, unit, out, depth + 1);
}

/**
 * Reading order, columns and tables of a page from the engine's lines. Pure: the same lines always give the
 * same layout, so it is tested on made-up boxes without running OCR.
 */
export function analyzeLayout(rawLines: readonly OcrLine[]): PageLayout {
  const words = rawLines.flatMap((line) => line.words);
  const confidentWords = words.filter((word) => word.confidence >= 0.6).length;
  const vertical = words.filter((word) => word.text.length >= 2 && word.box.y1 - word.box.y0 > 1.5 * (word.box.x1 - word.box.x0));
  const multiLetter = words.filter((word) => word.text.length >= 2).length;
  const verticalShare = multiLetter > 0 ? vertical.length / multiLetter : 0;
  const lines = deskew(rawLines);
  const segments = segmentsOf(lines);
  if (segments.length === 0) return { blocks: [], columns: 0, tables: 0, words: 0, confidentWords: 0, verticalShare };
  const unit = median(segments.map((segment) => segment.height));
  const { tables, used } = findTables(rowsOf(segments));
  const items: Item[] = [
    ...segments.filter((segment) => !used.has(segment)).map((segment): Item => ({ kind: 'segment', segment })),
    ...tables.map((table): Item => ({ kind: 'table', table })),
  ];
  const ordering: Ordering = { items: [], columns: 1 };
  order(items, unit, ordering);
  const blocks: LayoutBlock[] = [];
  let paragraph: string[] = [];
  let previous: Segment | undefined;
  const flush = () => {
    if (paragraph.length > 0) blocks.push({ kind: 'text', text: paragraph.join('\n') });
    paragraph = [];
  };
  for (const item of ordering.items) {
    if (item.kind === 'table') {
      flush();
      blocks.push({ kind: 'table', rows: item.table.rows });
      previous = undefined;
      continue;
    }
    const segment = item.segment;
    // A new paragraph after a blank line's worth of space, or when the reading jumps up (the next column).
    const gap = previous ? segment.box.y0 - previous.box.y1 : 0;
    if (previous && (gap > 0.9 * unit || gap < -unit)) flush();
    paragraph.push(segmentText(segment));
    previous = segment;
  }
  flush();
  return { blocks, columns: ordering.columns, tables: tables.length, words: words.length, confidentWords, verticalShare };
}

/**
 * The page as plain text in reading order: table rows with their cells separated by spaces; a form's label
 * row and value row as label–value pairs, the order in which they are indexed (`Label: value; …`).
 */
export function layoutText(layout: PageLayout): string {
  const tableText = (rows: readonly (readonly string[])[]) => {
    const [labels, values] = rows;
    if (rows.length === 2 && labels && values) return labels.map((label, index) => `${label} ${values[index] ?? ''}`).join('\n');
    return rows.map((row) => row.filter(Boolean).join(' ')).join('\n');
  };
  return layout.blocks.map((block) => (block.kind === 'text' ? block.text : tableText(block.rows))).join('\n\n');
}
