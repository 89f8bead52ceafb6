import type { IdGenerator } from '../../core/index.ts';
import type { Queryable } from '../../store/index.ts';
import type { SidecarMetadata } from '../sources/source.ts';
import { childSeparator, type PreparedDocument } from './prepare-document.ts';

/** Where and what a top-level document is in its source. */
export interface DocumentPlacement {
  readonly sourceId: string;
  readonly runId: string;
  readonly ref: string;
  readonly uri: string;
  readonly version: string;
  readonly sidecarVersion: string | undefined;
  readonly sidecar: SidecarMetadata | undefined;
  readonly modifiedAt: Date;
  readonly fingerprint: string;
  /** The row to overwrite (a changed document, or the old row of a renamed one); absent = new. */
  readonly existingId: string | undefined;
}

export interface WriteResult {
  readonly documentId: string;
  /** Chunks written, children included. */
  readonly chunks: number;
  /** Documents written, the document itself and its descendants. */
  readonly documents: number;
}

/**
 * Writes a prepared document, its chunks and its children, replacing whatever the row had. Run inside one
 * transaction: readers never see half a document, and a crash leaves either the old or the new version.
 * `vectors` maps chunk content hash → pgvector literal (absent without an embedding model).
 */
export async function writeDocument(
  tx: Queryable,
  placement: DocumentPlacement,
  prepared: PreparedDocument,
  vectors: ReadonlyMap<string, string> | undefined,
  ids: IdGenerator,
): Promise<WriteResult> {
  let documentId = placement.existingId;
  if (!documentId) {
    // A row for this ref may exist that the plan did not know of (a run killed after its commit, racing syncs).
    const found = await tx.query<{ id: string }>('SELECT id FROM documents WHERE source_id = $1 AND source_ref = $2', [
      placement.sourceId,
      placement.ref,
    ]);
    documentId = found.rows[0]?.id;
  }
  const fields = [
    placement.ref,
    placement.uri,
    placement.version,
    prepared.contentHash,
    prepared.title,
    prepared.mediaType,
    prepared.sizeBytes,
    placement.modifiedAt,
    prepared.principals,
    prepared.principalsDetermined,
    prepared.sensitivity,
    JSON.stringify(prepared.metadata),
    JSON.stringify(prepared.warnings),
    JSON.stringify(prepared.piiSummary),
    prepared.chunks.length,
    placement.sidecarVersion ?? null,
    placement.sidecar ? JSON.stringify(placement.sidecar) : null,
    placement.runId,
    placement.fingerprint,
    JSON.stringify(prepared.ocrPageInfo),
    ocrReviewPages(prepared),
  ];
  if (documentId) {
    await tx.query('DELETE FROM documents WHERE parent_id = $1', [documentId]);
    await tx.query('DELETE FROM chunks WHERE document_id = $1', [documentId]);
    await tx.query(
      `UPDATE documents SET source_ref = $2, uri = $3, version = $4, content_hash = $5, title = $6, media_type = $7,
         size_bytes = $8, source_modified_at = $9, principals = $10, principals_determined = $11, sensitivity = $12,
         metadata = $13, warnings = $14, pii_summary = $15, chunk_count = $16, sidecar_version = $17, sidecar = $18,
         run_id = $19, pipeline_fingerprint = $20, ocr_pages = $21, ocr_review_pages = $22, status = 'indexed', indexed_at = now(), updated_at = now()
       WHERE id = $1`,
      [documentId, ...fields],
    );
  } else {
    documentId = ids('doc');
    await tx.query(
      `INSERT INTO documents (id, source_id, source_ref, uri, version, content_hash, title, media_type, size_bytes,
         source_modified_at, principals, principals_determined, sensitivity, metadata, warnings, pii_summary,
         chunk_count, sidecar_version, sidecar, run_id, pipeline_fingerprint, ocr_pages, ocr_review_pages, status, indexed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23,
         'indexed', now())`,
      [documentId, placement.sourceId, ...fields],
    );
  }
  let chunks = await insertChunks(tx, documentId, placement.sourceId, prepared, vectors, ids);
  let documents = 1;
  const stack: { parentId: string; parentUri: string; doc: PreparedDocument }[] = prepared.children.map((doc) => ({
    parentId: documentId as string,
    parentUri: placement.uri,
    doc,
  }));
  while (stack.length > 0) {
    const { parentId, parentUri, doc } = stack.shift() as (typeof stack)[number];
    const childId = ids('doc');
    const memberPath = doc.ref.slice(doc.ref.lastIndexOf(childSeparator) + childSeparator.length);
    const uri = `${parentUri}${childSeparator}${memberPath}`;
    await tx.query(
      `INSERT INTO documents (id, source_id, source_ref, parent_id, uri, content_hash, title, media_type, size_bytes,
         source_modified_at, principals, principals_determined, sensitivity, metadata, warnings, pii_summary,
         chunk_count, run_id, pipeline_fingerprint, ocr_pages, ocr_review_pages, status, indexed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, 'indexed', now())`,
      [
        childId,
        placement.sourceId,
        doc.ref,
        parentId,
        uri,
        doc.contentHash,
        doc.title,
        doc.mediaType,
        doc.sizeBytes,
        placement.modifiedAt,
        doc.principals,
        doc.principalsDetermined,
        doc.sensitivity,
        JSON.stringify(doc.metadata),
        JSON.stringify(doc.warnings),
        JSON.stringify(doc.piiSummary),
        doc.chunks.length,
        placement.runId,
        placement.fingerprint,
        JSON.stringify(doc.ocrPageInfo),
        ocrReviewPages(doc),
      ],
    );
    chunks += await insertChunks(tx, childId, placement.sourceId, doc, vectors, ids);
    documents += 1;
    for (const grandchild of doc.children) stack.push({ parentId: childId, parentUri: uri, doc: grandchild });
  }
  return { documentId, chunks, documents };
}

