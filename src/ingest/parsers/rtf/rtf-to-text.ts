import iconv from 'iconv-lite';

/** One paragraph of an RTF document, or a table row. */
export type RtfBlock =
  | { readonly type: 'paragraph'; readonly text: string; readonly headingLevel?: number }
  | { readonly type: 'row'; readonly cells: readonly string[] };

export interface RtfContent {
  readonly blocks: readonly RtfBlock[];
  /** Footnote and endnote texts, in order. */
  readonly notes: readonly string[];
  /** From the `\info` group: title, author, subject, keywords, operator, and creation/revision times (ISO). */
  readonly info: Readonly<Record<string, string>>;
  /** The code page `\'hh` bytes were decoded from (`\ansicpg`, else Windows-1252). */
  readonly codePage: string;
  /** True when the RTF encapsulates HTML (`\fromhtml`, as Outlook writes message bodies). */
  readonly fromHtml: boolean;
}

/** Thrown for input that is not RTF at all. */
export class RtfError extends Error {}

/** Destinations whose content is not document text (font and style tables, pictures, objects, fields' code …). */
const skippedDestinations = new Set([
  'fonttbl',
  'colortbl',
  'stylesheet',
  'listtable',
  'listoverridetable',
  'revtbl',
  'rsidtbl',
  'generator',
  'pict',
  'object',
  'objdata',
  'fldinst',
  'datafield',
  'themedata',
  'colorschememapping',
  'datastore',
  'latentstyles',
  'xmlnstbl',
  'mmathPr',
  'pgdsctbl',
  'filetbl',
  'header',
  'headerl',
  'headerr',
  'headerf',
  'footer',
  'footerl',
  'footerr',
  'footerf',
  'bkmkstart',
  'bkmkend',
  'shpinst',
  'nonshppict',
  'userprops',
  'docvar',
  'annotation',
  'atnid',
  'atnauthor',
  'xe',
  'tc',
]);
const infoFields = new Set(['title', 'subject', 'author', 'keywords', 'operator', 'company', 'doccomm', 'category', 'manager']);

/** Windows code pages of the RTF font charsets (`\fcharsetN`). */
const charsetCodePages: Readonly<Record<number, string>> = {
  77: 'macintosh',
  128: 'cp932',
  129: 'cp949',
  134: 'cp936',
  136: 'cp950',
  161: 'cp1253',
  162: 'cp1254',
  163: 'cp1258',
  177: 'cp1255',
  178: 'cp1256',
  186: 'cp1257',
  204: 'cp1251',
  222: 'cp874',
  238: 'cp1250',
  255: 'cp437',
};

interface GroupState {
  /** Text of this group is dropped (a skipped destination or a `\*` destination we do not know). */
  skip: boolean;
  /** Characters to drop after each `\uN` (`\ucN`, default 1). */
  uc: number;
  font: number | undefined;
  /** Set for the groups whose text we collect separately: `info` fields, footnotes, the font table. */
  destination: string | undefined;
  /** Inside `\htmlrtf` … `\htmlrtf0` (RTF-only text that encapsulated HTML hides). */
  htmlRtf: boolean;
}

const latin1 = new TextDecoder('latin1');

function codePageOf(number: number): string {
  if (number === 65001) return 'utf-8';
  if (number === 10000) return 'macintosh';
  return `cp${number}`;
}

/**
 * Converts RTF to paragraphs and table rows. Handles groups and destinations (font, colour and style tables,
 * pictures, objects, headers/footers and field instructions are skipped; field results kept), `\uN` with
 * its `\ucN` fallback, `\'hh` bytes in the document's `\ansicpg` code page or the current font's charset
 * (decoded together, so double-byte code pages work), `\binN` data, `\par`/`\line`/`\tab`, table cells and
 * rows (`\cell`, `\row`), headings from `\outlinelevelN` or a stylesheet style named "heading N", footnotes,
 * the `\info` group, and HTML encapsulated in RTF (`\htmlrtf` text left out). Iterative: deeply nested
 * groups cannot overflow the stack.
 */
