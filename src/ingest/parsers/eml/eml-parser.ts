import iconv from 'iconv-lite';
import { htmlToSections } from '../html/html-to-sections.ts';
import { corruptError } from '../parse-errors.ts';
import {
  buildDocument,
  extensionOf,
  isoDate,
  normalizeText,
  oneLine,
  titleFromFileName,
  withoutControlCharacters,
} from '../parsed-document.ts';
import type { ChildDocument, ParsedDocument, ParsedSection, ParseInput, Parser, ParseWarning } from '../parser.ts';
import { decodeText } from '../text/decode-text.ts';

interface AddressLike {
  readonly text: string;
}

function addresses(value: AddressLike | AddressLike[] | undefined): string | undefined {
  if (!value) return undefined;
  const text = (Array.isArray(value) ? value : [value]).map((entry) => entry.text).join(', ');
  return text || undefined;
}

/** A file name that is safe as a child path segment. */
function safeName(name: string): string {
  return (
    withoutControlCharacters(name)
      .replace(/[\\/]+/g, '_')
      .replace(/^\.+/, '')
      .trim() || 'attachment'
  );
}

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Declares the charset of 8-bit text parts that do not declare one. mailparser reads an undeclared (or
 * "us-ascii") part as UTF-8, which turns Windows-1252 mail from old systems into replacement characters.
 * When the raw message is not valid UTF-8, the encoding is detected on the message (`decodeText`) and
 * written into every text part's Content-Type that lacks a charset (and into a missing top-level one).
 */
export function declareMissingCharsets(bytes: Uint8Array): { bytes: Uint8Array; warnings: ParseWarning[] } {
  try {
    fatalUtf8.decode(bytes);
    return { bytes, warnings: [] };
  } catch {
    // Not UTF-8: some part carries legacy 8-bit text.
  }
  const decoded = decodeText(bytes);
  if (decoded.encoding.startsWith('utf-')) return { bytes, warnings: [] };
  const charset = decoded.encoding;
  let raw = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  raw = raw.replace(/^Content-Type:[ \t]*text\/[\w.+-]+[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*/gim, (header) => {
    if (/charset\s*=\s*"?(us-)?ascii"?/i.test(header))
      return header.replace(/charset\s*=\s*"?(us-)?ascii"?/i, `charset="${charset}"`);
    return /charset\s*=/i.test(header) ? header : `${header}; charset="${charset}"`;
  });
  if (!/^Content-Type:/im.test(raw.slice(0, Math.max(0, raw.search(/\r?\n\r?\n/))))) {
    raw = `Content-Type: text/plain; charset="${charset}"\r\n${raw}`;
  }
  // Raw 8-bit message headers (a Subject or a sender name typed on an old system) are read as UTF-8 too:
  // transcode the top-level header block, unless it already is UTF-8 (a gateway may add UTF-8 headers).
  const headerEnd = raw.search(/\r?\n\r?\n/);
  const headerBlock = headerEnd < 0 ? raw : raw.slice(0, headerEnd);
  const rest = headerEnd < 0 ? '' : raw.slice(headerEnd);
  let headers = Buffer.from(headerBlock, 'latin1');
  try {
    fatalUtf8.decode(headers);
  } catch {
    headers = Buffer.from(iconv.decode(headers, charset), 'utf8');
  }
  return { bytes: new Uint8Array(Buffer.concat([headers, Buffer.from(rest, 'latin1')])), warnings: [...decoded.warnings] };
}

/**
 * E-mail (EML, RFC 822/MIME): From/To/Cc/Subject/Date become metadata and a header block at the top of the
 * body text, so a chunk can be cited with its sender and date; the HTML body is preferred (it keeps headings
 * and tables), else the text body; MIME charsets are decoded by mailparser. Attachments become
 * `children` (inline images of the HTML body are left out: logos and signatures are not documents).
 */
export const emlParser: Parser = {
  name: 'eml',
  mediaTypes: ['message/rfc822'],
  async parse(input: ParseInput): Promise<ParsedDocument> {
    const { simpleParser } = await import('mailparser');
    const declared = declareMissingCharsets(input.bytes);
    let mail: Awaited<ReturnType<typeof simpleParser>>;
    try {
      mail = await simpleParser(Buffer.from(declared.bytes.buffer, declared.bytes.byteOffset, declared.bytes.byteLength), {
        skipImageLinks: true,
        skipTextToHtml: true,
        skipTextLinks: true,
      });
    } catch (error) {
      throw corruptError(input.fileName, 'e-mail', error);
    }
    const from = mail.from?.text || undefined;
    const to = addresses(mail.to);
    const cc = addresses(mail.cc);
    const subject = mail.subject ? oneLine(mail.subject) : undefined;
    const date = isoDate(mail.date);
    const headerBlock = [
      from ? `From: ${from}` : '',
      to ? `To: ${to}` : '',
      cc ? `Cc: ${cc}` : '',
      subject ? `Subject: ${subject}` : '',
      date ? `Date: ${date}` : '',
    ]
      .filter(Boolean)
      .join('\n');
    const headingPath = subject ? [subject] : [];
    const sections: ParsedSection[] = [];
    // The HTML body keeps headings and tables; mailparser derives `text` from it when there is no text part.
    const html = typeof mail.html === 'string' ? htmlToSections(mail.html).sections : [];
    if (html.length > 0) {
      const [first, ...rest] = html;
      if (first && first.kind === 'text' && first.headingPath.length === 0) {
        sections.push({ headingPath, text: [headerBlock, first.text].filter(Boolean).join('\n\n'), kind: 'text' });
      } else {
        sections.push({ headingPath, text: headerBlock, kind: 'text' });
        if (first) rest.unshift(first);
      }
      for (const section of rest) sections.push({ ...section, headingPath: [...headingPath, ...section.headingPath] });
    } else {
      const text = typeof mail.text === 'string' ? normalizeText(mail.text) : '';
      sections.push({ headingPath, text: [headerBlock, text].filter(Boolean).join('\n\n'), kind: 'text' });
    }
    const children: ChildDocument[] = [];
    const used = new Set<string>();
    mail.attachments.forEach((attachment, index) => {
      if (attachment.related && attachment.contentType.startsWith('image/')) return;
      let name = safeName(
        attachment.filename ?? `attachment-${index + 1}${attachment.contentType === 'message/rfc822' ? '.eml' : ''}`,
      );
      // Two attachments with one name would collide as child paths.
      if (used.has(name)) {
        const extension = extensionOf(name);
        name = `${titleFromFileName(name)}-${index + 1}${extension ? `.${extension}` : ''}`;
      }
      used.add(name);
      children.push({
        name,
        path: `attachments/${name}`,
        bytes: new Uint8Array(attachment.content),
        mediaType: attachment.contentType,
      });
    });
    return buildDocument({
      title: subject || titleFromFileName(input.fileName),
      mediaType: 'message/rfc822',
      sections,
      metadata: {
        author: from,
        from,
        to,
        cc,
        subject,
        created: date,
        messageId: mail.messageId,
        attachments: children.map((child) => child.name),
      },
      children,
      warnings: declared.warnings,
    });
  },
};
