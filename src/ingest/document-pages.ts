import type { Queryable } from '../store/index.ts';

/** One document's parsed text per page, rebuilt from its chunks (pages without a number count as page 1). */
export interface DocumentPages {
  readonly documentId: string;
  readonly title: string;
  readonly sourceRef: string;
  readonly mediaType: string;
  /** True when any page was OCRed (scans, photos). */
  readonly ocr: boolean;
  readonly ocrPageCount: number;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly pages: readonly { readonly page: number; readonly text: string }[];
}

/**
 * The parsed pages of these documents, limited to `readableIds` (from protect's `readableDocumentIds`, or
 * every id for a workflow acting for the local operator): a page of any other document is never returned.
 * Workflows that hand documents to a pure assessment (claims) read them here, not from ingest's tables.
 */
export async function documentPages(
  db: Queryable,
  documentIds: readonly string[],
  readableIds: readonly string[],
): Promise<Map<string, DocumentPages>> {
  const out = new Map<string, DocumentPages>();
  const ids = documentIds.filter((id) => readableIds.includes(id));
  if (ids.length === 0) return out;
  const docs = await db.query<{
    id: string;
    title: string;
    source_ref: string;
    media_type: string;
    ocr_pages: number;
    metadata: Record<string, unknown>;
  }>(
    `SELECT id, title, source_ref, media_type, jsonb_array_length(ocr_pages) AS ocr_pages, metadata
       FROM documents WHERE id = ANY($1::text[]) AND status = 'indexed'`,
    [ids],
  );
  const chunks = await db.query<{ document_id: string; page: number; text: string }>(
    `SELECT document_id, coalesce(page_start, 1) AS page, text FROM chunks
      WHERE document_id = ANY($1::text[]) ORDER BY document_id, ordinal`,
    [ids],
  );
  const pagesOf = new Map<string, Map<number, string[]>>();
  for (const row of chunks.rows) {
    const pages = pagesOf.get(row.document_id) ?? new Map<number, string[]>();
    pagesOf.set(row.document_id, pages);
    const texts = pages.get(Number(row.page)) ?? [];
    pages.set(Number(row.page), texts);
    texts.push(row.text);
  }
  for (const row of docs.rows) {
    const pages = [...(pagesOf.get(row.id) ?? new Map<number, string[]>()).entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([page, texts]) => ({ page, text: texts.join('\n') }));
    out.set(row.id, {
      documentId: row.id,
      title: row.title,
      sourceRef: row.source_ref,
      mediaType: row.media_type,
      ocr: Number(row.ocr_pages) > 0,
      ocrPageCount: Number(row.ocr_pages),
      metadata: row.metadata ?? {},
      pages,
    });
  }
  return out;
}

/** Where each of these files of a source stands: its live document (id, status) — absent: not ingested (yet). */
export async function documentsByRefs(
  db: Queryable,
  sourceId: string,
  refs: readonly string[],
): Promise<Map<string, { readonly id: string; readonly status: string; readonly sizeBytes: number | null }>> {
  if (refs.length === 0) return new Map();
  const { rows } = await db.query<{ id: string; source_ref: string; status: string; size_bytes: string | null }>(
    `SELECT id, source_ref, status, size_bytes FROM documents
      WHERE source_id = $1 AND source_ref = ANY($2::text[]) AND parent_id IS NULL`,
    [sourceId, [...refs]],
  );
  return new Map(
    rows.map((r) => [
      r.source_ref,
      { id: r.id, status: r.status, sizeBytes: r.size_bytes === null ? null : Number(r.size_bytes) },
    ]),
  );
}
