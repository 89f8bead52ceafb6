import { createHash } from 'node:crypto';
import { GroundworkError } from '../../core/index.ts';
import { estimateTokenHundredths, estimateTokens } from './estimate-tokens.ts';

/**
 * Structure-aware chunking: the parser's sections in, retrieval-sized passages out. Pure.
 *
 * - Consecutive sections with the same heading path and kind (e.g. one PDF section per page) are read as one,
 *   so a paragraph that runs over a page break stays together; chunks carry the page range they cover.
 * - Text is split at paragraphs, then lines, then sentences, then words (then characters, for a "word" longer
 *   than a chunk), packed greedily up to `targetTokens`. Consecutive chunks of one section overlap by up to
 *   `overlapTokens`, starting at a sentence where one fits.
 * - Small whole sections under the same top-level heading are packed together (their sub-headings kept as
 *   lines); chunks never span two top-level sections, and tables are never mixed with prose.
 * - Tables are split at row boundaries only; a Markdown header row (with its `|---|` line) is repeated at the
 *   top of every chunk of the table. No overlap inside tables: rows are self-contained.
 * - A trailing fragment smaller than `minTokens` is merged into the chunk before it.
 * - The heading path (with the document title first) is the first line of `text`: retrieval indexes `text`,
 *   and the title and headings are the words people search with (BM25 and embeddings both gain).
 */

/** One section of a parsed document, in reading order (structurally `ParsedSection` of the parser). */
export interface ChunkableSection {
  readonly headingPath: readonly string[];
  readonly text: string;
  readonly pageStart?: number | undefined;
  readonly pageEnd?: number | undefined;
  readonly kind: 'text' | 'table' | 'notes';
}

export interface ChunkableDocument {
  /** Prepended to the heading line of every chunk unless it repeats the first heading. */
  readonly title?: string | undefined;
  readonly sections: readonly ChunkableSection[];
}

export interface ChunkingOptions {
  /** Intended chunk size in estimated tokens, heading line included (config `ingest.chunking.targetTokens`). */
  readonly targetTokens: number;
  /** Most tokens repeated from the previous chunk of the same section (config `ingest.chunking.overlapTokens`). */
  readonly overlapTokens: number;
  /** Trailing fragments below this many new tokens join the previous chunk. Default: targetTokens / 5 (8–100). */
  readonly minTokens?: number;
  /** Put the document title in the heading line (default true). */
  readonly includeTitle?: boolean;
  /**
   * Most chunks the document may have (config `ingest.maxChunksPerDocument`). More: `ingest.too_large` is
   * thrown before any chunk text is built — a document is indexed whole or not at all.
   */
  readonly maxChunks?: number;
}

/** Where a chunk's text came from: `sections[section].text.slice(start, end)`. */
export interface ChunkSourceSpan {
  readonly section: number;
  readonly start: number;
  readonly end: number;
}

/** A chunk before it has an id or an embedding. */
export interface ChunkDraft {
  /** 0-based position in the document. */
  readonly ordinal: number;
  /** Heading line, a blank line, then the passage. This is what is indexed, embedded and cited. */
  readonly text: string;
  /** Headings common to everything in the chunk, outermost first. */
  readonly sectionPath: string[];
  readonly pageStart?: number;
  readonly pageEnd?: number;
  /** Estimated tokens of `text` (see estimate-tokens.ts). */
  readonly tokenCount: number;
  /** sha256 (hex) of the normalised `text` (NFC, whitespace collapsed): the embedding cache key. */
  readonly contentHash: string;
  readonly kind: 'text' | 'table' | 'notes';
  /** Characters at the start of `text` that are the heading line and its blank line (0 when there is none). */
  readonly contextLength: number;
  /**
   * Characters after the heading line that repeat the end of the previous chunk (the overlap); 0 for the
   * first chunk of a section. `text.slice(contextLength + overlapLength)` is new text: count things there
   * (PII per document, say) to count each occurrence once.
   */
  readonly overlapLength: number;
  /** The input text this chunk covers (for highlighting and for checking coverage). */
  readonly sourceSpans: readonly ChunkSourceSpan[];
}

