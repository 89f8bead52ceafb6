import type { FieldsData } from '@kenjiuno/msgreader';
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
import { rtfSections } from '../rtf/rtf-parser.ts';
import { rtfToText } from '../rtf/rtf-to-text.ts';
import { decodeText } from '../text/decode-text.ts';

type MsgReaderClass = typeof import('@kenjiuno/msgreader').default;

async function loadMsgReader(): Promise<MsgReaderClass> {
  const module = await import('@kenjiuno/msgreader');
  // A CommonJS module compiled from TypeScript: its class is `exports.default`.
  const exported = module.default as MsgReaderClass | { default: MsgReaderClass };
  return 'default' in exported ? exported.default : exported;
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

/** `Name <address>`: the SMTP address when Outlook stored one (Exchange senders otherwise carry an X.500 DN). */
function person(name: string | undefined, smtp: string | undefined, email: string | undefined): string | undefined {
  const address = smtp || (email?.includes('@') ? email : undefined);
  const display = name ? oneLine(name) : undefined;
  if (display && address && display !== address) return `${display} <${address}>`;
  return display || address || undefined;
}

function recipients(fields: FieldsData, type: 'to' | 'cc'): string | undefined {
  const list = (fields.recipients ?? [])
    .filter((recipient) => (recipient.recipType ?? 'to') === type)
    .map((recipient) => person(recipient.name, recipient.smtpAddress, recipient.email))
    .filter((value): value is string => Boolean(value));
  return list.length > 0 ? list.join(', ') : undefined;
}

/** The message body as sections: HTML (keeps headings and tables) first, then plain text, then RTF. */
async function bodySections(
  fields: FieldsData,
  headingPath: readonly string[],
  warnings: ParseWarning[],
): Promise<ParsedSection[]> {
  const html =
    fields.bodyHtml ??
    (fields.html && fields.html.length > 0
      ? decodeText(fields.html, fields.internetCodepage === 65001 ? { declaredEncoding: 'utf-8' } : {}).text
      : undefined);
  if (html) {
    const sections = htmlToSections(html).sections;
    if (sections.length > 0)
      return sections.map((section) => ({ ...section, headingPath: [...headingPath, ...section.headingPath] }));
  }
  if (fields.body?.trim()) return [{ headingPath, text: normalizeText(fields.body), kind: 'text' }];
  if (fields.compressedRtf && fields.compressedRtf.length > 0) {
    try {
      const { decompressRTF } = await import('@kenjiuno/decompressrtf');
      const rtf = new Uint8Array(decompressRTF([...fields.compressedRtf]));
      return rtfSections(rtfToText(rtf), headingPath);
    } catch {
      warnings.push({
        code: 'msg.body_unreadable',
        message: 'The RTF body could not be decompressed; only the headers were indexed.',
      });
    }
  }
  return [];
}

/**
 * Outlook messages (`.msg`, OLE2 with MAPI properties) via @kenjiuno/msgreader: like an EML, sender,
 * recipients, subject and date become metadata and a header block at the top of the body; the body is
 * the HTML one (headings, tables) when stored, else the plain text, else the compressed RTF (converted by
 * the RTF reader). Attachments become children (`attachments/<name>`); hidden inline images are left out;
 * attached Outlook items become `.msg` children of their own — as long as the nesting stays within
 * `ingest.zip.maxDepth`, beyond which they are skipped with a warning.
 */
export const msgParser: Parser = {
  name: 'msg',
  mediaTypes: ['application/vnd.ms-outlook'],
  async parse(input: ParseInput): Promise<ParsedDocument> {
    const { fileName, limits } = input;
    const depth = input.depth ?? 0;
    const MsgReader = await loadMsgReader();
    const bytes = input.bytes;
    let reader: InstanceType<MsgReaderClass>;
    let fields: FieldsData;
    try {
      reader = new MsgReader(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
      fields = reader.getFileData();
    } catch (error) {
      throw corruptError(fileName, 'Outlook message', error);
    }
    const failure = (fields as { error?: unknown }).error;
    if (failure) throw corruptError(fileName, 'Outlook message', new Error(String(failure)));
    const warnings: ParseWarning[] = [];
    const from = person(fields.senderName, fields.senderSmtpAddress, fields.senderEmail);
    const to = recipients(fields, 'to');
    const cc = recipients(fields, 'cc');
    const subject = fields.subject ? oneLine(fields.subject) : undefined;
    const date = isoDate(fields.clientSubmitTime ?? fields.messageDeliveryTime ?? fields.creationTime);
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
    const body = await bodySections(fields, headingPath, warnings);
    const sections: ParsedSection[] = [];
    const [first, ...rest] = body;
    if (first && first.kind === 'text' && first.headingPath.length === headingPath.length) {
      sections.push({ ...first, text: [headerBlock, first.text].filter(Boolean).join('\n\n') });
    } else {
      sections.push({ headingPath, text: headerBlock, kind: 'text' });
      if (first) rest.unshift(first);
    }
    sections.push(...rest);

    const children: ChildDocument[] = [];
    const used = new Set<string>();
    (fields.attachments ?? []).forEach((attachment, index) => {
      const mime = attachment.attachMimeTag ?? '';
      if (attachment.attachmentHidden && mime.startsWith('image/')) return;
      const embedded = attachment.innerMsgContent === true;
      if (embedded && depth >= limits.zip.maxDepth) {
        warnings.push({
          code: 'zip.member_skipped',
          message: `Attached message ${attachment.name ?? index + 1}: nested deeper than ingest.zip.maxDepth (${limits.zip.maxDepth}); skipped.`,
        });
        return;
      }
      if ((attachment.contentLength ?? 0) > limits.maxBytes) {
        warnings.push({
          code: 'zip.member_skipped',
          message: `Attachment ${attachment.fileName ?? index + 1}: ${attachment.contentLength} bytes exceeds ingest.maxFileBytes; skipped.`,
        });
        return;
      }
      let content: { fileName: string; content: Uint8Array };
      try {
        content = reader.getAttachment(attachment);
      } catch (error) {
        warnings.push({
          code: 'msg.attachment_unreadable',
          message: `Attachment ${attachment.fileName ?? index + 1} could not be read (${error instanceof Error ? error.message : String(error)}); skipped.`,
        });
        return;
      }
      let name = safeName(
        content.fileName || attachment.fileName || attachment.fileNameShort || `attachment-${index + 1}${embedded ? '.msg' : ''}`,
      );
      if (used.has(name)) {
        const extension = extensionOf(name);
        name = `${titleFromFileName(name)}-${index + 1}${extension ? `.${extension}` : ''}`;
      }
      used.add(name);
      children.push({
        name,
        path: `attachments/${name}`,
        bytes: new Uint8Array(content.content),
        ...(embedded ? { mediaType: 'application/vnd.ms-outlook' } : mime ? { mediaType: mime } : {}),
      });
    });
    return buildDocument({
      title: subject || titleFromFileName(fileName),
      mediaType: 'application/vnd.ms-outlook',
      sections,
      metadata: {
        author: from,
        from,
        to,
        cc,
        subject,
        created: date,
        messageId: fields.messageId,
        messageClass: fields.messageClass,
        attachments: children.map((child) => child.name),
      },
      children,
      warnings,
    });
  },
};
