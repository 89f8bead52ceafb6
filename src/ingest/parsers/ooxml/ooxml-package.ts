import { unzipSync } from 'fflate';
import { corruptError, tooLargeError } from '../parse-errors.ts';
import { isoDate } from '../parsed-document.ts';
import type { ParsedMetadata } from '../parser.ts';

/** Decodes the five XML entities and numeric character references. */
export function decodeXmlEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, entity: string) => {
    if (entity === 'amp') return '&';
    if (entity === 'lt') return '<';
    if (entity === 'gt') return '>';
    if (entity === 'quot') return '"';
    if (entity === 'apos') return "'";
    const code = entity.startsWith('#x') ? Number.parseInt(entity.slice(2), 16) : Number.parseInt(entity.slice(1), 10);
    return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
  });
}

/** Text of the first `<tag>` element (namespace prefix included in `tag`), entities decoded. */
export function xmlElementText(xml: string, tag: string): string | undefined {
  const match = new RegExp(`<${tag}(?:\\s[^>]*)?>([\\s\\S]*?)</${tag}>`).exec(xml);
  return match?.[1] === undefined ? undefined : decodeXmlEntities(match[1].replace(/<[^>]+>/g, '')).trim();
}

/**
 * The parts of an OOXML package (DOCX, XLSX, PPTX are ZIP files), read in memory. Parts larger than
 * `maxBytes` together are refused before inflating anything; only parts accepted by `wanted` are inflated.
 */
export function readPackage(
  bytes: Uint8Array,
  fileName: string,
  maxBytes: number,
  wanted: (name: string) => boolean = () => true,
): Map<string, Uint8Array> {
  let declared = 0;
  try {
    unzipSync(bytes, {
      filter(file) {
        declared += file.originalSize;
        return false;
      },
    });
  } catch (error) {
    throw corruptError(fileName, 'Office file (ZIP package)', error);
  }
  if (declared > maxBytes) throw tooLargeError(fileName, declared, maxBytes);
  try {
    const files = unzipSync(bytes, { filter: (file) => wanted(file.name) });
    return new Map(Object.entries(files));
  } catch (error) {
    throw corruptError(fileName, 'Office file (ZIP package)', error);
  }
}

/** Names of the parts of a ZIP without inflating anything; undefined when the bytes are not a readable ZIP. */
export function listZipNames(bytes: Uint8Array): string[] | undefined {
  const names: string[] = [];
  try {
    unzipSync(bytes, {
      filter(file) {
        if (names.length < 5000) names.push(file.name);
        return false;
      },
    });
    return names;
  } catch {
    return undefined;
  }
}

const utf8 = new TextDecoder('utf-8');

export function partText(parts: Map<string, Uint8Array>, name: string): string | undefined {
  const part = parts.get(name);
  return part ? utf8.decode(part) : undefined;
}

/** Title, author, subject and dates from `docProps/core.xml`. */
export function coreProperties(parts: Map<string, Uint8Array>): { title?: string; metadata: ParsedMetadata } {
  const xml = partText(parts, 'docProps/core.xml');
  if (!xml) return { metadata: {} };
  const title = xmlElementText(xml, 'dc:title');
  return {
    ...(title ? { title } : {}),
    metadata: {
      author: xmlElementText(xml, 'dc:creator'),
      subject: xmlElementText(xml, 'dc:subject'),
      description: xmlElementText(xml, 'dc:description'),
      keywords: xmlElementText(xml, 'cp:keywords'),
      lastModifiedBy: xmlElementText(xml, 'cp:lastModifiedBy'),
      created: isoDate(xmlElementText(xml, 'dcterms:created')),
      modified: isoDate(xmlElementText(xml, 'dcterms:modified')),
    },
  };
}

/** Relationship id → target path (resolved against `baseDir`) from a `.rels` part. */
export function relationships(xml: string | undefined, baseDir: string): Map<string, { target: string; type: string }> {
  const map = new Map<string, { target: string; type: string }>();
  if (!xml) return map;
  for (const match of xml.matchAll(/<Relationship\b([^>]*)\/?>/g)) {
    const attributes = match[1] ?? '';
    const id = /\bId="([^"]*)"/.exec(attributes)?.[1];
    const target = /\bTarget="([^"]*)"/.exec(attributes)?.[1];
    const type = /\bType="([^"]*)"/.exec(attributes)?.[1] ?? '';
    if (!id || !target) continue;
    map.set(id, { target: resolvePartPath(baseDir, decodeXmlEntities(target)), type });
  }
  return map;
}

function resolvePartPath(baseDir: string, target: string): string {
  if (target.startsWith('/')) return target.slice(1);
  const parts = baseDir ? baseDir.split('/') : [];
  for (const segment of target.split('/')) {
    if (segment === '..') parts.pop();
    else if (segment !== '.' && segment !== '') parts.push(segment);
  }
  return parts.join('/');
}
