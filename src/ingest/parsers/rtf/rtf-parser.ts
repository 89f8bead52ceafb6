import { corruptError, throwIfAborted } from '../parse-errors.ts';
import { buildDocument, isoDate, normalizeText, oneLine, titleFromFileName } from '../parsed-document.ts';
import type { ParsedDocument, ParsedSection, ParseInput, Parser } from '../parser.ts';
import { tableSections } from '../table/render-table.ts';
import { type RtfContent, RtfError, rtfToText } from './rtf-to-text.ts';

/** Sections of converted RTF: headings as heading paths, paragraphs as text, consecutive table rows as table sections. */
export function rtfSections(content: RtfContent, base: readonly string[] = []): ParsedSection[] {
  const sections: ParsedSection[] = [];
  const headings: string[] = [];
  let paragraphs: string[] = [];
  let rows: string[][] = [];
  const path = () => [...base, ...headings];
  const flushText = () => {
    const text = normalizeText(paragraphs.join('\n'));
    if (text) sections.push({ headingPath: path(), text, kind: 'text' });
    paragraphs = [];
  };
  const flushRows = () => {
    if (rows.length > 0) sections.push(...tableSections(path(), rows));
    rows = [];
  };
  for (const block of content.blocks) {
    if (block.type === 'row') {
      flushText();
      rows.push([...block.cells]);
      continue;
    }
    flushRows();
    if (block.headingLevel !== undefined && oneLine(block.text)) {
      flushText();
      headings.length = Math.min(headings.length, block.headingLevel - 1);
      headings.push(oneLine(block.text));
    } else paragraphs.push(block.text);
  }
  flushRows();
  flushText();
  if (content.notes.length > 0)
    sections.push({ headingPath: [...base, 'Footnotes'], text: content.notes.join('\n'), kind: 'text' });
  return sections;
}

/**
 * Rich Text Format (`.rtf`, what WordPad and many claim and policy systems export): converted by a small
 * built-in reader (`rtfToText`) — no dependency, synchronous, bounded by the input size. Headings (outline
 * levels or "heading N" styles) become heading paths, tables table sections, footnotes a section at the end;
 * `\'hh` bytes are decoded in the document's code page. Title, author, subject, keywords and dates from `\info`.
 */
export const rtfParser: Parser = {
  name: 'rtf',
  mediaTypes: ['application/rtf', 'text/rtf'],
  async parse(input: ParseInput): Promise<ParsedDocument> {
    throwIfAborted(input.signal, input.fileName);
    let content: RtfContent;
    try {
      content = rtfToText(input.bytes);
    } catch (error) {
      if (error instanceof RtfError) throw corruptError(input.fileName, 'RTF document', error);
      throw error;
    }
    const sections = rtfSections(content);
    const firstHeading = sections.find((section) => section.headingPath.length > 0)?.headingPath[0];
    return buildDocument({
      title: content.info.title || firstHeading || titleFromFileName(input.fileName),
      mediaType: 'application/rtf',
      sections,
      metadata: {
        author: content.info.author,
        subject: content.info.subject,
        keywords: content.info.keywords,
        company: content.info.company,
        created: isoDate(content.info.created),
        modified: isoDate(content.info.modified),
      },
      encoding: content.codePage,
    });
  },
};
