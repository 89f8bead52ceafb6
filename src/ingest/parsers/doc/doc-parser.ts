import { type CompoundFile, readCompoundFile, summaryInformation } from '../ole/compound-file.ts';
import { corruptError, encryptedError, throwIfAborted } from '../parse-errors.ts';
import { buildDocument, isoDate, normalizeText, titleFromFileName } from '../parsed-document.ts';
import type { ParsedDocument, ParsedSection, ParseInput, Parser } from '../parser.ts';
import { tableSections } from '../table/render-table.ts';

/** Legacy Office metadata from the SummaryInformation property set, as document metadata. */
export function legacyMetadata(file: CompoundFile): { title?: string; metadata: Record<string, string | undefined> } {
  const summary = summaryInformation(file);
  return {
    ...(summary.title ? { title: summary.title } : {}),
    metadata: {
      author: summary.author,
      subject: summary.subject,
      keywords: summary.keywords,
      description: summary.comments,
      lastModifiedBy: summary.lastModifiedBy,
      created: isoDate(summary.created),
      modified: isoDate(summary.modified),
    },
  };
}

/**
 * Text of a Word body as word-extractor gives it (paragraphs on lines; table cells end with a tab, so a
 * row is a line of tab-terminated cells) into sections: runs of table rows become table sections.
 */
function bodySections(text: string, headingPath: readonly string[]): ParsedSection[] {
  const sections: ParsedSection[] = [];
  let paragraphs: string[] = [];
  let rows: string[][] = [];
  const flushText = () => {
    const joined = normalizeText(paragraphs.join('\n'));
    if (joined) sections.push({ headingPath, text: joined, kind: 'text' });
    paragraphs = [];
  };
  const flushRows = () => {
    if (rows.length > 0) sections.push(...tableSections(headingPath, rows));
    rows = [];
  };
  for (const line of text.split('\n')) {
    if (line.endsWith('\t') && line.includes('\t')) {
      flushText();
      rows.push(line.slice(0, -1).split('\t'));
    } else {
      flushRows();
      paragraphs.push(line);
    }
  }
  flushRows();
  flushText();
  return sections;
}

/**
 * Word 97–2003 documents (`.doc`) via word-extractor (pure JavaScript, reads the piece table, so fast-saved
 * and Unicode documents come out right, with deleted revisions left out): the body, text boxes, footnotes
 * and endnotes as sections; headers, footers and comments are not indexed (running headers repeat on every
 * page; comments are review remarks). Title, author, subject, keywords and dates from SummaryInformation.
 * The format has no reliable heading markup for this reader, so sections carry no heading path. Encrypted
 * documents (FIB fEncrypted) fail with `parse.encrypted`.
 */
export const docParser: Parser = {
  name: 'doc',
  mediaTypes: ['application/msword'],
  async parse(input: ParseInput): Promise<ParsedDocument> {
    const { fileName } = input;
    const file = await readCompoundFile(input.bytes, fileName, 'Word document');
    const word = file.stream('WordDocument');
    if (!word || word.length < 0x1a2 + 8) throw corruptError(fileName, 'Word document', new Error('no WordDocument stream'));
    const view = new DataView(word.buffer, word.byteOffset, word.byteLength);
    if (view.getUint16(0, true) !== 0xa5ec) throw corruptError(fileName, 'Word document', new Error('bad FIB signature'));
    if ((view.getUint16(0x0a, true) & 0x0100) !== 0) throw encryptedError(fileName, 'Word document');
    throwIfAborted(input.signal, fileName);
    const { default: WordExtractor } = await import('word-extractor');
    let extracted: Awaited<ReturnType<InstanceType<typeof WordExtractor>['extract']>>;
    try {
      extracted = await new WordExtractor().extract(
        Buffer.from(input.bytes.buffer, input.bytes.byteOffset, input.bytes.byteLength),
      );
    } catch (error) {
      throw corruptError(fileName, 'Word document', error);
    }
    const meta = legacyMetadata(file);
    const sections = bodySections(extracted.getBody(), []);
    const boxes = normalizeText(extracted.getTextboxes({ includeHeadersAndFooters: false, includeBody: true }));
    if (boxes) sections.push({ headingPath: ['Text boxes'], text: boxes, kind: 'text' });
    const notes = normalizeText([extracted.getFootnotes(), extracted.getEndnotes()].join('\n'));
    if (notes) sections.push({ headingPath: ['Footnotes'], text: notes, kind: 'text' });
    const firstLine = sections[0]?.text.split('\n')[0]?.trim();
    return buildDocument({
      title: meta.title || (firstLine && firstLine.length <= 120 ? firstLine : undefined) || titleFromFileName(fileName),
      mediaType: 'application/msword',
      sections,
      metadata: meta.metadata,
    });
  },
};
