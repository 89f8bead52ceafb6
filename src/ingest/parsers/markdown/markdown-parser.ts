import { buildDocument, normalizeText, titleFromFileName } from '../parsed-document.ts';
import type { ParsedDocument, ParsedSection, ParseInput, Parser } from '../parser.ts';
import { tableSections } from '../table/render-table.ts';
import { decodeText } from '../text/decode-text.ts';
import { createTextBudget } from '../text-budget.ts';

/** Inline Markdown to readable text: links and images keep their text, emphasis and code marks go. */
export function markdownInlineToText(line: string): string {
  return line
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\[[^\]]*\]/g, '$1')
    .replace(/<(https?:[^>\s]+)>/g, '$1')
    .replace(/(\*\*|__)(?=\S)(.+?)(?<=\S)\1/g, '$2')
    .replace(/(^|[^\w*])([*_])(?=\S)(.+?)(?<=\S)\2(?![\w*])/g, '$1$3')
    .replace(/~~(.+?)~~/g, '$1')
    .replace(/`([^`]+)`/g, '$1')
    .replace(/<\/?[a-zA-Z][^>]*>/g, '');
}

function splitTableRow(line: string): string[] {
  const trimmed = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  return trimmed.split(/(?<!\\)\|/).map((cell) => markdownInlineToText(cell.replace(/\\\|/g, '|').trim()));
}

/** Markdown syntax and link targets are decoded but do not become text: the early stop allows for them. */
const markupAllowance = 2;

const tableDivider = /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/;

/**
 * Markdown: ATX (`#`) and setext headings become heading paths, pipe tables become table sections, fenced
 * code is kept verbatim, front matter (`---` YAML) is read for `title` and dropped from the text.
 */
export const markdownParser: Parser = {
  name: 'markdown',
  mediaTypes: ['text/markdown', 'text/x-markdown'],
  async parse(input: ParseInput): Promise<ParsedDocument> {
    const decoded = decodeText(input.bytes, {
      budget: createTextBudget(input.fileName, input.limits.maxTextChars, { allowance: markupAllowance }),
    });
    let lines = decoded.text.replace(/\r\n?/g, '\n').split('\n');
    const metadata: Record<string, unknown> = {};
    if (lines[0]?.trim() === '---') {
      const end = lines.indexOf('---', 1);
      if (end > 0) {
        for (const line of lines.slice(1, end)) {
          const match = /^(title|author|date|description):\s*["']?(.*?)["']?\s*$/i.exec(line);
          if (match?.[1] && match[2]) metadata[match[1].toLowerCase()] = match[2];
        }
        lines = lines.slice(end + 1);
      }
    }
    const sections: ParsedSection[] = [];
    const path: string[] = [];
    const levels: number[] = [];
    let buffer: string[] = [];
    let firstHeading: string | undefined;
    const flushText = () => {
      const text = normalizeText(buffer.join('\n'));
      if (text) sections.push({ headingPath: [...path], text, kind: 'text' });
      buffer = [];
    };
    const heading = (level: number, title: string) => {
      flushText();
      while (levels.length > 0 && (levels.at(-1) ?? 0) >= level) {
        levels.pop();
        path.pop();
      }
      levels.push(level);
      path.push(title);
      firstHeading ??= title;
    };
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] ?? '';
      const fence = /^\s*(```|~~~)/.exec(line);
      if (fence?.[1]) {
        const code: string[] = [];
        let j = i + 1;
        while (j < lines.length && !(lines[j] ?? '').trim().startsWith(fence[1])) code.push(lines[j++] ?? '');
        buffer.push(code.join('\n'));
        i = j;
        continue;
      }
      const atx = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
      if (atx?.[1]) {
        heading(atx[1].length, markdownInlineToText(atx[2] ?? ''));
        continue;
      }
      const next = lines[i + 1] ?? '';
      if (line.trim() && !line.trim().startsWith('|') && /^\s{0,3}(=+|-+)\s*$/.test(next)) {
        const previousBlank = i === 0 || !(lines[i - 1] ?? '').trim();
        if (previousBlank) {
          heading(next.trim().startsWith('=') ? 1 : 2, markdownInlineToText(line.trim()));
          i++;
          continue;
        }
      }
      if (line.includes('|') && tableDivider.test(next)) {
        flushText();
        const rows = [splitTableRow(line)];
        let j = i + 2;
        while (j < lines.length && (lines[j] ?? '').includes('|') && (lines[j] ?? '').trim())
          rows.push(splitTableRow(lines[j++] ?? ''));
        sections.push(...tableSections([...path], rows));
        i = j - 1;
        continue;
      }
      buffer.push(
        markdownInlineToText(
          line
            .replace(/^\s{0,3}>\s?/, '')
            .replace(/^(\s*)[-*+]\s+\[[ xX]\]\s+/, '$1- ')
            .replace(/^\s*([-*_])(\s*\1){2,}\s*$/, ''),
        ),
      );
    }
    flushText();
    const title = typeof metadata.title === 'string' ? metadata.title : (firstHeading ?? titleFromFileName(input.fileName));
    return buildDocument({
      title,
      mediaType: 'text/markdown',
      sections,
      metadata: { ...metadata, author: typeof metadata.author === 'string' ? metadata.author : undefined },
      warnings: decoded.warnings,
      encoding: decoded.encoding,
    });
  },
};
