import { htmlToSections } from '../html/html-to-sections.ts';
import { coreProperties, readPackage } from '../ooxml/ooxml-package.ts';
import { corruptError, encryptedError } from '../parse-errors.ts';
import { buildDocument, titleFromFileName } from '../parsed-document.ts';
import type { ParsedDocument, ParseInput, Parser } from '../parser.ts';

const oleMagic = [0xd0, 0xcf, 0x11, 0xe0];

/** True for an OLE compound file: legacy Office formats, and password-protected OOXML (which is wrapped in one). */
export function isOleCompoundFile(bytes: Uint8Array): boolean {
  return oleMagic.every((byte, index) => bytes[index] === byte);
}

/**
 * Word documents (DOCX): mammoth converts the body to HTML (Word heading styles become `h1`…), which becomes
 * sections by headings, with tables as table sections. Title, author, subject and dates from the core properties.
 */
export const docxParser: Parser = {
  name: 'docx',
  mediaTypes: ['application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
  async parse(input: ParseInput): Promise<ParsedDocument> {
    if (isOleCompoundFile(input.bytes)) throw encryptedError(input.fileName, 'Word document');
    const parts = readPackage(input.bytes, input.fileName, input.limits.maxBytes * 4, (name) => name === 'docProps/core.xml');
    const { default: mammoth } = await import('mammoth');
    let html: string;
    try {
      const result = await mammoth.convertToHtml(
        { buffer: Buffer.from(input.bytes.buffer, input.bytes.byteOffset, input.bytes.byteLength) },
        // Images would be inlined as base64 data URIs: only their alt text (which mammoth adds) is wanted.
        { convertImage: mammoth.images.imgElement(async () => ({ src: '' })) },
      );
      html = result.value;
    } catch (error) {
      throw corruptError(input.fileName, 'Word document', error);
    }
    const core = coreProperties(parts);
    const body = htmlToSections(html);
    return buildDocument({
      title: core.title || body.title || titleFromFileName(input.fileName),
      mediaType: docxParser.mediaTypes[0] ?? '',
      sections: body.sections,
      metadata: core.metadata,
    });
  },
};
