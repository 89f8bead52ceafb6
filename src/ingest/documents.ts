import { type Caller, canonicalPrincipal, GroundworkError } from '../core/index.ts';
import { loadIdentityMappings, resolveIdentities } from '../govern/index.ts';
import {
  type AccessCheck,
  type AccessExplanation,
  describeIdentityChain,
  explainAccess,
  readablePredicate,
  resolveDocumentAccess,
} from '../protect/index.ts';
import type { Queryable } from '../store/index.ts';
import type { ParsedPage } from './parsers/index.ts';
import { childSeparator } from './sync/prepare-document.ts';
import { findSource } from './sync/source-registry.ts';

/**
 * Documents as operators and users see them: metadata (never chunk text), filtered by the caller's
 * principals in SQL exactly like retrieval, and "why may this principal read this document?".
 *
 * The explanation is recomputed from the source's current ACL map, the document's stored sidecar and (for
 * archive members and attachments) the parent's principals. The decision that is *enforced* is always the
 * stored `principals`; when the recomputation disagrees (the map changed since the last sync),
 * `explanationCurrent` is false and the fix is a re-sync.
 */
export interface DocumentSummary {
  readonly id: string;
  readonly sourceId: string;
  readonly sourceName: string;
  readonly sourceRef: string;
  readonly parentId: string | null;
  readonly uri: string;
  readonly title: string;
  readonly mediaType: string;
  readonly sizeBytes: number | null;
  readonly status: string;
  readonly sensitivity: string;
  readonly principals: readonly string[];
  readonly principalsDetermined: boolean;
  readonly chunkCount: number;
  readonly sourceModifiedAt: string | null;
  readonly indexedAt: string | null;
}

export interface DocumentDetail extends DocumentSummary {
  readonly version: string | null;
  readonly contentHash: string | null;
  readonly metadata: Record<string, unknown>;
  readonly warnings: readonly unknown[];
  readonly piiSummary: Record<string, number>;
  /** Child documents (archive members, attachments) the caller may read. */
  readonly children: readonly { readonly id: string; readonly title: string; readonly sourceRef: string }[];
  /** Pages covered by the document's chunks (highest page_end), when the format has pages. */
  readonly pages: number | null;
  /** OCRed pages with their confidence and layout; `lowConfidence` pages are the ones to review. */
  readonly ocrPages: readonly ParsedPage[];
}

export interface DocumentAccessReport {
  readonly document: Pick<DocumentSummary, 'id' | 'title' | 'uri' | 'sourceRef' | 'sourceName'>;
  /** The principals enforced at query time (stored at the last sync). Empty = operator-only. */
  readonly principals: readonly string[];
  readonly determined: boolean;
  /** The principals asked about, canonical. */
  readonly asked: readonly string[];
  /** Principals the asked source identities map to (identity mappings), each with the identities that give it. */
  readonly identityChain: readonly { readonly principal: string; readonly via: readonly string[] }[];
  /** Whether the asked principals may read the document, by the enforced principals. */
  readonly allowed: boolean;
  readonly reason: string;
  /** Grants (rule, sidecar, default, inherited; with aliases) by which the asked principals read it. */
  readonly via: AccessCheck['via'];
  /** How the current ACL map decides the document. */
  readonly explanation: AccessExplanation;
  /** False when the current ACL map would decide differently from the stored principals: re-sync the source. */
  readonly explanationCurrent: boolean;
}

export interface ListDocumentsOptions {
  readonly sourceId?: string | undefined;
  readonly status?: string | undefined;
  /** Case-insensitive substring of title or source reference. */
  readonly search?: string | undefined;
  readonly undetermined?: boolean | undefined;
  /** Only documents with OCRed pages to review (low confidence or unreadable). */
  readonly ocrReview?: boolean | undefined;
  readonly limit?: number | undefined;
  readonly offset?: number | undefined;
}

type DocumentRow = {
  id: string;
  source_id: string;
  source_name: string;
  source_ref: string;
  parent_id: string | null;
  uri: string;
  title: string;
  media_type: string;
  size_bytes: string | number | null;
  status: string;
  sensitivity: string;
  principals: string[];
  principals_determined: boolean;
  chunk_count: number;
  source_modified_at: Date | null;
  indexed_at: Date | null;
};

const summaryColumns = `d.id, d.source_id, s.name AS source_name, d.source_ref, d.parent_id, d.uri, d.title, d.media_type,
  d.size_bytes, d.status, d.sensitivity, d.principals, d.principals_determined, d.chunk_count, d.source_modified_at, d.indexed_at`;

