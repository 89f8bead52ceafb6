import type { Queryable } from '../store/index.ts';

/**
 * Spend from recorded traces, grouped by use case, user, model or day.
 *
 * A trace's cost is the sum of its spans: chat tokens, embeddings of the query, reranking, and — for sync
 * traces — embedding and OCR spend of ingestion. Ingestion appears under operation `sync` (use case empty),
 * so "the full cost of an answered question" is its answer trace plus its share of the sync spend shown here.
 * `by: 'model'` groups spans (a trace may call several models) and includes ingestion embeddings.
 */
export type CostGrouping = 'use-case' | 'user' | 'model' | 'day' | 'operation';

export interface CostReportOptions {
  readonly by: CostGrouping;
  readonly since: Date;
  readonly until?: Date;
}

export interface CostReportRow {
  readonly key: string;
  readonly requests: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly embeddingTokens: number;
  readonly costUsd: number;
  /** Mean cost per request (trace; per span for `by: 'model'`). */
  readonly costPerRequestUsd: number;
}

export interface CostReport {
  readonly by: CostGrouping;
  readonly since: Date;
  readonly until: Date | null;
  readonly rows: readonly CostReportRow[];
  readonly total: Omit<CostReportRow, 'key'>;
}

const groupExpression: Record<Exclude<CostGrouping, 'model'>, string> = {
  'use-case': `COALESCE(use_case, '(' || operation || ')')`,
  user: `COALESCE(caller_id, '(none)')`,
  day: `to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
  operation: 'operation',
};

export async function costReport(db: Queryable, options: CostReportOptions): Promise<CostReport> {
  const params = [options.since, options.until ?? null];
  const sql =
    options.by === 'model'
      ? `SELECT COALESCE(CASE WHEN provider IS NULL THEN model ELSE provider || ':' || model END, '(ocr)') AS key,
           count(*)::bigint AS requests, sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
           sum(embedding_tokens) AS embedding_tokens, sum(cost_usd) AS cost_usd
         FROM spans WHERE started_at >= $1 AND ($2::timestamptz IS NULL OR started_at < $2)
           AND (model IS NOT NULL OR cost_usd > 0)
         GROUP BY 1 ORDER BY cost_usd DESC, key`
      : `SELECT ${groupExpression[options.by]} AS key, count(*)::bigint AS requests, sum(input_tokens) AS input_tokens,
           sum(output_tokens) AS output_tokens, sum(embedding_tokens) AS embedding_tokens, sum(cost_usd) AS cost_usd
         FROM traces WHERE started_at >= $1 AND ($2::timestamptz IS NULL OR started_at < $2)
         GROUP BY 1 ORDER BY ${options.by === 'day' ? 'key DESC' : 'cost_usd DESC, key'}`;
  const result = await db.query<{
    key: string;
    requests: string | number;
    input_tokens: string | number | null;
    output_tokens: string | number | null;
    embedding_tokens: string | number | null;
    cost_usd: number | null;
  }>(sql, params);
  const rows = result.rows.map((row) => {
    const requests = Number(row.requests);
    const cost = Number(row.cost_usd ?? 0);
    return {
      key: row.key,
      requests,
      inputTokens: Number(row.input_tokens ?? 0),
      outputTokens: Number(row.output_tokens ?? 0),
      embeddingTokens: Number(row.embedding_tokens ?? 0),
      costUsd: cost,
      costPerRequestUsd: requests > 0 ? cost / requests : 0,
    };
  });
  const sum = (pick: (row: CostReportRow) => number) => rows.reduce((total, row) => total + pick(row), 0);
  const requests = sum((row) => row.requests);
  const costUsd = sum((row) => row.costUsd);
  return {
    by: options.by,
    since: options.since,
    until: options.until ?? null,
    rows,
    total: {
      requests,
      inputTokens: sum((row) => row.inputTokens),
      outputTokens: sum((row) => row.outputTokens),
      embeddingTokens: sum((row) => row.embeddingTokens),
      costUsd,
      costPerRequestUsd: requests > 0 ? costUsd / requests : 0,
    },
  };
}
