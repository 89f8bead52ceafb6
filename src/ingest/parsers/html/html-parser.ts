import { buildDocument, titleFromFileName } from '../parsed-document.ts';
import type { ParsedDocument, ParseInput, Parser } from '../parser.ts';
import { decodeText, sniffDeclaredCharset } from '../text/decode-text.ts';
import { createTextBudget } from '../text-budget.ts';
import { htmlToSections } from './html-to-sections.ts';

/**
 * HTML pages: decoded honouring `<meta charset>` (valid UTF-8 still wins over a wrong declaration), boilerplate
 * dropped, headings kept as section paths, tables as table sections; title from `<title>`, else the first `<h1>`.
 */
export const htmlParser: Parser = {
  name: 'html',
  mediaTypes: ['text/html', 'application/xhtml+xml'],
  async parse(input: ParseInput): Promise<ParsedDocument> {
    const declared = sniffDeclaredCharset(input.bytes);
    // Tags are not counted; entities, scripts and boilerplate are, hence the allowance. Stopping here spares
    // building the DOM of a page with far too much text.
    const budget = createTextBudget(input.fileName, input.limits.maxTextChars, { allowance: 2, skipTags: true });
    const decoded = decodeText(input.bytes, declared ? { declaredEncoding: declared, budget } : { budget });
    const html = htmlToSections(decoded.text);
    return buildDocument({
      title: html.title ?? titleFromFileName(input.fileName),
      mediaType: 'text/html',
      sections: html.sections,
      metadata: { author: html.meta.author, subject: html.meta.description, keywords: html.meta.keywords },
      warnings: decoded.warnings,
      encoding: decoded.encoding,
    });
  },
};