function toSummary(row: DocumentRow): DocumentSummary {
  return {
    id: row.id,
    sourceId: row.source_id,
    sourceName: row.source_name,
    sourceRef: row.source_ref,
    parentId: row.parent_id,
    uri: row.uri,
    title: row.title,
    mediaType: row.media_type,
    sizeBytes: row.size_bytes === null ? null : Number(row.size_bytes),
    status: row.status,
    sensitivity: row.sensitivity,
    principals: row.principals,
    principalsDetermined: row.principals_determined,
    chunkCount: row.chunk_count,
    sourceModifiedAt: row.source_modified_at ? new Date(row.source_modified_at).toISOString() : null,
    indexedAt: row.indexed_at ? new Date(row.indexed_at).toISOString() : null,
  };
}

/** The SQL condition that limits rows of `documents d` to what the caller may read. */
function visibility(caller: Caller, params: unknown[]): string {
  if (caller.seesEverything) return "d.status <> 'deleted'";
  return `d.status <> 'deleted' AND ${readablePredicate('d.principals', caller, (value) => `$${params.push(value)}`)}`;
}

/** Documents the caller may read, newest first; `total` counts every match. */
export async function listDocuments(
  db: Queryable,
  caller: Caller,
  options: ListDocumentsOptions = {},
): Promise<{ documents: DocumentSummary[]; total: number }> {
  const params: unknown[] = [];
  const where = [visibility(caller, params)];
  if (options.sourceId) {
    params.push(options.sourceId);
    where.push(`(d.source_id = $${params.length} OR s.name = $${params.length})`);
  }
  if (options.status) {
    params.push(options.status);
    where.push(`d.status = $${params.length}`);
  }
  if (options.search) {
    params.push(`%${options.search.replace(/[\\%_]/g, (m) => `\\${m}`)}%`);
    where.push(`(d.title ILIKE $${params.length} OR d.source_ref ILIKE $${params.length})`);
  }
  if (options.undetermined) where.push('NOT d.principals_determined');
  if (options.ocrReview) where.push('d.ocr_review_pages > 0');
  const from = `FROM documents d JOIN sources s ON s.id = d.source_id WHERE ${where.join(' AND ')}`;
  const counted = await db.query<{ n: number }>(`SELECT count(*)::int AS n ${from}`, params);
  params.push(options.limit ?? 50, options.offset ?? 0);
  const rows = await db.query<DocumentRow>(
    `SELECT ${summaryColumns} ${from} ORDER BY d.indexed_at DESC NULLS LAST, d.id LIMIT $${params.length - 1} OFFSET $${params.length}`,
    params,
  );
  return { documents: rows.rows.map(toSummary), total: counted.rows[0]?.n ?? 0 };
}

function notFound(id: string): GroundworkError {
  // The same answer whether the document does not exist or the caller may not read it: no existence oracle.
  return new GroundworkError('documents.not_found', `There is no document ${id} that you may read.`, {
    category: 'not_found',
    fix: 'List the documents you may read with `groundwork documents list` or GET /v1/documents.',
  });
}

/** One document's metadata, or `documents.not_found` when it does not exist or the caller may not read it. */
export async function getDocument(db: Queryable, id: string, caller: Caller): Promise<DocumentDetail> {
  const params: unknown[] = [id];
  const condition = visibility(caller, params);
  const found = await db.query<
    DocumentRow & {
      version: string | null;
      content_hash: string | null;
      metadata: Record<string, unknown>;
      warnings: unknown[];
      pii_summary: Record<string, number>;
      pages: number | null;
      ocr_pages: ParsedPage[];
    }
  >(
    `SELECT ${summaryColumns}, d.version, d.content_hash, d.metadata, d.warnings, d.pii_summary, d.ocr_pages,
       (SELECT max(coalesce(c.page_end, c.page_start)) FROM chunks c WHERE c.document_id = d.id) AS pages
     FROM documents d JOIN sources s ON s.id = d.source_id WHERE d.id = $1 AND ${condition}`,
    params,
  );
  const row = found.rows[0];
  if (!row) throw notFound(id);
  const childParams: unknown[] = [id];
  const childCondition = visibility(caller, childParams);
  const children = await db.query<{ id: string; title: string; source_ref: string }>(
    `SELECT d.id, d.title, d.source_ref FROM documents d WHERE d.parent_id = $1 AND ${childCondition} ORDER BY d.source_ref`,
    childParams,
  );
  return {
    ...toSummary(row),
    version: row.version,
    contentHash: row.content_hash,
    metadata: row.metadata,
    warnings: row.warnings,
    piiSummary: row.pii_summary,
    children: children.rows.map((c) => ({ id: c.id, title: c.title, sourceRef: c.source_ref })),
    pages: row.pages,
    ocrPages: row.ocr_pages ?? [],
  };
}

