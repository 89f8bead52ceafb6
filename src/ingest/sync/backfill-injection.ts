import { detectInjection } from '../../protect/index.ts';
import type { Queryable } from '../../store/index.ts';

const batch = 500;

/**
 * Fills in `chunks.injection_spans` for chunks of a source written before the prompt-injection detector
 * existed (NULL after migration 0070). The detector reads only the chunk text, so nothing is parsed or
 * embedded again: a sync of a large source pays a text scan, not a re-ingest (OCR costs seconds per page).
 * Returns the number of chunks scanned. Each batch is its own statement; a crash leaves the rest NULL for
 * the next sync, and answers detect NULL chunks on the fly meanwhile.
 */
export async function backfillInjectionSpans(db: Queryable, sourceId: string, signal?: AbortSignal): Promise<number> {
  let scanned = 0;
  for (;;) {
    if (signal?.aborted) return scanned;
    const { rows } = await db.query<{ id: string; text: string }>(
      'SELECT id, text FROM chunks WHERE source_id = $1 AND injection_spans IS NULL ORDER BY id LIMIT $2',
      [sourceId, batch],
    );
    if (rows.length === 0) return scanned;
    await db.query(
      `UPDATE chunks SET injection_spans = c.spans::jsonb, injection_suspected = jsonb_array_length(c.spans::jsonb) > 0
       FROM unnest($1::text[], $2::text[]) AS c(id, spans) WHERE chunks.id = c.id`,
      [rows.map((row) => row.id), rows.map((row) => JSON.stringify(detectInjection(row.text)))],
    );
    scanned += rows.length;
  }
}
