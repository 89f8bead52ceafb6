import type { AclRuleWarning } from '../protect/index.ts';
import type { Queryable } from '../store/index.ts';

/** One sync run as reported by status. */
export interface RunReport {
  readonly id: string;
  readonly status: string;
  readonly startedAt: Date;
  readonly finishedAt: Date | null;
  readonly counts: Record<string, number>;
  readonly error: string | null;
}

/** Ingestion health of one source (`groundwork status`). Durations in seconds. */
export interface SourceStatus {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly path: string | undefined;
  /** Documents, children (archive members, attachments) included. */
  readonly documents: number;
  readonly chunks: number;
  readonly lastSuccessAt: Date | null;
  readonly lastSyncAt: Date | null;
  /** Time from a file's modification in the source to its indexing: worst and median over indexed documents. */
  readonly updateLagSeconds: { readonly worst: number | null; readonly median: number | null };
  readonly documentsByStatus: Readonly<Record<string, number>>;
  /** Failed and interrupted runs ever recorded, and the last failure's message. */
  readonly failures: {
    readonly failedRuns: number;
    readonly interruptedRuns: number;
    readonly lastError: string | null;
    /**
     * The code of the last failure (e.g. `ingest.source_auth_failed`, `ingest.source_unreachable`,
     * `ingest.source_throttled`, `ingest.source_bad_response`, `ingest.cursor_expired`), null when none.
     */
    readonly lastErrorCode?: string | null;
    /** True when the last finished run failed (the source is failing now, not only in the past). */
    readonly failing?: boolean;
  };
  readonly quarantine: { readonly total: number; readonly byCode: Readonly<Record<string, number>> };
  /** Documents whose principals nothing explicit decided (deny by default: readable by no principal). */
  readonly undeterminedPrincipals: number;
  /**
   * Documents no principal may read (undetermined, or explicitly `principals: []`): no API key — admin keys
   * included — finds them; only the local operator on the server does. Fix: an ACL map or `--readable-by`.
   */
  readonly unreadableDocuments: number;
  /** ACL rules that matched files in the last finished sync but decided none (a later rule replaced them). */
  readonly aclWarnings: readonly AclRuleWarning[];
  /**
   * The ACL map file differed from the approved copy in the last finished sync (governed `source.acl`): the
   * approved copy was applied; the edit needs a change request. Null when it did not.
   */
  readonly aclMapDrift: { readonly path: string; readonly message: string } | null;
  /**
   * Indexed documents with OCRed pages to review (confidence below 0.6, or nothing readable), and those pages.
   * `groundwork documents list --ocr-review` lists the documents; `documents show` their pages.
   */
  readonly ocrReview: { readonly documents: number; readonly pages: number };
  readonly sensitivity: Readonly<Record<string, number>>;
  /**
   * Chunks with instruction-like text (prompt injection suspected) and the documents holding them; `unscanned`
   * chunks predate the detector and are scanned by the source's next sync.
   */
  readonly injectionSuspected: { readonly chunks: number; readonly documents: number; readonly unscanned: number };
  readonly lastRun: RunReport | null;
  readonly running: RunReport | null;
}

