import { decodeXmlEntities } from '../ooxml/ooxml-package.ts';

/** An XML element of a small tree: qualified name (prefix kept, e.g. `text:p`), attributes, children in order. */
export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: (XmlElement | string)[];
}

/** Thrown for XML that does not nest (mismatched or unclosed tags). */
export class XmlError extends Error {}

const token =
  /<!--[\s\S]*?-->|<!\[CDATA\[([\s\S]*?)\]\]>|<\?[\s\S]*?\?>|<!DOCTYPE[^>]*>|<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)|</g;
const attribute = /([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
/** Nesting deeper than this is refused: real documents nest a few dozen levels. */
const maxDepth = 512;

/**
 * Parses XML into a small tree. Only the five predefined entities and character references are decoded —
 * a DOCTYPE's own entities are never expanded (no billion laughs, no external entities). Whitespace-only
 * text is kept only inside elements that hold text (callers ignore it elsewhere).
 */
export function parseXml(xml: string): XmlElement {
  const root: XmlElement = { name: '#document', attributes: {}, children: [] };
  const stack: XmlElement[] = [root];
  for (const match of xml.matchAll(token)) {
    const [whole, cdata, closing, name, attributeText, selfClosing, text] = match;
    const parent = stack[stack.length - 1] ?? root;
    if (text !== undefined) {
      parent.children.push(decodeXmlEntities(text));
      continue;
    }
    if (cdata !== undefined) {
      parent.children.push(cdata);
      continue;
    }
    if (name === undefined) {
      if (whole === '<') parent.children.push('<');
      continue;
    }
    if (closing) {
      if (parent.name !== name) throw new XmlError(`</${name}> closes <${parent.name}>`);
      stack.pop();
      continue;
    }
    const attributes: Record<string, string> = {};
    for (const pair of (attributeText ?? '').matchAll(attribute)) {
      const key = pair[1];
      if (key) attributes[key] = decodeXmlEntities(pair[2] ?? pair[3] ?? '');
    }
    const element: XmlElement = { name, attributes, children: [] };
    parent.children.push(element);
    if (!selfClosing) {
      if (stack.length > maxDepth) throw new XmlError(`elements nested more than ${maxDepth} deep`);
      stack.push(element);
    }
  }
  if (stack.length > 1) throw new XmlError(`<${stack[stack.length - 1]?.name}> is never closed`);
  return root;
}

/** Child elements, optionally only those with `name`. */
export function elements(element: XmlElement, name?: string): XmlElement[] {
  const result: XmlElement[] = [];
  for (const child of element.children)
    if (typeof child !== 'string' && (name === undefined || child.name === name)) result.push(child);
  return result;
}

/** The first descendant (depth first) named `name`. */
export function find(element: XmlElement, name: string): XmlElement | undefined {
  for (const child of element.children) {
    if (typeof child === 'string') continue;
    if (child.name === name) return child;
    const found = find(child, name);
    if (found) return found;
  }
  return undefined;
}