interface Part {
  readonly section: number;
  /** Offset of this input section's text inside the logical section's text. */
  readonly offset: number;
  readonly length: number;
  readonly pageStart?: number | undefined;
  readonly pageEnd?: number | undefined;
}

/** Consecutive input sections with the same heading path and kind, read as one text. */
interface LogicalSection {
  readonly headingPath: readonly string[];
  readonly kind: ChunkableSection['kind'];
  readonly text: string;
  readonly parts: readonly Part[];
}

interface Range {
  readonly start: number;
  readonly end: number;
}

interface Unit extends Range {
  readonly tokens: number;
}

/** A piece of one logical section inside a chunk. */
interface Piece extends Range {
  readonly section: LogicalSection;
  /** Where the new (non-overlap) text starts. */
  readonly newStart: number;
  readonly header?: Range | undefined;
  /** A short text section right before a table under the same headings ("Rates 2026"), repeated above its rows. */
  readonly caption?: LogicalSection | undefined;
}

/** A text section this small, directly before a table with the same headings, becomes the table's caption. */
const maxCaptionTokens = 40;

const partSeparator = '\n\n';
const headingSeparator = ' › ';
const sentenceSegmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

/** Default `minTokens` for a target: a fifth of it, between 8 and 100. */
export function defaultMinTokens(targetTokens: number): number {
  return Math.min(100, Math.max(8, Math.floor(targetTokens / 5)));
}

/**
 * Most visible (non-whitespace) characters of text that `maxChunks` chunks can hold, so that text with more
 * provably needs more chunks (parsers stop decoding there; see `ParseLimits.maxTextChars`).
 *
 * A chunk carries at most `targetTokens + minTokens` estimated tokens of new text (a trailing fragment below
 * `minTokens` joins the chunk before it), and the token estimate gives every piece of text at least 0.15
 * tokens per visible character (a word of 7 letters is 1.05 tokens; longer words more, digits 1 per 3,
 * punctuation 1 each; whitespace is free). So a chunk holds at most 20/3 visible characters per token; 7
 * rounds that up.
 */
export function maxTextCharsForChunks(
  maxChunks: number,
  options: { readonly targetTokens: number; readonly minTokens?: number },
): number {
  const perChunk = options.targetTokens + (options.minTokens ?? defaultMinTokens(options.targetTokens));
  return maxChunks * perChunk * maxVisibleCharsPerToken;
}

const maxVisibleCharsPerToken = 7;

/**
 * Splits a parsed document into chunk drafts.
 * @throws GroundworkError `chunking.invalid_options` when the sizes cannot work (overlap ≥ half the target);
 *   `ingest.too_large` when the document needs more than `options.maxChunks` chunks.
 */