/**
 * Why may (or may not) `principals` read the document? The caller must itself be able to read the document
 * (administrators bypass), so the explanation never reveals a document the caller could not find.
 */
export async function explainDocumentAccess(
  db: Queryable,
  id: string,
  caller: Caller,
  principals: readonly string[],
): Promise<DocumentAccessReport> {
  const document = await getDocument(db, id, caller);
  const asked = [...new Set(principals.map(canonicalPrincipal).filter((p) => p.length > 0))];
  const source = await findSource(db, document.sourceId);
  const sidecar = await db.query<{ sidecar: Record<string, unknown> | null; parent_principals: string[] | null }>(
    `SELECT d.sidecar, p.principals AS parent_principals
     FROM documents d LEFT JOIN documents p ON p.id = d.parent_id WHERE d.id = $1`,
    [id],
  );
  const stored = sidecar.rows[0];
  const rawSidecarPrincipals = stored?.sidecar?.principals;
  const sidecarPrincipals = Array.isArray(rawSidecarPrincipals)
    ? rawSidecarPrincipals.filter((p): p is string => typeof p === 'string')
    : undefined;
  const identityMappings = await loadIdentityMappings(db);
  const access = resolveDocumentAccess({
    aclMap: source?.aclMap,
    // Members and attachments are decided on `parent/member` paths, as at ingestion.
    path: document.sourceRef.split(childSeparator).join('/'),
    sidecarPrincipals,
    inheritedPrincipals: document.parentId ? (stored?.parent_principals ?? []) : undefined,
    readableBy: source?.settings.readableBy,
    identityMappings,
  });
  // The asked identities as the server would see them: source identities (legacy:adj, entra:<id>) mapped.
  const mapped = await resolveIdentities(db, asked);
  const chainText = describeIdentityChain(asked.find((p) => p.startsWith('user:')) ?? asked.join(', '), mapped.chain);
  const enforced = new Set(document.principals);
  const allowedBy = mapped.principals.filter((p) => enforced.has(p));
  const check = explainAccess(access.explanation, mapped.principals);
  const explanationCurrent =
    JSON.stringify([...document.principals].sort()) === JSON.stringify(access.principals) &&
    access.determined === document.principalsDetermined;
  const allowed = allowedBy.length > 0;
  const decision = explanationCurrent
    ? check.reason
    : `${allowed ? `Allowed through ${allowedBy.join(', ')}` : `Denied: the document is readable by ${document.principals.length > 0 ? document.principals.join(', ') : 'no principal (operator-only)'}`} (as of the last sync). The current ACL map would decide differently — ${check.reason} Re-sync source "${document.sourceName}" to apply it.`;
  const reason = chainText ? `${chainText}. ${decision}` : decision;
  return {
    document: {
      id: document.id,
      title: document.title,
      uri: document.uri,
      sourceRef: document.sourceRef,
      sourceName: document.sourceName,
    },
    principals: document.principals,
    determined: document.principalsDetermined,
    asked,
    identityChain: mapped.chain,
    allowed,
    reason,
    via: explanationCurrent ? check.via : [],
    explanation: access.explanation,
    explanationCurrent,
  };
}

/**
 * Titles of documents by id, for views of recorded content (traces). No access check: the caller passes only
 * ids that protect's `readableDocumentIds` returned for the reader.
 */
export async function documentTitles(db: Queryable, documentIds: readonly string[]): Promise<Map<string, string>> {
  const titles = new Map<string, string>();
  if (documentIds.length === 0) return titles;
  const { rows } = await db.query<{ id: string; title: string }>('SELECT id, title FROM documents WHERE id = ANY($1::text[])', [
    [...new Set(documentIds)],
  ]);
  for (const row of rows) titles.set(row.id, row.title);
  return titles;
}

/**
 * The first `length` characters of chunks by id, limited to chunks of `documentIds` (the documents the reader
 * may read, from protect's `readableDocumentIds`): a chunk of any other document is never returned.
 */
