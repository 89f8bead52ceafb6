import { readPackage } from '../ooxml/ooxml-package.ts';
import { corruptError, encryptedError, throwIfAborted } from '../parse-errors.ts';
import { buildDocument, isoDate, normalizeText, oneLine, titleFromFileName } from '../parsed-document.ts';
import type { ParsedDocument, ParsedMetadata, ParsedSection, ParseInput, Parser } from '../parser.ts';
import { tableSections } from '../table/render-table.ts';
import { elements, find, parseXml, type XmlElement, XmlError } from './xml-tree.ts';

const odt = 'application/vnd.oasis.opendocument.text';
const ods = 'application/vnd.oasis.opendocument.spreadsheet';
const odp = 'application/vnd.oasis.opendocument.presentation';

/** Elements whose text is not document content: tracked deletions, generated indexes, comments, shapes' alt text. */
const skippedElements = new Set([
  'text:tracked-changes',
  'text:table-of-content',
  'text:alphabetical-index',
  'text:illustration-index',
  'text:table-index',
  'text:object-index',
  'text:user-index',
  'text:bibliography',
  'office:annotation',
  'office:annotation-end',
  'text:note-citation',
  'svg:title',
  'svg:desc',
  'draw:page-thumbnail',
  'presentation:notes',
  'office:forms',
  'text:page-number',
  'text:page-count',
]);

/** Presentation frames that repeat on every slide rather than saying anything. */
const boilerplateFrames = new Set(['page-number', 'footer', 'date-time', 'header', 'page']);

/** Most times a repeated non-empty row or cell is written out (`table:number-rows-repeated` can say a million). */
const maxRepeat = 1000;
/** Columns beyond this are ignored (a spreadsheet has 16,384 at most). */
const maxColumns = 16_384;

/** The text of an inline run: spans, links, `text:s` (spaces), `text:tab`, `text:line-break`; notes collected apart. */
function inlineText(element: XmlElement, notes: string[]): string {
  let text = '';
  for (const child of element.children) {
    if (typeof child === 'string') {
      text += child;
      continue;
    }
    if (skippedElements.has(child.name)) continue;
    if (child.name === 'text:s') text += ' '.repeat(Math.min(100, Number(child.attributes['text:c'] ?? 1) || 1));
    else if (child.name === 'text:tab') text += '\t';
    else if (child.name === 'text:line-break') text += '\n';
    else if (child.name === 'text:note') {
      const body = find(child, 'text:note-body');
      if (body) notes.push(oneLine(blockTexts(body, notes).join(' ')));
    } else if (child.name === 'draw:frame' || child.name === 'draw:text-box' || child.name === 'draw:custom-shape') {
      // A text box anchored in a paragraph: its paragraphs follow the paragraph's own text.
      const boxed = blockTexts(child, notes).join('\n');
      if (boxed) text += `\n${boxed}\n`;
    } else text += inlineText(child, notes);
  }
  return text;
}

/** Paragraph texts of a block container (cells, list items, text boxes, note bodies), in order. */
function blockTexts(element: XmlElement, notes: string[]): string[] {
  const texts: string[] = [];
  for (const child of elements(element)) {
    if (skippedElements.has(child.name)) continue;
    if (child.name === 'text:p' || child.name === 'text:h') {
      const text = inlineText(child, notes).trim();
      if (text) texts.push(text);
    } else texts.push(...blockTexts(child, notes));
  }
  return texts;
}

/** Rows of cell texts of a `table:table`, with repeated rows and cells expanded (bounded) and empty rows dropped. */
function tableRows(table: XmlElement, notes: string[]): string[][] {
  const rows: string[][] = [];
  const visit = (container: XmlElement) => {
    for (const child of elements(container)) {
      if (child.name === 'table:table-row') {
        const cells: string[] = [];
        for (const cell of elements(child)) {
          if (cell.name !== 'table:table-cell' && cell.name !== 'table:covered-table-cell') continue;
          const repeat = Math.max(1, Number(cell.attributes['table:number-columns-repeated'] ?? 1) || 1);
          const text = cellText(cell, notes);
          if (text === '') {
            // Trailing empty cells are dropped below; never materialise a million of them.
            for (let index = 0; index < Math.min(repeat, maxColumns - cells.length); index++) cells.push('');
          } else for (let index = 0; index < Math.min(repeat, maxRepeat, maxColumns - cells.length); index++) cells.push(text);
          if (cells.length >= maxColumns) break;
        }
        while (cells.length > 0 && cells[cells.length - 1] === '') cells.pop();
        if (cells.length === 0) continue;
        const repeat = Math.min(maxRepeat, Math.max(1, Number(child.attributes['table:number-rows-repeated'] ?? 1) || 1));
        for (let index = 0; index < repeat; index++) rows.push(cells);
      } else if (
        child.name === 'table:table-header-rows' ||
        child.name === 'table:table-rows' ||
        child.name === 'table:table-row-group'
      ) {
        visit(child);
      }
    }
  };
  visit(table);
  return rows;
}