export function rtfToText(bytes: Uint8Array): RtfContent {
  const source = latin1.decode(bytes);
  if (!source.startsWith('{\\rtf')) throw new RtfError('the file does not start with {\\rtf');
  const blocks: RtfBlock[] = [];
  const notes: string[] = [];
  const info: Record<string, string> = {};
  const fontCodePages = new Map<number, string>();
  const headingStyles = new Map<number, number>();
  let codePage = 'cp1252';
  let fromHtml = false;
  let state: GroupState = { skip: false, uc: 1, font: undefined, destination: undefined, htmlRtf: false };
  const stack: GroupState[] = [];
  // Text being collected: the body paragraph, or a destination's own buffer.
  let paragraph = '';
  let destinationText = '';
  let pendingBytes: number[] = [];
  let skipChars = 0;
  let paragraphLevel: number | undefined;
  let paragraphStyle: number | undefined;
  let inTable = false;
  let cells: string[] = [];
  let fontNumber: number | undefined;
  let fontCharset: number | undefined;
  let styleNumber: number | undefined;
  let creation: Record<string, number> | undefined;

  const currentCodePage = () => (state.font !== undefined ? fontCodePages.get(state.font) : undefined) ?? codePage;
  const emit = (text: string) => {
    if (state.skip || state.htmlRtf) return;
    if (state.destination) destinationText += text;
    else paragraph += text;
  };
  const flushBytes = () => {
    if (pendingBytes.length === 0) return;
    const bytesToDecode = Buffer.from(pendingBytes);
    pendingBytes = [];
    const page = currentCodePage();
    emit(iconv.encodingExists(page) ? iconv.decode(bytesToDecode, page) : latin1.decode(bytesToDecode));
  };
  const endParagraph = () => {
    flushBytes();
    const text = paragraph.replace(/[ \t]+$/g, '');
    paragraph = '';
    if (inTable) {
      // Paragraph marks inside a cell separate lines of that cell.
      if (text) paragraph = `${text} `;
      return;
    }
    const level = paragraphLevel ?? (paragraphStyle !== undefined ? headingStyles.get(paragraphStyle) : undefined);
    blocks.push(level !== undefined ? { type: 'paragraph', text, headingLevel: level } : { type: 'paragraph', text });
  };

  const closeGroup = () => {
    flushBytes();
    const closing = state;
    const parent = stack.pop();
    if (!parent) return false;
    if (closing.destination && closing.destination !== parent.destination) {
      const text = destinationText.replace(/\s+/g, ' ').trim();
      destinationText = '';
      if (closing.destination === 'fontentry') {
        const page = fontCharset === undefined ? undefined : charsetCodePages[fontCharset];
        if (fontNumber !== undefined && page) fontCodePages.set(fontNumber, page);
      } else if (closing.destination === 'styleentry') {
        const match = /^heading (\d)/i.exec(text);
        if (styleNumber !== undefined && match) headingStyles.set(styleNumber, Number(match[1]));
      } else if (closing.destination === 'footnote') {
        if (text) notes.push(text);
      } else if (infoFields.has(closing.destination)) {
        if (text) info[closing.destination] = text;
      } else if ((closing.destination === 'creatim' || closing.destination === 'revtim') && creation) {
        const { yr, mo = 1, dy = 1, hr = 0, min = 0 } = creation;
        if (yr)
          info[closing.destination === 'creatim' ? 'created' : 'modified'] = new Date(
            Date.UTC(yr, mo - 1, dy, hr, min),
          ).toISOString();
        creation = undefined;
      }
    }
    state = parent;
    return true;
  };

  let at = source.indexOf('{');
  const length = source.length;
  let ignorableNext = false;
  while (at < length) {
    const char = source[at] ?? '';
    if (char === '{') {
      flushBytes();
      stack.push(state);
      state = { ...state };
      at++;
      continue;
    }
    if (char === '}') {
      if (!closeGroup()) break;
      at++;
      continue;
    }
    if (char === '\r' || char === '\n') {
      at++;
      continue;
    }
    if (char !== '\\') {
      if (skipChars > 0) {
        skipChars--;
        at++;
        continue;
      }
      const code = char.charCodeAt(0);
      if (code >= 0x80) pendingBytes.push(code);
      else {
        flushBytes();
        emit(char);
      }
      at++;
      continue;
    }
    // A control word or symbol.
    const next = source[at + 1] ?? '';
    if (next === "'") {
      const hex = source.slice(at + 2, at + 4);
      at += 4;
      if (skipChars > 0) {
        skipChars--;
        continue;
      }
      const value = Number.parseInt(hex, 16);
      if (Number.isFinite(value) && !state.skip) pendingBytes.push(value);
      continue;
    }
    if (!/[a-zA-Z]/.test(next)) {
      at += 2;
      if (skipChars > 0 && next !== '*') {
        skipChars--;
        continue;
      }
      if (next === '*') ignorableNext = true;
      else if (next === '\\' || next === '{' || next === '}') {
        flushBytes();
        emit(next);
      } else if (next === '~') emit('\u00a0');
      else if (next === '_') emit('\u2011');
      else if (next === '\n' || next === '\r') endParagraph();
      else if (next === 'u' || next === '-') {
        // optional hyphen: nothing
      }
      continue;
    }
    const match = /^([a-zA-Z]{1,32})(-?\d{1,10})? ?/.exec(source.slice(at + 1, at + 48));
    if (!match) {
      at++;
      continue;
    }
    const word = match[1] ?? '';
    const parameter = match[2] === undefined ? undefined : Number(match[2]);
    at += 1 + match[0].length;
    if (word === 'bin' && parameter !== undefined) {
      // Raw binary data of `parameter` bytes (inside \pict or \objdata).
      at += Math.max(0, parameter);
      continue;
    }
    if (skipChars > 0) {
      skipChars--;
      continue;
    }
    const ignorable = ignorableNext;
    ignorableNext = false;
    flushBytes();
    switch (word) {
      case 'ansicpg':
        if (parameter !== undefined && parameter > 0) codePage = codePageOf(parameter);
        continue;
      case 'mac':
        codePage = 'macintosh';
        continue;
      case 'pc':
        codePage = 'cp437';
        continue;
      case 'pca':
        codePage = 'cp850';
        continue;
      case 'fromhtml':
        fromHtml = true;
        continue;
      case 'htmlrtf':
        state.htmlRtf = parameter !== 0;
        continue;
      case 'uc':
        state.uc = Math.max(0, parameter ?? 1);
        continue;
      case 'u': {
        if (parameter !== undefined) emit(String.fromCharCode(parameter < 0 ? parameter + 65536 : parameter));
        skipChars = state.uc;
        continue;
      }
      case 'f':
        if (state.destination === 'fontentry' || state.destination === 'fonttbl') {
          fontNumber = parameter;
          fontCharset = undefined;
          if (state.destination === 'fonttbl') state.destination = 'fontentry';
        } else state.font = parameter;
        continue;
      case 'fcharset':
        fontCharset = parameter;
        continue;
      case 's':
        if (state.destination === 'stylesheet' || state.destination === 'styleentry') {
          styleNumber = parameter;
          state.destination = 'styleentry';
        } else paragraphStyle = parameter;
        continue;
      case 'outlinelevel':
        if (!state.destination && parameter !== undefined && parameter >= 0 && parameter < 9) paragraphLevel = parameter + 1;
        continue;
      case 'pard':
        paragraphLevel = undefined;
        paragraphStyle = undefined;
        if (!state.destination) inTable = false;
        continue;
      case 'intbl':
        if (!state.destination) inTable = true;
        continue;
      case 'par':
      case 'sect':
      case 'page':
        if (state.destination) emit(' ');
        else if (!state.skip) endParagraph();
        continue;
      case 'line':
        emit('\n');
        continue;
      case 'tab':
        emit('\t');
        continue;
      case 'emdash':
        emit('\u2014');
        continue;
      case 'endash':
        emit('\u2013');
        continue;
      case 'bullet':
        emit('\u2022');
        continue;
      case 'lquote':
        emit('\u2018');
        continue;
      case 'rquote':
        emit('\u2019');
        continue;
      case 'ldblquote':
        emit('\u201c');
        continue;
      case 'rdblquote':
        emit('\u201d');
        continue;
      case 'cell':
      case 'nestcell':
        if (!state.skip && !state.destination) {
          cells.push(paragraph.replace(/\s+/g, ' ').trim());
          paragraph = '';
          inTable = true;
        }
        continue;
      case 'row':
      case 'nestrow':
        if (!state.skip && !state.destination) {
          if (cells.some((cell) => cell !== '')) blocks.push({ type: 'row', cells });
          cells = [];
          paragraph = '';
        }
        continue;
      case 'footnote':
        state.destination = 'footnote';
        destinationText = '';
        continue;
      case 'info':
        state.destination = 'info';
        continue;
      case 'fonttbl':
        state.destination = 'fonttbl';
        state.skip = true;
        continue;
      case 'stylesheet':
        state.destination = 'stylesheet';
        state.skip = false;
        continue;
      case 'creatim':
      case 'revtim':
        state.destination = word;
        state.skip = true;
        creation = {};
        continue;
      case 'yr':
      case 'mo':
      case 'dy':
      case 'hr':
      case 'min':
        if (creation && parameter !== undefined) creation[word] = parameter;
        continue;
      default:
        break;
    }
    if (infoFields.has(word) && state.destination === 'info') {
      state.destination = word;
      destinationText = '';
      continue;
    }
    if (skippedDestinations.has(word) || (ignorable && !state.skip)) {
      // An unknown `\*` destination is skipped by definition; so are the known non-text ones.
      state.skip = true;
      if (word === 'fldinst') state.destination = undefined;
    }
  }
  flushBytes();
  if (paragraph.trim() || cells.length > 0) {
    if (cells.length > 0) {
      cells.push(paragraph.trim());
      blocks.push({ type: 'row', cells: cells.filter((cell, index) => cell !== '' || index < cells.length - 1) });
    } else endParagraph();
  }
  return { blocks, notes, info, codePage, fromHtml };
}