export function chunkDocument(document: ChunkableDocument, options: ChunkingOptions): ChunkDraft[] {
  const target = options.targetTokens;
  const overlap = options.overlapTokens;
  if (!Number.isInteger(target) || target < 16 || !Number.isInteger(overlap) || overlap < 0 || overlap * 2 > target) {
    throw new GroundworkError(
      'chunking.invalid_options',
      `Chunk sizes targetTokens=${target}, overlapTokens=${overlap} cannot work: the target must be an integer of at least 16 and the overlap at most half of it.`,
      {
        category: 'usage',
        fix: 'Set ingest.chunking.overlapTokens to at most half of ingest.chunking.targetTokens (e.g. 350 and 50).',
        details: { targetTokens: target, overlapTokens: overlap },
      },
    );
  }
  const minTokens = options.minTokens ?? defaultMinTokens(target);
  const title = options.includeTitle === false ? undefined : document.title?.trim() || undefined;
  const maxChunks = options.maxChunks ?? Number.POSITIVE_INFINITY;
  if (Number.isFinite(maxChunks)) {
    // A cheap lower bound first (one pass, no splitting): every chunk holds at most target + minTokens new
    // tokens; 1 % slack covers the estimate's sub-additivity when a giant "word" is cut into windows.
    let hundredths = 0;
    for (const section of document.sections) hundredths += estimateTokenHundredths(section.text);
    if (hundredths / 100 > maxChunks * (target + minTokens) * 1.01) throw tooManyChunks(maxChunks);
  }

  const drafts: ChunkDraft[] = [];
  let planned = 0;
  for (const group of groupByTopLevel(logicalSections(document.sections))) {
    const packed: Piece[][] = [];
    let caption: LogicalSection | undefined;
    for (const [index, section] of group.entries()) {
      const next = group[index + 1];
      if (
        section.kind === 'text' &&
        next?.kind === 'table' &&
        sameHeadings(section.headingPath, next.headingPath) &&
        estimateTokens(section.text) <= Math.min(maxCaptionTokens, Math.floor(target / 4))
      ) {
        caption = section;
        continue;
      }
      const contextTokens = estimateTokens(headingLine(title, section.headingPath));
      const budget = Math.max(Math.floor(target / 2), target - contextTokens);
      const pieces = chunkSection(section, budget, section.kind === 'table' ? 0 : overlap, minTokens, caption);
      caption = undefined;
      const previous = packed.at(-1);
      // A whole small section joins the previous chunk when that chunk holds whole sections of the same kind.
      if (
        pieces.length === 1 &&
        previous &&
        isWholeSections(previous) &&
        previous[0]?.section.kind === section.kind &&
        section.kind !== 'table' &&
        estimateTokens(renderChunk(title, [...previous, ...pieces]).text) <= target
      ) {
        previous.push(...pieces);
      } else {
        for (const piece of pieces) packed.push([piece]);
      }
      // Ranges only so far: stop before any chunk text, hash or span list is built.
      if (planned + packed.length > maxChunks) throw tooManyChunks(maxChunks);
    }
    planned += packed.length;
    for (const pieces of packed) drafts.push(toDraft(drafts.length, title, pieces));
  }
  return drafts;
}

function tooManyChunks(maxChunks: number): GroundworkError {
  return new GroundworkError(
    'ingest.too_large',
    `The document needs more than ${maxChunks} chunks (ingest.maxChunksPerDocument); it was not indexed.`,
    {
      category: 'limit',
      fix: 'Split the file into smaller documents, exclude it from the source (logs and data dumps rarely belong in search), or raise ingest.maxChunksPerDocument; then run `groundwork quarantine retry --all`.',
      details: { maxChunks },
    },
  );
}

/** sha256 (hex) of text normalised for caching: Unicode NFC, whitespace runs collapsed, trimmed. */
export function chunkContentHash(text: string): string {
  return createHash('sha256').update(text.normalize('NFC').replace(/\s+/g, ' ').trim()).digest('hex');
}

function isWholeSections(pieces: readonly Piece[]): boolean {
  return pieces.every(
    (piece) => piece.start === firstContent(piece.section.text) && piece.end === lastContent(piece.section.text),
  );
}

function firstContent(text: string): number {
  const match = /\S/.exec(text);
  return match ? match.index : text.length;
}

function lastContent(text: string): number {
  return text.trimEnd().length;
}

// ---------------------------------------------------------------------------------------------------------

function sameHeadings(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((heading, index) => heading === b[index]);
}

/**
 * Normalises line breaks without changing lengths (offsets stay valid in the input): CR LF → space LF,
 * lone CR and form feed → LF.
 */
function normaliseBreaks(text: string): string {
  return text.replace(/\r\n/g, ' \n').replace(/[\r\f\v]/g, '\n');
}

function logicalSections(sections: readonly ChunkableSection[]): LogicalSection[] {
  const out: { headingPath: readonly string[]; kind: ChunkableSection['kind']; text: string; parts: Part[] }[] = [];
  sections.forEach((section, index) => {
    if (section.text.trim() === '') return;
    const text = normaliseBreaks(section.text);
    const last = out.at(-1);
    const lastPart = last?.parts.at(-1);
    const paged = section.pageStart !== undefined;
    const continues =
      last !== undefined &&
      lastPart !== undefined &&
      last.kind === section.kind &&
      sameHeadings(last.headingPath, section.headingPath) &&
      (lastPart.pageStart !== undefined) === paged &&
      (!paged || (section.pageStart as number) <= (lastPart.pageEnd ?? lastPart.pageStart ?? 0) + 1);
    const part = {
      section: index,
      length: text.length,
      pageStart: section.pageStart,
      pageEnd: section.pageEnd ?? section.pageStart,
    };
    if (continues && last) {
      const offset = last.text.length + partSeparator.length;
      last.text += partSeparator + text;
      last.parts.push({ ...part, offset });
    } else {
      out.push({ headingPath: section.headingPath, kind: section.kind, text, parts: [{ ...part, offset: 0 }] });
    }
  });
  return out;
}

