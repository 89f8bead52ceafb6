import { legacyMetadata } from '../doc/doc-parser.ts';
import { readCompoundFile } from '../ole/compound-file.ts';
import { corruptError, encryptedError, throwIfAborted } from '../parse-errors.ts';
import { buildDocument, normalizeText, oneLine, titleFromFileName } from '../parsed-document.ts';
import type { ParsedDocument, ParsedSection, ParseInput, Parser } from '../parser.ts';

/** Record types of [MS-PPT] that matter for text. */
const record = {
  slide: 0x03ee,
  notes: 0x03f0,
  notesAtom: 0x03f1,
  slidePersistAtom: 0x03f3,
  slideListWithText: 0x0ff0,
  textHeaderAtom: 0x0f9f,
  textCharsAtom: 0x0fa0,
  textBytesAtom: 0x0fa8,
  cryptSession: 0x2f14,
  mainMaster: 0x03f8,
} as const;

/** Text types (TextHeaderAtom): title and centred title become the slide heading; notes go to `notes`. */
const titleTypes = new Set([0, 6]);
const notesType = 2;

interface TextRun {
  readonly type: number;
  readonly text: string;
}

interface SlideText {
  readonly slideId: number | undefined;
  readonly runs: TextRun[];
}

/** Most records visited: a bound against crafted files whose record lengths make the walk loop forever. */
const maxRecords = 5_000_000;

/**
 * Walks the record tree of the `PowerPoint Document` stream without recursion. Containers (version 0xF)
 * are entered; text atoms are decoded (UTF-16LE or Latin-1) and attributed to the slide whose
 * SlidePersistAtom precedes them in the SlideListWithText (or to the Slide / Notes container they sit in).
 */
function walk(stream: Uint8Array, fileName: string) {
  const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  const listSlides: SlideText[] = [];
  const containerSlides: TextRun[][] = [];
  const notes: { slideId: number | undefined; runs: TextRun[] }[] = [];
  let encrypted = false;
  type Frame = { end: number; type: number; instance: number };
  const stack: Frame[] = [{ end: stream.length, type: -1, instance: 0 }];
  let at = 0;
  let pendingType = 1;
  let visited = 0;
  const inside = (type: number) => stack.some((frame) => frame.type === type);
  const listInstance = () => stack.find((frame) => frame.type === record.slideListWithText)?.instance;
  const add = (run: TextRun) => {
    if (!run.text.trim() || run.text.trim() === '*') return;
    if (inside(record.mainMaster)) return;
    if (listInstance() === 0) listSlides[listSlides.length - 1]?.runs.push(run);
    else if (inside(record.notes)) notes[notes.length - 1]?.runs.push(run);
    else if (inside(record.slide)) containerSlides[containerSlides.length - 1]?.push(run);
  };
  while (stack.length > 0) {
    const frame = stack[stack.length - 1] as Frame;
    if (at + 8 > frame.end) {
      at = frame.end;
      stack.pop();
      continue;
    }
    if (++visited > maxRecords) throw corruptError(fileName, 'presentation', new Error('too many records'));
    const versionInstance = view.getUint16(at, true);
    const type = view.getUint16(at + 2, true);
    const length = view.getUint32(at + 4, true);
    const bodyStart = at + 8;
    const bodyEnd = Math.min(frame.end, bodyStart + length);
    const version = versionInstance & 0x0f;
    const instance = versionInstance >> 4;
    if (type === record.cryptSession) encrypted = true;
    if (version === 0x0f) {
      if (type === record.slide) containerSlides.push([]);
      if (type === record.notes) notes.push({ slideId: undefined, runs: [] });
      stack.push({ end: bodyEnd, type, instance });
      at = bodyStart;
      continue;
    }
    if (type === record.slidePersistAtom && listInstance() === 0 && bodyEnd - bodyStart >= 16) {
      listSlides.push({ slideId: view.getUint32(bodyStart + 12, true), runs: [] });
    } else if (type === record.notesAtom && bodyEnd - bodyStart >= 4) {
      const current = notes[notes.length - 1];
      if (current) current.slideId = view.getUint32(bodyStart, true);
    } else if (type === record.textHeaderAtom && bodyEnd - bodyStart >= 4) {
      pendingType = view.getUint32(bodyStart, true);
    } else if (type === record.textCharsAtom) {
      add({
        type: pendingType,
        text: Buffer.from(stream.subarray(bodyStart, bodyEnd - ((bodyEnd - bodyStart) % 2))).toString('utf16le'),
      });
    } else if (type === record.textBytesAtom) {
      add({ type: pendingType, text: Buffer.from(stream.subarray(bodyStart, bodyEnd)).toString('latin1') });
    }
    at = bodyEnd;
  }
  return { listSlides, containerSlides, notes, encrypted };
}