/** Status of every source (or of one, by id). Read-only, aggregate numbers only (no document content). */
export async function ingestStatus(db: Queryable, options: { sourceId?: string } = {}): Promise<SourceStatus[]> {
  const sources = await db.query<{
    id: string;
    name: string;
    type: string;
    config: { path?: string };
    last_success_at: Date | null;
    last_sync_at: Date | null;
  }>(
    `SELECT id, name, type, config, last_success_at, last_sync_at FROM sources
     WHERE ($1::text IS NULL OR id = $1) ORDER BY name`,
    [options.sourceId ?? null],
  );
  const out: SourceStatus[] = [];
  for (const source of sources.rows) {
    const [docs, lag, chunks, quarantine, runs, last, running] = await Promise.all([
      db.query<{
        status: string;
        sensitivity: string;
        undetermined: number;
        unreadable: number;
        review_documents: number;
        review_pages: number;
        n: number;
      }>(
        `SELECT status, sensitivity, count(*) FILTER (WHERE NOT principals_determined)::int AS undetermined,
           count(*) FILTER (WHERE principals = '{}')::int AS unreadable,
           count(*) FILTER (WHERE ocr_review_pages > 0)::int AS review_documents,
           coalesce(sum(ocr_review_pages), 0)::int AS review_pages, count(*)::int AS n
         FROM documents WHERE source_id = $1 GROUP BY status, sensitivity`,
        [source.id],
      ),
      db.query<{ worst: number | null; median: number | null }>(
        `SELECT max(lag) AS worst, percentile_cont(0.5) WITHIN GROUP (ORDER BY lag) AS median
         FROM (SELECT greatest(0, extract(epoch FROM indexed_at - source_modified_at))::float8 AS lag
               FROM documents WHERE source_id = $1 AND status = 'indexed' AND source_modified_at IS NOT NULL
                 AND indexed_at IS NOT NULL) l`,
        [source.id],
      ),
      db.query<{ n: number; suspected: number; suspected_documents: number; unscanned: number }>(
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE injection_suspected)::int AS suspected,
           count(DISTINCT document_id) FILTER (WHERE injection_suspected)::int AS suspected_documents,
           count(*) FILTER (WHERE injection_spans IS NULL)::int AS unscanned
         FROM chunks WHERE source_id = $1`,
        [source.id],
      ),
      db.query<{ error_code: string; n: number }>(
        'SELECT error_code, count(*)::int AS n FROM quarantine WHERE source_id = $1 GROUP BY error_code ORDER BY error_code',
        [source.id],
      ),
      db.query<{ status: string; n: number }>(
        'SELECT status, count(*)::int AS n FROM sync_runs WHERE source_id = $1 GROUP BY status',
        [source.id],
      ),
      db.query<RunRow>(
        `SELECT id, status, started_at, finished_at, counts, error, acl_warnings FROM sync_runs
         WHERE source_id = $1 AND status <> 'running' ORDER BY started_at DESC LIMIT 1`,
        [source.id],
      ),
      db.query<RunRow>(
        `SELECT id, status, started_at, finished_at, counts, error, acl_warnings FROM sync_runs
         WHERE source_id = $1 AND status = 'running' ORDER BY started_at DESC LIMIT 1`,
        [source.id],
      ),
    ]);
    const lastError = await db.query<{ error: string | null }>(
      `SELECT error FROM sync_runs WHERE source_id = $1 AND status IN ('failed', 'interrupted') ORDER BY started_at DESC LIMIT 1`,
      [source.id],
    );
    const byStatus: Record<string, number> = {};
    const sensitivity: Record<string, number> = {};
    let documents = 0;
    let undetermined = 0;
    let unreadable = 0;
    const ocrReview = { documents: 0, pages: 0 };
    for (const row of docs.rows) {
      documents += row.n;
      undetermined += row.undetermined;
      unreadable += row.unreadable;
      byStatus[row.status] = (byStatus[row.status] ?? 0) + row.n;
      if (row.status !== 'indexed') continue;
      sensitivity[row.sensitivity] = (sensitivity[row.sensitivity] ?? 0) + row.n;
      ocrReview.documents += row.review_documents;
      ocrReview.pages += row.review_pages;
    }
    const byCode: Record<string, number> = {};
    let quarantined = 0;
    for (const row of quarantine.rows) {
      byCode[row.error_code] = row.n;
      quarantined += row.n;
    }
    const runCount = (status: string) => runs.rows.find((row) => row.status === status)?.n ?? 0;
    out.push({
      id: source.id,
      name: source.name,
      type: source.type,
      path: source.config?.path,
      documents,
      chunks: chunks.rows[0]?.n ?? 0,
      lastSuccessAt: source.last_success_at,
      lastSyncAt: source.last_sync_at,
      updateLagSeconds: {
        worst: round(lag.rows[0]?.worst ?? null),
        median: round(lag.rows[0]?.median ?? null),
      },
      documentsByStatus: byStatus,
      failures: {
        failedRuns: runCount('failed'),
        interruptedRuns: runCount('interrupted'),
        lastError: lastError.rows[0]?.error ?? null,
        lastErrorCode: /^([a-z]+\.[a-z_]+):/.exec(lastError.rows[0]?.error ?? '')?.[1] ?? null,
        failing: last.rows[0]?.status === 'failed',
      },
      quarantine: { total: quarantined, byCode },
      undeterminedPrincipals: undetermined,
      unreadableDocuments: unreadable,
      aclWarnings: last.rows[0]?.acl_warnings ?? [],
      aclMapDrift: (last.rows[0]?.counts as { aclMapDrift?: SourceStatus['aclMapDrift'] } | undefined)?.aclMapDrift ?? null,
      ocrReview,
      sensitivity,
      injectionSuspected: {
        chunks: chunks.rows[0]?.suspected ?? 0,
        documents: chunks.rows[0]?.suspected_documents ?? 0,
        unscanned: chunks.rows[0]?.unscanned ?? 0,
      },
      lastRun: last.rows[0] ? toRun(last.rows[0]) : null,
      running: running.rows[0] ? toRun(running.rows[0]) : null,
    });
  }
  return out;
}

type RunRow = {
  id: string;
  status: string;
  started_at: Date;
  finished_at: Date | null;
  counts: Record<string, number>;
  error: string | null;
  acl_warnings: AclRuleWarning[];
};

function toRun(row: RunRow): RunReport {
  return {
    id: row.id,
    status: row.status,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    counts: row.counts,
    error: row.error,
  };
}

function round(value: number | null): number | null {
  return value === null ? null : Math.round(Number(value) * 10) / 10;
}

/**
 * A source's recent finished sync runs, newest first, with the files present after each (added + updated +
 * unchanged + renamed: what the source held when the run ended) — the pipeline dashboard's document count over
 * time. Aggregate numbers only.
 */
export async function sourceRunHistory(
  db: Queryable,
  sourceId: string,
  limit = 30,
): Promise<Array<RunReport & { readonly filesAfter: number | null }>> {
  const { rows } = await db.query<RunRow>(
    `SELECT id, status, started_at, finished_at, counts, error, acl_warnings FROM sync_runs
     WHERE source_id = $1 AND status <> 'running' ORDER BY started_at DESC LIMIT $2`,
    [sourceId, Math.min(Math.max(limit, 1), 500)],
  );
  return rows.map((row) => {
    const c = row.counts ?? {};
    const present = ['added', 'updated', 'unchanged', 'renamed'].map((k) => c[k]);
    return {
      ...toRun(row),
      filesAfter:
        (row.status === 'succeeded' || row.status === 'partial') && present.some((n) => typeof n === 'number')
          ? present.reduce<number>((s, n) => s + (n ?? 0), 0)
          : null,
    };
  });
}