function groupByTopLevel(sections: readonly LogicalSection[]): LogicalSection[][] {
  const groups: LogicalSection[][] = [];
  for (const section of sections) {
    const last = groups.at(-1);
    if (last && (last[0]?.headingPath[0] ?? '') === (section.headingPath[0] ?? '')) last.push(section);
    else groups.push([section]);
  }
  return groups;
}

// ---------------------------------------------------------------------------------------------------------

function chunkSection(
  section: LogicalSection,
  fullBudget: number,
  overlap: number,
  minTokens: number,
  caption?: LogicalSection,
): Piece[] {
  const text = section.text;
  const budget = caption ? Math.max(8, fullBudget - estimateTokens(caption.text)) : fullBudget;
  let header: Range | undefined;
  let units: Unit[];
  if (section.kind === 'table') {
    const lines = lineRanges(text, { start: 0, end: text.length });
    const [first, second] = lines;
    if (first && second && /^\s*\|?\s*:?-{3,}/.test(text.slice(second.start, second.end)) && lines.length > 2) {
      header = { start: first.start, end: second.end };
      units = splitToFit(text, lines.slice(2), budget - estimateTokens(text.slice(header.start, header.end)), 2);
    } else {
      units = splitToFit(text, lines, budget, 2);
    }
  } else {
    units = splitToFit(text, paragraphRanges(text), budget, 1);
  }
  const rowBudget = header ? budget - estimateTokens(text.slice(header.start, header.end)) : budget;

  const chunks: (Range & { tokens: number; newStart: number; newTokens: number })[] = [];
  let current: (Range & { tokens: number; newStart: number; newTokens: number }) | undefined;
  for (const unit of units) {
    if (!current) {
      current = { start: unit.start, end: unit.end, tokens: unit.tokens, newStart: unit.start, newTokens: unit.tokens };
    } else if (current.tokens + unit.tokens <= rowBudget) {
      current = { ...current, end: unit.end, tokens: current.tokens + unit.tokens, newTokens: current.newTokens + unit.tokens };
    } else {
      chunks.push(current);
      let start = unit.start;
      let tokens = unit.tokens;
      if (overlap > 0) {
        const overlapStart = findOverlapStart(text, current, overlap);
        if (overlapStart !== undefined) {
          const overlapTokens = estimateTokens(text.slice(overlapStart, current.end));
          if (overlapTokens + unit.tokens <= rowBudget) {
            start = overlapStart;
            tokens += overlapTokens;
          }
        }
      }
      current = { start, end: unit.end, tokens, newStart: unit.start, newTokens: unit.tokens };
    }
  }
  if (current) {
    const previous = chunks.at(-1);
    if (previous && current.newTokens < minTokens) {
      chunks[chunks.length - 1] = { ...previous, end: current.end, tokens: previous.tokens + current.newTokens };
    } else {
      chunks.push(current);
    }
  }
  return chunks.map((chunk) => ({ section, start: chunk.start, end: chunk.end, newStart: chunk.newStart, header, caption }));
}

/**
 * The start of the overlap carried into the next chunk: the longest tail of `range` within `overlap` tokens,
 * moved forward to a sentence start when that keeps at least a third of it.
 */