/** PowerPoint text: `\r` ends a paragraph, `\v` is a line break inside one. */
function pptText(text: string): string {
  return normalizeText(text.replace(/\r/g, '\n').replaceAll('\v', '\n'));
}

/**
 * PowerPoint 97–2003 presentations (`.ppt`): a small reader over the `PowerPoint Document` stream (cfb for
 * the container; no maintained npm parser exists). Slides come from the SlideListWithText in presentation
 * order — title placeholders as the slide heading, body text after — falling back to the text boxes of the
 * Slide containers when a file keeps its text only there; speaker notes become `notes` sections on their
 * slide's page. Title, author and dates from SummaryInformation. Encrypted presentations fail with
 * `parse.encrypted`. Not read: text in tables and grouped shapes outside text atoms, embedded objects.
 */
export const pptParser: Parser = {
  name: 'ppt',
  mediaTypes: ['application/vnd.ms-powerpoint'],
  async parse(input: ParseInput): Promise<ParsedDocument> {
    const { fileName } = input;
    const file = await readCompoundFile(input.bytes, fileName, 'presentation');
    if (file.stream('EncryptedSummary')) throw encryptedError(fileName, 'presentation');
    const stream = file.stream('PowerPoint Document');
    if (!stream) throw corruptError(fileName, 'presentation', new Error('no PowerPoint Document stream'));
    throwIfAborted(input.signal, fileName);
    const { listSlides, containerSlides, notes, encrypted } = walk(stream, fileName);
    if (encrypted) throw encryptedError(fileName, 'presentation');
    const useList = listSlides.some((slide) => slide.runs.length > 0);
    // Files that keep their text in the Slide containers still list their slides (with ids) in order.
    const slides: SlideText[] = useList
      ? listSlides
      : containerSlides.map((runs, index) => ({ slideId: listSlides[index]?.slideId, runs }));
    const sections: ParsedSection[] = [];
    slides.forEach((slide, index) => {
      const page = index + 1;
      const title = slide.runs.find((run) => titleTypes.has(run.type));
      const heading = title ? oneLine(pptText(title.text)) : '';
      const headingPath = heading ? [heading] : [];
      const body = pptText(
        slide.runs
          // A slide-number placeholder's text is the slide's own number.
          .filter((run) => run !== title && run.type !== notesType && run.text.trim() !== String(page))
          .map((run) => run.text)
          .join('\n'),
      );
      if (body) sections.push({ headingPath, text: body, kind: 'text', pageStart: page, pageEnd: page });
      else if (heading) sections.push({ headingPath: [], text: heading, kind: 'text', pageStart: page, pageEnd: page });
      const slideNotes = notes.filter((entry) => entry.slideId !== undefined && entry.slideId === slide.slideId);
      const notesText = pptText(slideNotes.flatMap((entry) => entry.runs.map((run) => run.text)).join('\n'));
      if (notesText) sections.push({ headingPath, text: notesText, kind: 'notes', pageStart: page, pageEnd: page });
    });
    const meta = legacyMetadata(file);
    const firstHeading = sections.find((section) => section.headingPath.length > 0)?.headingPath[0];
    return buildDocument({
      title: meta.title || firstHeading || titleFromFileName(fileName),
      mediaType: 'application/vnd.ms-powerpoint',
      sections,
      pageCount: slides.length,
      metadata: meta.metadata,
    });
  },
};