function cellText(cell: XmlElement, notes: string[]): string {
  const type = cell.attributes['office:value-type'];
  if (type === 'date') {
    const value = cell.attributes['office:date-value'] ?? '';
    if (/^\d{4}-\d{2}-\d{2}(T00:00:00(\.0+)?)?$/.test(value)) return value.slice(0, 10);
    const iso = isoDate(value);
    if (iso) return iso;
  }
  return oneLine(blockTexts(cell, notes).join(' '));
}

/** Sections of a text body (`office:text`, or a text box / notes page): headings by outline level, paragraphs, tables. */
function textBodySections(
  body: XmlElement,
  base: readonly string[],
  headingStyles: ReadonlyMap<string, number>,
  page?: number,
): { sections: ParsedSection[]; notes: string[] } {
  const sections: ParsedSection[] = [];
  const notes: string[] = [];
  const headings: string[] = [];
  let paragraphs: string[] = [];
  const pages = page === undefined ? {} : { pageStart: page, pageEnd: page };
  const path = () => [...base, ...headings];
  const flush = () => {
    const text = normalizeText(paragraphs.join('\n'));
    if (text) sections.push({ headingPath: path(), text, kind: 'text', ...pages });
    paragraphs = [];
  };
  const visit = (container: XmlElement, listDepth: number) => {
    for (const child of elements(container)) {
      if (skippedElements.has(child.name)) continue;
      const styledLevel = child.name === 'text:p' ? headingStyles.get(child.attributes['text:style-name'] ?? '') : undefined;
      if (child.name === 'text:h' || styledLevel !== undefined) {
        const heading = oneLine(inlineText(child, notes));
        if (!heading) continue;
        flush();
        const level = Math.min(9, Math.max(1, styledLevel ?? (Number(child.attributes['text:outline-level'] ?? 1) || 1)));
        headings.length = Math.min(headings.length, level - 1);
        headings.push(heading);
      } else if (child.name === 'text:p') {
        const text = inlineText(child, notes).trim();
        if (text) paragraphs.push(listDepth > 0 ? `- ${text}` : text);
      } else if (child.name === 'table:table') {
        flush();
        sections.push(...tableSections(path(), tableRows(child, notes), pages));
      } else if (child.name === 'text:list') {
        visit(child, listDepth + 1);
      } else visit(child, listDepth);
    }
  };
  visit(body, 0);
  flush();
  return { sections, notes };
}

/** Slides: the title frame as heading, other frames' text in document order, tables, speaker notes. */
function presentationSections(
  presentation: XmlElement,
  headingStyles: ReadonlyMap<string, number>,
): { sections: ParsedSection[]; pages: number } {
  const sections: ParsedSection[] = [];
  const slides = elements(presentation, 'draw:page');
  slides.forEach((slide, index) => {
    const page = index + 1;
    const frames = elements(slide).filter((frame) => !skippedElements.has(frame.name));
    const classOf = (frame: XmlElement) => frame.attributes['presentation:class'] ?? '';
    const titleFrame = frames.find((frame) => classOf(frame) === 'title');
    const title = titleFrame ? oneLine(blockTexts(titleFrame, []).join(' ')) : '';
    const headingPath = title ? [title] : [];
    for (const frame of frames) {
      if (frame === titleFrame || boilerplateFrames.has(classOf(frame))) continue;
      const body = textBodySections(frame, headingPath, headingStyles, page);
      sections.push(...body.sections);
    }
    if (title && !sections.some((section) => section.pageStart === page)) {
      sections.push({ headingPath: [], text: title, kind: 'text', pageStart: page, pageEnd: page });
    }
    const notesPage = find(slide, 'presentation:notes');
    if (notesPage) {
      const notes = normalizeText(
        elements(notesPage)
          .filter(
            (frame) =>
              !boilerplateFrames.has(frame.attributes['presentation:class'] ?? '') && frame.name !== 'draw:page-thumbnail',
          )
          .flatMap((frame) => blockTexts(frame, []))
          .join('\n'),
      );
      if (notes) sections.push({ headingPath, text: notes, kind: 'notes', pageStart: page, pageEnd: page });
    }
  });
  return { sections, pages: slides.length };
}

function metaProperties(xml: string | undefined): { title?: string; metadata: ParsedMetadata } {
  if (!xml) return { metadata: {} };
  let meta: XmlElement | undefined;
  try {
    meta = find(parseXml(xml), 'office:meta');
  } catch {
    return { metadata: {} };
  }
  if (!meta) return { metadata: {} };
  const value = (name: string) => {
    const element = find(meta, name);
    const text = element ? oneLine(element.children.filter((child) => typeof child === 'string').join('')) : '';
    return text || undefined;
  };
  const title = value('dc:title');
  return {
    ...(title ? { title } : {}),
    metadata: {
      author: value('meta:initial-creator') ?? value('dc:creator'),
      lastModifiedBy: value('dc:creator'),
      subject: value('dc:subject'),
      description: value('dc:description'),
      keywords: value('meta:keyword'),
      created: isoDate(value('meta:creation-date')),
      modified: isoDate(value('dc:date')),
    },
  };
}