function findOverlapStart(text: string, range: Range, overlap: number): number | undefined {
  const limit = overlap * 100;
  const isSpace = (index: number) => {
    const code = text.charCodeAt(index);
    return code <= 32 || code === 0xa0 || code === 0x2028 || code === 0x2029;
  };
  // Walk back word by word from the end, summing the (additive) estimate of each word and its gap.
  let total = 0;
  let best: number | undefined;
  let bestTotal = 0;
  const sentenceStarts: { start: number; total: number }[] = [];
  let position = range.end;
  while (position > range.start + 1) {
    let start = position - 1;
    while (start > range.start && isSpace(start)) start--;
    while (start > range.start && !isSpace(start - 1)) start--;
    if (start <= range.start) break;
    total += estimateTokenHundredths(text.slice(start, position));
    if (total > limit) break;
    best = start;
    bestTotal = total;
    if (/(?:[.!?]["')\]]*\s+|\n\s*)$/.test(text.slice(Math.max(range.start, start - 4), start)))
      sentenceStarts.push({ start, total });
    position = start;
  }
  if (best === undefined) return undefined;
  // Prefer the earliest sentence start that keeps at least a third of the overlap actually possible.
  const sentence = sentenceStarts.at(-1);
  return sentence && sentence.total * 3 >= bestTotal ? sentence.start : best;
}

// ---------------------------------------------------------------------------------------------------------
// Split points, coarse to fine. Every range is trimmed of surrounding whitespace.

type Splitter = (text: string, range: Range) => Range[];

function trimRange(text: string, start: number, end: number): Range | undefined {
  let s = start;
  let e = end;
  while (s < e && /\s/.test(text.charAt(s))) s++;
  while (e > s && /\s/.test(text.charAt(e - 1))) e--;
  return s < e ? { start: s, end: e } : undefined;
}

function splitByPattern(text: string, range: Range, pattern: RegExp): Range[] {
  const out: Range[] = [];
  let cursor = range.start;
  const slice = text.slice(range.start, range.end);
  for (const match of slice.matchAll(pattern)) {
    const piece = trimRange(text, cursor, range.start + match.index);
    if (piece) out.push(piece);
    cursor = range.start + match.index + match[0].length;
  }
  const last = trimRange(text, cursor, range.end);
  if (last) out.push(last);
  return out;
}

function paragraphRanges(text: string): Range[] {
  return splitByPattern(text, { start: 0, end: text.length }, /\n[ \t]*\n\s*/g);
}

function lineRanges(text: string, range: Range): Range[] {
  return splitByPattern(text, range, /\n/g);
}

function sentenceRanges(text: string, range: Range): Range[] {
  const out: Range[] = [];
  for (const segment of sentenceSegmenter.segment(text.slice(range.start, range.end))) {
    const piece = trimRange(text, range.start + segment.index, range.start + segment.index + segment.segment.length);
    if (piece) out.push(piece);
  }
  return out;
}

function wordRanges(text: string, range: Range): Range[] {
  return splitByPattern(text, range, /\s+/g);
}

// Level 0 is the paragraph itself (already split); then lines, sentences, words.
const splitters: Splitter[] = [(_text, range) => [range], lineRanges, sentenceRanges, wordRanges];

/**
 * Makes every unit fit `budget`: a range too large is split at the next finer level (lines, sentences,
 * words). Pieces are not packed back here: the chunk packer does that, leaving room for the overlap.
 */
function splitToFit(text: string, ranges: readonly Range[], budget: number, level: number): Unit[] {
  const units: Unit[] = [];
  for (const range of ranges) {
    const tokens = estimateTokens(text.slice(range.start, range.end));
    if (tokens <= budget) {
      units.push({ ...range, tokens });
      continue;
    }
    const splitter = splitters[level];
    if (!splitter) {
      for (const unit of splitCharacters(text, range, budget)) units.push(unit);
      continue;
    }
    const pieces = splitter(text, range);
    if (pieces.length <= 1) {
      for (const unit of splitToFit(text, pieces.length === 1 ? pieces : [range], budget, level + 1)) units.push(unit);
      continue;
    }
    // A loop, not push(...): one paragraph can yield hundreds of thousands of units.
    for (const unit of splitToFit(text, pieces, budget, level + 1)) units.push(unit);
  }
  return units;
}

/** Last resort for a single "word" larger than a chunk (base64, hex dumps): fixed character windows. */
function splitCharacters(text: string, range: Range, budget: number): Unit[] {
  const out: Unit[] = [];
  let start = range.start;
  while (start < range.end) {
    let end = Math.min(range.end, start + budget * 4);
    while (end > start + 1 && estimateTokens(text.slice(start, end)) > budget) end = start + Math.floor((end - start) * 0.8);
    out.push({ start, end, tokens: estimateTokens(text.slice(start, end)) });
    start = end;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------

function headingLine(title: string | undefined, path: readonly string[]): string {
  const headings = path.map((heading) => heading.replace(/\s+/g, ' ').trim()).filter(Boolean);
  const withTitle = title && headings[0]?.toLowerCase() !== title.toLowerCase() ? [title, ...headings] : headings;
  return withTitle.join(headingSeparator);
}

function normaliseHeading(text: string): string {
  return text
    .replace(/^#+\s*/, '')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

function commonPrefix(paths: readonly (readonly string[])[]): string[] {
  const [first, ...rest] = paths;
  if (!first) return [];
  let length = first.length;
  for (const path of rest) {
    let i = 0;
    while (i < length && i < path.length && path[i] === first[i]) i++;
    length = i;
  }
  return first.slice(0, length);
}

function renderChunk(
  title: string | undefined,
  pieces: readonly Piece[],
): { text: string; sectionPath: string[]; contextLength: number } {
  const sectionPath = commonPrefix(pieces.map((piece) => piece.section.headingPath));
  const bodies = pieces.map((piece) => {
    const slice = piece.section.text.slice(piece.start, piece.end);
    const header = piece.header ? `${piece.section.text.slice(piece.header.start, piece.header.end)}\n` : '';
    const caption = piece.caption ? `${piece.caption.text.trim()}\n` : '';
    const subHeadings = pieces.length > 1 ? piece.section.headingPath.slice(sectionPath.length).join(headingSeparator) : '';
    return `${subHeadings ? `${subHeadings}\n` : ''}${caption}${header}${slice}`;
  });
  const body = bodies.join('\n\n');
  const context = headingLine(title, sectionPath);
  // A passage that already opens with its heading line (a PDF's first page starts with the title) needs no copy.
  const firstLine = body.slice(0, body.indexOf('\n') === -1 ? body.length : body.indexOf('\n'));
  const redundant = context !== '' && normaliseHeading(firstLine) === normaliseHeading(context);
  const prefix = context && !redundant ? `${context}\n\n` : '';
  return { text: prefix + body, sectionPath, contextLength: prefix.length };
}

function toDraft(ordinal: number, title: string | undefined, pieces: readonly Piece[]): ChunkDraft {
  const { text, sectionPath, contextLength } = renderChunk(title, pieces);
  const sourceSpans: ChunkSourceSpan[] = [];
  let pageStart: number | undefined;
  let pageEnd: number | undefined;
  for (const piece of pieces) {
    const sources: { section: LogicalSection; range: Range }[] = [];
    if (piece.caption)
      sources.push({
        section: piece.caption,
        range: { start: firstContent(piece.caption.text), end: lastContent(piece.caption.text) },
      });
    if (piece.header) sources.push({ section: piece.section, range: piece.header });
    sources.push({ section: piece.section, range: piece });
    for (const { section, range } of sources) {
      for (const part of section.parts) {
        const start = Math.max(range.start, part.offset);
        const end = Math.min(range.end, part.offset + part.length);
        if (start >= end) continue;
        sourceSpans.push({ section: part.section, start: start - part.offset, end: end - part.offset });
        // A caption is context: the page range cites where the rows are.
        if (part.pageStart !== undefined && section !== piece.caption) {
          pageStart = Math.min(pageStart ?? part.pageStart, part.pageStart);
          pageEnd = Math.max(pageEnd ?? part.pageStart, part.pageEnd ?? part.pageStart);
        }
      }
    }
  }
  return {
    ordinal,
    text,
    sectionPath,
    ...(pageStart === undefined ? {} : { pageStart, pageEnd: pageEnd ?? pageStart }),
    tokenCount: estimateTokens(text),
    contentHash: chunkContentHash(text),
    kind: pieces[0]?.section.kind ?? 'text',
    contextLength,
    overlapLength: pieces.length === 1 && pieces[0] && !pieces[0].header ? pieces[0].newStart - pieces[0].start : 0,
    sourceSpans,
  };
}
