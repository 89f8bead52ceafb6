import { buildDocument, normalizeText, titleFromFileName } from '../parsed-document.ts';
import type { ParsedDocument, ParseInput, Parser } from '../parser.ts';
import { createTextBudget } from '../text-budget.ts';
import { decodeText } from './decode-text.ts';

/** Plain text (and text-like files such as logs, JSON, XML, YAML): decoded, normalised, one section. */
export const textParser: Parser = {
  name: 'text',
  mediaTypes: ['text/plain', 'application/json', 'application/xml', 'text/xml', 'application/yaml', 'text/yaml'],
  async parse(input: ParseInput): Promise<ParsedDocument> {
    // Plain text becomes text as it is: the budget stops a huge file after a bounded part of it.
    const decoded = decodeText(input.bytes, { budget: createTextBudget(input.fileName, input.limits.maxTextChars) });
    const text = normalizeText(decoded.text);
    return buildDocument({
      title: titleFromFileName(input.fileName),
      mediaType: input.mediaType ?? 'text/plain',
      sections: [{ headingPath: [], text, kind: 'text' }],
      warnings: decoded.warnings,
      encoding: decoded.encoding,
    });
  },
};
