import { isOleCompoundFile } from '../docx/docx-parser.ts';
import { coreProperties, decodeXmlEntities, partText, readPackage, relationships } from '../ooxml/ooxml-package.ts';
import { corruptError, encryptedError, throwIfAborted } from '../parse-errors.ts';
import { buildDocument, normalizeText, oneLine, titleFromFileName } from '../parsed-document.ts';
import type { ParsedDocument, ParsedSection, ParseInput, Parser } from '../parser.ts';
import { tableSections } from '../table/render-table.ts';

/** Paragraph texts of a DrawingML fragment: `<a:t>` runs joined per `<a:p>`, `<a:br/>` as line breaks. */
function paragraphs(xml: string): string[] {
  const result: string[] = [];
  for (const paragraph of xml.matchAll(/<a:p>([\s\S]*?)<\/a:p>|<a:p\s[^>]*>([\s\S]*?)<\/a:p>/g)) {
    const body = paragraph[1] ?? paragraph[2] ?? '';
    const text = Array.from(body.matchAll(/<a:t>([\s\S]*?)<\/a:t>|<a:br\s*\/>/g), (run) =>
      run[0].startsWith('<a:br') ? '\n' : decodeXmlEntities(run[1] ?? ''),
    ).join('');
    if (text.trim()) result.push(text);
  }
  return result;
}

interface Shape {
  readonly placeholder: string | undefined;
  readonly paragraphs: string[];
  /** Rows of cell texts when the shape is a table (`a:tbl`). */
  readonly table?: string[][];
}

function tableRows(xml: string): string[][] {
  return Array.from(xml.matchAll(/<a:tr\b[\s\S]*?<\/a:tr>/g), (row) =>
    Array.from(row[0].matchAll(/<a:tc\b[\s\S]*?<\/a:tc>/g), (cell) => paragraphs(cell[0]).join(' ')),
  );
}

/** Shapes (`p:sp`) and graphic frames (tables) of a slide in document order. */
function shapes(xml: string): Shape[] {
  const result: Shape[] = [];
  for (const match of xml.matchAll(/<p:(sp|graphicFrame)\b[\s\S]*?<\/p:\1>/g)) {
    const shape = match[0];
    const placeholder = /<p:ph\b[^>]*\btype="([^"]+)"/.exec(shape)?.[1];
    if (shape.includes('<a:tbl>')) result.push({ placeholder, paragraphs: [], table: tableRows(shape) });
    else result.push({ placeholder, paragraphs: paragraphs(shape) });
  }
  return result;
}

const titlePlaceholders = new Set(['title', 'ctrTitle']);
const skippedPlaceholders = new Set(['sldNum', 'dt', 'ftr', 'hdr']);

/**
 * Presentations (PPTX): slides in presentation order, each a page; the title placeholder becomes the
 * section heading, other text follows in shape order, tables become table sections, speaker notes are a
 * `notes` section on the same page.
 */
export const pptxParser: Parser = {
  name: 'pptx',
  mediaTypes: ['application/vnd.openxmlformats-officedocument.presentationml.presentation'],
  async parse(input: ParseInput): Promise<ParsedDocument> {
    if (isOleCompoundFile(input.bytes)) throw encryptedError(input.fileName, 'presentation');
    const parts = readPackage(
      input.bytes,
      input.fileName,
      input.limits.maxBytes * 4,
      (name) => name.endsWith('.xml') || name.endsWith('.rels'),
    );
    const presentation = partText(parts, 'ppt/presentation.xml');
    if (!presentation) throw corruptError(input.fileName, 'presentation (no ppt/presentation.xml)');
    const presentationRels = relationships(partText(parts, 'ppt/_rels/presentation.xml.rels'), 'ppt');
    const slidePaths: string[] = [];
    for (const match of presentation.matchAll(/<p:sldId\b[^>]*\br:id="([^"]+)"/g)) {
      const target = presentationRels.get(match[1] ?? '')?.target;
      if (target && parts.has(target)) slidePaths.push(target);
    }
    const sections: ParsedSection[] = [];
    let firstSlideTitle: string | undefined;
    slidePaths.forEach((slidePath, index) => {
      throwIfAborted(input.signal, input.fileName);
      const page = index + 1;
      const xml = partText(parts, slidePath) ?? '';
      const slideShapes = shapes(xml);
      const title = oneLine(
        slideShapes.find((shape) => titlePlaceholders.has(shape.placeholder ?? ''))?.paragraphs.join(' ') ?? '',
      );
      if (page === 1 && title) firstSlideTitle = title;
      const body = slideShapes
        .filter((shape) => !titlePlaceholders.has(shape.placeholder ?? '') && !skippedPlaceholders.has(shape.placeholder ?? ''))
        .map((shape) => shape.paragraphs.join('\n'))
        .join('\n');
      const headingPath = [title || `Slide ${page}`];
      const tables = slideShapes.filter((shape) => shape.table && shape.table.length > 0);
      const text = normalizeText(body) || (tables.length > 0 ? '' : title);
      if (text) sections.push({ headingPath, text, kind: 'text', pageStart: page, pageEnd: page });
      for (const shape of tables)
        sections.push(...tableSections(headingPath, shape.table ?? [], { pageStart: page, pageEnd: page }));
      const slideDir = slidePath.slice(0, slidePath.lastIndexOf('/'));
      const slideName = slidePath.slice(slidePath.lastIndexOf('/') + 1);
      const rels = relationships(partText(parts, `${slideDir}/_rels/${slideName}.rels`), slideDir);
      const notesPath = [...rels.values()].find((rel) => rel.type.endsWith('/notesSlide'))?.target;
      const notesXml = notesPath ? partText(parts, notesPath) : undefined;
      if (notesXml) {
        const notes = normalizeText(
          shapes(notesXml)
            .filter((shape) => shape.placeholder === 'body' || shape.placeholder === undefined)
            .map((shape) => shape.paragraphs.join('\n'))
            .join('\n'),
        );
        if (notes) sections.push({ headingPath, text: notes, kind: 'notes', pageStart: page, pageEnd: page });
      }
    });
    const core = coreProperties(parts);
    return buildDocument({
      title: core.title || firstSlideTitle || titleFromFileName(input.fileName),
      mediaType: pptxParser.mediaTypes[0] ?? '',
      sections,
      pageCount: slidePaths.length,
      metadata: core.metadata,
    });
  },
};