const chunkBatch = 500;

/** OCRed pages that need a person's look: low confidence or nothing readable (`documents.ocr_review_pages`). */
function ocrReviewPages(doc: PreparedDocument): number {
  return doc.ocrPageInfo.filter((page) => page.ocr.lowConfidence).length;
}

async function insertChunks(
  tx: Queryable,
  documentId: string,
  sourceId: string,
  doc: PreparedDocument,
  vectors: ReadonlyMap<string, string> | undefined,
  ids: IdGenerator,
): Promise<number> {
  for (let start = 0; start < doc.chunks.length; start += chunkBatch) {
    const slice = doc.chunks.slice(start, start + chunkBatch);
    // Arrays per column through unnest: one round trip per batch. section_path travels as JSON because
    // unnest would flatten a two-dimensional text array.
    await tx.query(
      `INSERT INTO chunks (id, document_id, source_id, ordinal, text, section_path, page_start, page_end, token_count,
         content_hash, principals, sensitivity, pii, embedding, injection_spans, injection_suspected)
       SELECT c.id, $1, $2, c.ordinal, c.text, ARRAY(SELECT jsonb_array_elements_text(c.section_path::jsonb)),
         c.page_start, c.page_end, c.token_count, c.content_hash, $3::text[], $4, c.pii::jsonb, c.embedding::vector,
         c.injection::jsonb, jsonb_array_length(c.injection::jsonb) > 0
       FROM unnest($5::text[], $6::int[], $7::text[], $8::text[], $9::int[], $10::int[], $11::int[], $12::text[],
         $13::text[], $14::text[], $15::text[])
         AS c(id, ordinal, text, section_path, page_start, page_end, token_count, content_hash, pii, embedding, injection)`,
      [
        documentId,
        sourceId,
        doc.principals,
        doc.sensitivity,
        slice.map(() => ids('chk')),
        slice.map((chunk) => chunk.ordinal),
        slice.map((chunk) => chunk.text),
        slice.map((chunk) => JSON.stringify(chunk.sectionPath)),
        slice.map((chunk) => chunk.pageStart ?? null),
        slice.map((chunk) => chunk.pageEnd ?? null),
        slice.map((chunk) => chunk.tokenCount),
        slice.map((chunk) => chunk.contentHash),
        slice.map((chunk) => JSON.stringify(chunk.pii)),
        slice.map((chunk) => vectors?.get(chunk.contentHash) ?? null),
        slice.map((chunk) => JSON.stringify(chunk.injection)),
      ],
    );
  }
  return doc.chunks.length;
}

/** Records the new place of a renamed document (and its children) without re-parsing. One transaction. */
export async function renameDocument(
  tx: Queryable,
  documentId: string,
  oldRef: string,
  placement: Omit<DocumentPlacement, 'existingId' | 'fingerprint' | 'sidecar'>,
): Promise<void> {
  await tx.query(
    `UPDATE documents SET source_ref = $2, uri = $3, version = $4, sidecar_version = $5, source_modified_at = $6,
       run_id = $7, updated_at = now() WHERE id = $1`,
    [
      documentId,
      placement.ref,
      placement.uri,
      placement.version,
      placement.sidecarVersion ?? null,
      placement.modifiedAt,
      placement.runId,
    ],
  );
  const prefix = `${oldRef}${childSeparator}`;
  await tx.query(
    `UPDATE documents SET source_ref = $3 || substr(source_ref, length($2) + 1),
       uri = $4 || substr(source_ref, length($2) + 1), updated_at = now()
     WHERE source_id = $1 AND left(source_ref, length($2)) = $2`,
    [placement.sourceId, prefix, `${placement.ref}${childSeparator}`, `${placement.uri}${childSeparator}`],
  );
}
