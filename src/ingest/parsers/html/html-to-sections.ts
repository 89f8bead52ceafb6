import { type HTMLElement, type Node as HtmlNode, NodeType, parse } from 'node-html-parser';
import { normalizeText, oneLine } from '../parsed-document.ts';
import type { ParsedSection } from '../parser.ts';
import { tableSections } from '../table/render-table.ts';

/** Elements whose content is never document text. */
const droppedTags = new Set([
  'script',
  'style',
  'noscript',
  'template',
  'nav',
  'aside',
  'footer',
  'svg',
  'canvas',
  'iframe',
  'object',
  'embed',
  'button',
  'select',
  'head',
]);
/** ARIA landmarks that mark boilerplate. */
const droppedRoles = new Set(['navigation', 'banner', 'contentinfo', 'search', 'complementary', 'menu', 'menubar']);
const blockTags = new Set([
  'p',
  'div',
  'section',
  'article',
  'main',
  'header',
  'ul',
  'ol',
  'li',
  'dl',
  'dt',
  'dd',
  'blockquote',
  'pre',
  'figure',
  'figcaption',
  'address',
  'details',
  'summary',
  'form',
  'fieldset',
  'hr',
  'body',
  'html',
  'caption',
]);

export interface HtmlSections {
  /** `<title>`, else the first `<h1>`, else undefined. */
  readonly title: string | undefined;
  readonly sections: ParsedSection[];
  /** `<meta name=author|description|keywords>` values. */
  readonly meta: { author?: string; description?: string; keywords?: string };
}

function isHidden(element: HTMLElement): boolean {
  if (element.getAttribute('hidden') !== undefined) return true;
  if (element.getAttribute('aria-hidden') === 'true') return true;
  const role = element.getAttribute('role');
  if (role && droppedRoles.has(role.toLowerCase())) return true;
  const style = element.getAttribute('style');
  return style !== undefined && /display\s*:\s*none|visibility\s*:\s*hidden/i.test(style);
}

/** The text of an element without the content of dropped elements. */
function visibleText(node: HtmlNode): string {
  if (node.nodeType === NodeType.TEXT_NODE) return node.text;
  if (node.nodeType !== NodeType.ELEMENT_NODE) return '';
  const element = node as HTMLElement;
  const tag = element.rawTagName?.toLowerCase() ?? '';
  if (droppedTags.has(tag) || isHidden(element)) return '';
  if (tag === 'br') return '\n';
  return element.childNodes.map(visibleText).join(blockTags.has(tag) ? '\n' : '');
}

/**
 * HTML to sections: headings (`h1`–`h6`) open heading paths; paragraphs and lists become text sections under
 * them; tables become table sections (`Header: value; …`). Boilerplate — navigation, scripts, styles,
 * footers, asides, site headers (a `<header>` with navigation or without a heading), hidden elements and
 * ARIA landmarks for navigation — is dropped. When the page has a `<main>` (or exactly one `<article>`)
 * only that is read.
 */
export function htmlToSections(html: string): HtmlSections {
  const root = parse(html, { comment: false, lowerCaseTagName: false });
  const titleText = root.querySelector('title')?.text;
  const meta: { author?: string; description?: string; keywords?: string } = {};
  for (const element of root.querySelectorAll('meta')) {
    const name = element.getAttribute('name')?.toLowerCase();
    const content = element.getAttribute('content');
    if (content && (name === 'author' || name === 'description' || name === 'keywords')) meta[name] = oneLine(content);
  }
  const articles = root.querySelectorAll('article');
  const content =
    root.querySelector('main') ?? (articles.length === 1 ? articles[0] : undefined) ?? root.querySelector('body') ?? root;

  const sections: ParsedSection[] = [];
  const path: string[] = [];
  const levels: number[] = [];
  let buffer = '';
  let firstH1: string | undefined;

  const flush = () => {
    const text = normalizeText(buffer);
    if (text) sections.push({ headingPath: [...path], text, kind: 'text' });
    buffer = '';
  };

  const walk = (node: HtmlNode, inPre: boolean): void => {
    if (node.nodeType === NodeType.TEXT_NODE) {
      buffer += inPre ? node.text : node.text.replace(/\s+/g, ' ');
      return;
    }
    if (node.nodeType !== NodeType.ELEMENT_NODE) return;
    const element = node as HTMLElement;
    const tag = element.rawTagName?.toLowerCase() ?? '';
    if (droppedTags.has(tag) || isHidden(element)) return;
    if (tag === 'header' && (element.querySelector('nav') || !element.querySelector('h1,h2,h3,h4,h5,h6'))) return;
    const headingLevel = /^h([1-6])$/.exec(tag)?.[1];
    if (headingLevel) {
      const title = oneLine(visibleText(element));
      if (!title) return;
      flush();
      const level = Number(headingLevel);
      while (levels.length > 0 && (levels.at(-1) ?? 0) >= level) {
        levels.pop();
        path.pop();
      }
      levels.push(level);
      path.push(title);
      if (level === 1) firstH1 ??= title;
      return;
    }
    if (tag === 'table') {
      flush();
      const rows: string[][] = [];
      for (const row of element.querySelectorAll('tr')) {
        const cells = row.childNodes
          .filter((child): child is HTMLElement => child.nodeType === NodeType.ELEMENT_NODE)
          .filter((cell) => /^t[hd]$/i.test(cell.rawTagName ?? ''))
          .map((cell) => oneLine(visibleText(cell)));
        if (cells.length > 0) rows.push(cells);
      }
      const caption = element.querySelector('caption');
      if (caption) {
        const captionText = oneLine(visibleText(caption));
        if (captionText) sections.push({ headingPath: [...path], text: captionText, kind: 'text' });
      }
      sections.push(...tableSections([...path], rows));
      return;
    }
    if (tag === 'br') {
      buffer += '\n';
      return;
    }
    const block = blockTags.has(tag);
    if (block) buffer += '\n';
    if (tag === 'li') buffer += '- ';
    if (tag === 'img') {
      const alt = element.getAttribute('alt');
      if (alt) buffer += ` ${alt} `;
    }
    for (const child of element.childNodes) walk(child, inPre || tag === 'pre');
    if (block) buffer += '\n';
    if (tag === 'td' || tag === 'th') buffer += ' ';
  };
  walk(content, false);
  flush();
  const title = oneLine(titleText ?? '') || firstH1;
  return { title, sections, meta };
}