const utf8 = new TextDecoder('utf-8');

/**
 * Paragraph styles that mean "heading N": Word documents converted by LibreOffice keep their headings as
 * paragraphs styled `Heading_20_N` (or an automatic style derived from one) rather than as `text:h`.
 */
function headingStylesOf(root: XmlElement): Map<string, number> {
  const levels = new Map<string, number>();
  const levelOf = (name: string | undefined) => {
    const match = /^Heading_20_(\d)$/.exec(name ?? '');
    return match ? Number(match[1]) : undefined;
  };
  for (let level = 1; level <= 9; level++) levels.set(`Heading_20_${level}`, level);
  const automatic = find(root, 'office:automatic-styles');
  for (const style of automatic ? elements(automatic, 'style:style') : []) {
    const name = style.attributes['style:name'];
    const outline = Number(style.attributes['style:default-outline-level'] ?? '');
    const level = levelOf(style.attributes['style:parent-style-name']) ?? (outline > 0 ? outline : undefined);
    if (name && level) levels.set(name, level);
  }
  return levels;
}

/**
 * OpenDocument (ODT, ODS, ODP — LibreOffice/OpenOffice, and what many public bodies archive in): the
 * package's `content.xml` read in memory (fflate, same size guard as OOXML). Text documents: headings by
 * outline level as heading paths, paragraphs, lists, tables as table sections, text boxes, footnotes at
 * the end; tracked deletions, comments and generated indexes are left out. Spreadsheets: one heading per
 * sheet, rows as `Header: value; …` (dates as ISO dates, repeated cells and rows expanded to a bound).
 * Presentations: one page per slide, the title frame as heading, speaker notes as `notes`. Title, author,
 * subject, keywords and dates from `meta.xml`. Encrypted packages fail with `parse.encrypted`.
 */
export const odfParser: Parser = {
  name: 'odf',
  mediaTypes: [odt, ods, odp],
  async parse(input: ParseInput): Promise<ParsedDocument> {
    const { fileName } = input;
    const mediaType = odfParser.mediaTypes.includes(input.mediaType ?? '') ? (input.mediaType ?? odt) : odt;
    const parts = readPackage(input.bytes, fileName, input.limits.maxBytes * 4, (name) =>
      ['content.xml', 'meta.xml', 'META-INF/manifest.xml'].includes(name),
    );
    const manifest = parts.get('META-INF/manifest.xml');
    if (manifest && utf8.decode(manifest).includes('encryption-data')) throw encryptedError(fileName, 'OpenDocument file');
    const content = parts.get('content.xml');
    if (!content) throw corruptError(fileName, 'OpenDocument file', new Error('content.xml is missing'));
    let root: XmlElement;
    try {
      root = parseXml(utf8.decode(content));
    } catch (error) {
      if (error instanceof XmlError) throw corruptError(fileName, 'OpenDocument file', error);
      throw error;
    }
    throwIfAborted(input.signal, fileName);
    const body = find(root, 'office:body');
    if (!body) throw corruptError(fileName, 'OpenDocument file', new Error('content.xml has no office:body'));
    const meta = metaProperties(parts.get('meta.xml') ? utf8.decode(parts.get('meta.xml')) : undefined);
    const headingStyles = headingStylesOf(root);
    let sections: ParsedSection[] = [];
    let pageCount: number | undefined;
    const sheets: string[] = [];
    const spreadsheet = find(body, 'office:spreadsheet');
    const presentation = find(body, 'office:presentation');
    if (spreadsheet) {
      for (const table of elements(spreadsheet, 'table:table')) {
        throwIfAborted(input.signal, fileName);
        const name = table.attributes['table:name'] ?? `Sheet ${sheets.length + 1}`;
        sheets.push(name);
        sections.push(...tableSections([name], tableRows(table, [])));
      }
    } else if (presentation) {
      const slides = presentationSections(presentation, headingStyles);
      sections = slides.sections;
      pageCount = slides.pages;
    } else {
      const text = find(body, 'office:text') ?? body;
      const parsed = textBodySections(text, [], headingStyles);
      sections = parsed.sections;
      if (parsed.notes.length > 0) sections.push({ headingPath: ['Footnotes'], text: parsed.notes.join('\n'), kind: 'text' });
    }
    const firstHeading = sections.find((section) => section.headingPath.length > 0)?.headingPath[0];
    return buildDocument({
      title: meta.title || (spreadsheet ? undefined : firstHeading) || titleFromFileName(fileName),
      mediaType,
      sections,
      ...(pageCount === undefined ? {} : { pageCount }),
      metadata: { ...meta.metadata, sheets: sheets.length > 0 ? sheets : undefined },
    });
  },
};