export async function chunkSnippets(
  db: Queryable,
  chunkIds: readonly string[],
  documentIds: readonly string[],
  length = 200,
): Promise<Map<string, string>> {
  const snippets = new Map<string, string>();
  if (chunkIds.length === 0 || documentIds.length === 0) return snippets;
  const { rows } = await db.query<{ id: string; snippet: string }>(
    'SELECT id, left(text, $3::int) AS snippet FROM chunks WHERE id = ANY($1::text[]) AND document_id = ANY($2::text[])',
    [[...new Set(chunkIds)], [...new Set(documentIds)], length],
  );
  for (const row of rows) snippets.set(row.id, row.snippet);
  return snippets;
}

/** A document that a reference (id, path, `source:path`, path without extension, `metadata.externalId`) may name. */
export interface DocumentReferenceMatch {
  readonly id: string;
  readonly sourceRef: string;
  readonly sourceName: string;
  readonly externalId: string | null;
}

/**
 * Live documents that any of `references` may name — by id, by `source_ref`, by `source_ref` without its
 * extension, by `source-name:path` or by `metadata.externalId` — for evaluation datasets that name their
 * relevant documents. The caller decides which match wins; no access check (datasets are built by operators).
 */
export async function documentsByReference(db: Queryable, references: readonly string[]): Promise<DocumentReferenceMatch[]> {
  if (references.length === 0) return [];
  const { rows } = await db.query<{ id: string; source_ref: string; source_name: string; external_id: string | null }>(
    `SELECT d.id, d.source_ref, s.name AS source_name, d.metadata->>'externalId' AS external_id
       FROM documents d JOIN sources s ON s.id = d.source_id
      WHERE d.status <> 'deleted'
        AND (d.id = ANY($1::text[]) OR d.source_ref = ANY($1::text[])
             OR regexp_replace(d.source_ref, '\\.[^./]+$', '') = ANY($1::text[])
             OR (s.name || ':' || d.source_ref) = ANY($1::text[])
             OR d.metadata->>'externalId' = ANY($1::text[]))`,
    [[...references]],
  );
  return rows.map((row) => ({ id: row.id, sourceRef: row.source_ref, sourceName: row.source_name, externalId: row.external_id }));
}

/** Whether any document is indexed at all (in any source, for anyone): "the store is empty" reveals nothing. */
export async function hasIndexedDocuments(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ found: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM documents WHERE status = 'indexed') AS found`,
  );
  return rows[0]?.found === true;
}

/** What is indexed now: document and chunk counts and a fingerprint of the indexed documents (ids + hashes). */
export async function indexedCorpusState(
  db: Queryable,
): Promise<{ readonly documentCount: number; readonly chunkCount: number; readonly fingerprint: string }> {
  const { rows } = await db.query<{ documents: number; chunks: number; fingerprint: string }>(
    `SELECT count(*) AS documents, coalesce(sum(chunk_count), 0)::bigint AS chunks,
            md5(coalesce(string_agg(id || ':' || coalesce(content_hash, ''), ',' ORDER BY id), '')) AS fingerprint
       FROM documents WHERE status = 'indexed'`,
  );
  const row = rows[0];
  return { documentCount: row?.documents ?? 0, chunkCount: row?.chunks ?? 0, fingerprint: row?.fingerprint ?? '' };
}

/**
 * The full text of chunks by id, for evaluation runs that judge an answer against the passages it cited (the
 * answer already passed the asker's ACL: these ids came back from a search as that asker).
 */
export async function chunkTexts(db: Queryable, chunkIds: readonly string[]): Promise<Map<string, string>> {
  if (chunkIds.length === 0) return new Map();
  const { rows } = await db.query<{ id: string; text: string }>('SELECT id, text FROM chunks WHERE id = ANY($1::text[])', [
    [...new Set(chunkIds)],
  ]);
  return new Map(rows.map((row) => [row.id, row.text]));
}

/** Seconds since each source's last successful sync (null: never), for the ingestion-lag metric. */
export async function sourceSyncLags(
  db: Queryable,
): Promise<Array<{ readonly name: string; readonly lagSeconds: number | null }>> {
  const { rows } = await db.query<{ name: string; lag: number | null }>(
    `SELECT name, EXTRACT(EPOCH FROM (now() - last_success_at))::double precision AS lag FROM sources`,
  );
  return rows.map((row) => ({ name: row.name, lagSeconds: row.lag === null ? null : Number(row.lag) }));
}

/**
 * When each of these documents was last indexed and last modified in its source (absent: the document is
 * gone). For the monitor feature's stale-citation check; no content, no access decision (ids come from traces).
 */
export async function documentVersions(
  db: Queryable,
  ids: readonly string[],
): Promise<Map<string, { readonly indexedAt: Date | null; readonly sourceModifiedAt: Date | null }>> {
  if (ids.length === 0) return new Map();
  const { rows } = await db.query<{ id: string; indexed_at: Date | null; source_modified_at: Date | null }>(
    'SELECT id, indexed_at, source_modified_at FROM documents WHERE id = ANY($1::text[])',
    [[...new Set(ids)]],
  );
  return new Map(
    rows.map((r) => [
      r.id,
      {
        indexedAt: r.indexed_at ? new Date(r.indexed_at) : null,
        sourceModifiedAt: r.source_modified_at ? new Date(r.source_modified_at) : null,
      },
    ]),
  );
}

/** One page of a document's text (`documentText`): its chunks in order, whole, up to a character budget. */
export interface DocumentTextPage {
  readonly documentId: string;
  readonly title: string;
  readonly uri: string;
  readonly mediaType: string;
  readonly sensitivity: string;
  readonly chunkCount: number;
  /** Chunks in document order; each chunk's text starts with its section heading and repeats the previous chunk's overlap. */
  readonly chunks: readonly {
    readonly chunkId: string;
    readonly ordinal: number;
    readonly text: string;
    readonly sectionPath: readonly string[];
    readonly pageStart: number | null;
    readonly pageEnd: number | null;
  }[];
  /** The `fromChunk` of the next page, or null when this page reached the end of the document. */
  readonly nextChunk: number | null;
}

/**
 * A document's text as its chunks, in order from the ordinal `fromChunk`, as many whole chunks as fit in
 * `maxChars` (at least one, cut at `maxChars` when a single chunk is longer). The document must be readable by
 * the caller NOW (the same predicate and the same `documents.not_found` as `getDocument`, so an unreadable
 * document cannot be told from a missing one).
 */
export async function documentText(
  db: Queryable,
  id: string,
  caller: Caller,
  options: { readonly fromChunk?: number; readonly maxChars?: number } = {},
): Promise<DocumentTextPage> {
  const fromChunk = Math.max(0, Math.floor(options.fromChunk ?? 0));
  const maxChars = Math.max(1, Math.floor(options.maxChars ?? 20_000));
  const params: unknown[] = [id];
  const condition = visibility(caller, params);
  const found = await db.query<{
    id: string;
    title: string;
    uri: string;
    media_type: string;
    sensitivity: string;
    chunks: number;
  }>(
    `SELECT d.id, d.title, d.uri, d.media_type, d.sensitivity,
       (SELECT count(*)::int FROM chunks c WHERE c.document_id = d.id) AS chunks
     FROM documents d WHERE d.id = $1 AND ${condition}`,
    params,
  );
  const document = found.rows[0];
  if (!document) throw notFound(id);
  // Chunks are read in batches until the budget is spent; a chunk is never split except a first one too long alone.
  const chunks: DocumentTextPage['chunks'][number][] = [];
  let used = 0;
  let next: number | null = null;
  let cursor = fromChunk;
  for (;;) {
    const { rows } = await db.query<{
      id: string;
      ordinal: number;
      text: string;
      section_path: string[] | null;
      page_start: number | null;
      page_end: number | null;
    }>(
      `SELECT id, ordinal, text, section_path, page_start, page_end FROM chunks
       WHERE document_id = $1 AND ordinal >= $2 ORDER BY ordinal LIMIT 50`,
      [document.id, cursor],
    );
    if (rows.length === 0) break;
    for (const row of rows) {
      if (chunks.length > 0 && used + row.text.length > maxChars) {
        next = row.ordinal;
        break;
      }
      const text = row.text.length > maxChars ? row.text.slice(0, maxChars) : row.text;
      used += text.length;
      chunks.push({
        chunkId: row.id,
        ordinal: row.ordinal,
        text,
        sectionPath: row.section_path ?? [],
        pageStart: row.page_start,
        pageEnd: row.page_end,
      });
      cursor = row.ordinal + 1;
    }
    if (next !== null || rows.length < 50) break;
  }
  return {
    documentId: document.id,
    title: document.title,
    uri: document.uri,
    mediaType: document.media_type,
    sensitivity: document.sensitivity,
    chunkCount: document.chunks,
    chunks,
    nextChunk: next,
  };
}
