import type { Caller } from '../core/index.ts';
import { chunkSnippets, documentTitles } from '../ingest/index.ts';
import { readableDocumentIds, withheldNoLongerReadable } from '../protect/index.ts';
import type { Queryable } from '../store/index.ts';

/**
 * Reading traces, with the access rules in SQL.
 *
 * - admins and callers that see everything: every trace;
 * - reviewers and builders: their own traces and the traces of the use cases they review, exactly
 *   `access.reviewableUseCases` — the edge passes the use cases they may use (the answer feature's
 *   `usableUseCaseNames`, which owns use-case access); without a list, only their own (deny by default);
 * - everyone else: their own traces (`caller_id = caller.id`).
 *
 * A trace stores chunk ids and scores, never chunk text. When a trace is shown, document titles and chunk
 * snippets are joined in for the documents the reader may read *now* (protect's `readableDocumentIds`, in
 * SQL; titles and snippets through ingest's read functions); the others appear as "[restricted document]" — "withheld: no longer readable" in the reader's own
 * traces — with opaque ids instead of theirs. The answer text is withheld from everyone, the asker included,
 * when it cites or was built from a document the reader may not read now.
 */
export interface TraceAccess {
  /**
   * Use cases whose traces this reader reviews (reviewer and builder roles): the edges pass the use cases the
   * reader may use (answer's `usableUseCaseNames`). Absent: the reader sees only their own traces.
   */
  readonly reviewableUseCases?: readonly string[];
}

export interface TraceFilters {
  readonly useCase?: string;
  /** Caller id (`user:alice@example.com`). */
  readonly user?: string;
  readonly outcome?: string;
  readonly operation?: string;
  readonly since?: Date;
  readonly until?: Date;
  /** Default 50, at most 500. */
  readonly limit?: number;
}

export interface TraceSummary {
  readonly id: string;
  readonly operation: string;
  readonly name: string;
  readonly callerId: string | null;
  readonly useCase: string | null;
  readonly promptVersion: string | null;
  readonly model: string | null;
  readonly provider: string | null;
  readonly startedAt: Date;
  readonly durationMs: number;
  readonly status: 'ok' | 'error';
  readonly outcome: string;
  readonly errorCode: string | null;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly embeddingTokens: number;
  readonly costUsd: number;
  readonly confidence: number | null;
  readonly contextNearLimit: boolean;
}

export interface RetrievedChunkView {
  readonly chunkId: string;
  readonly documentId: string;
  readonly score?: number;
  readonly n?: number;
  /** Document title, or "[restricted document]" / "withheld: no longer readable" (ids then opaque too). */
  readonly title: string;
  /** First characters of the chunk, only when the reader may read it. */
  readonly snippet?: string;
  readonly restricted: boolean;
}

export interface SpanView {
  readonly spanId: string;
  readonly parentSpanId: string | null;
  readonly name: string;
  readonly startedAt: Date;
  readonly durationMs: number;
  /** Milliseconds from the trace start. */
  readonly offsetMs: number;
  readonly status: 'ok' | 'error';
  readonly errorCode: string | null;
  readonly errorMessage: string | null;
  readonly model: string | null;
  readonly provider: string | null;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly embeddingTokens: number;
  readonly costUsd: number;
  readonly contextNearLimit: boolean;
  readonly attributes: Record<string, unknown>;
  readonly retrieved?: readonly RetrievedChunkView[];
  readonly citations?: readonly RetrievedChunkView[];
}

export interface TraceDetail extends TraceSummary {
  readonly endedAt: Date;
  readonly callerSeesEverything: boolean;
  readonly question: string | null;
  readonly answer: string | null;
  /** Why the answer is absent: `retention` (not kept) or `restricted` (cites documents the reader may not read now). */
  readonly answerWithheld?: 'retention' | 'restricted';
  readonly textRetention: string;
  readonly attributes: Record<string, unknown>;
  readonly spans: readonly SpanView[];
}

export const restrictedDocumentTitle = '[restricted document]';

type TraceDbRow = {
  id: string;
  operation: string;
  name: string;
  caller_id: string | null;
  caller_sees_everything: boolean;
  use_case: string | null;
  prompt_version: string | null;
  model: string | null;
  provider: string | null;
  started_at: Date;
  ended_at: Date;
  duration_ms: number;
  status: 'ok' | 'error';
  outcome: string;
  error_code: string | null;
  input_tokens: string | number;
  output_tokens: string | number;
  embedding_tokens: string | number;
  cost_usd: number;
  confidence: number | null;
  context_near_limit: boolean;
  question: string | null;
  answer: string | null;
  text_retention: string;
  attributes: Record<string, unknown>;
};

/** The visibility predicate, with its parameters appended to `params`. */
function visibility(caller: Caller, access: TraceAccess, params: unknown[]): string {
  if (caller.seesEverything || caller.role === 'admin') return 'true';
  params.push(caller.id);
  const own = `caller_id = $${params.length}`;
  if (caller.role === 'reviewer' || caller.role === 'builder') {
    if (!access.reviewableUseCases || access.reviewableUseCases.length === 0) return own;
    params.push(access.reviewableUseCases);
    return `(${own} OR use_case = ANY($${params.length}::text[]))`;
  }
  return own;
}

function toSummary(row: TraceDbRow): TraceSummary {
  return {
    id: row.id,
    operation: row.operation,
    name: row.name,
    callerId: row.caller_id,
    useCase: row.use_case,
    promptVersion: row.prompt_version,
    model: row.model,
    provider: row.provider,
    startedAt: new Date(row.started_at),
    durationMs: Number(row.duration_ms),
    status: row.status,
    outcome: row.outcome,
    errorCode: row.error_code,
    inputTokens: Number(row.input_tokens),
    outputTokens: Number(row.output_tokens),
    embeddingTokens: Number(row.embedding_tokens),
    costUsd: Number(row.cost_usd),
    confidence: row.confidence === null ? null : Number(row.confidence),
    contextNearLimit: row.context_near_limit,
  };
}

const summaryColumns = `id, operation, name, caller_id, caller_sees_everything, use_case, prompt_version, model, provider,
  started_at, ended_at, duration_ms, status, outcome, error_code, input_tokens, output_tokens, embedding_tokens, cost_usd,
  confidence, context_near_limit`;

/** Traces the caller may see, newest first. */
export async function listTraces(
  db: Queryable,
  caller: Caller,
  filters: TraceFilters = {},
  access: TraceAccess = {},
): Promise<TraceSummary[]> {
  const params: unknown[] = [];
  const where = [visibility(caller, access, params)];
  const add = (sql: (n: number) => string, value: unknown) => {
    params.push(value);
    where.push(sql(params.length));
  };
  if (filters.useCase) add((n) => `use_case = $${n}`, filters.useCase);
  if (filters.user) add((n) => `caller_id = $${n}`, filters.user);
  if (filters.outcome) add((n) => `outcome = $${n}`, filters.outcome);
  if (filters.operation) add((n) => `operation = $${n}`, filters.operation);
  if (filters.since) add((n) => `started_at >= $${n}`, filters.since);
  if (filters.until) add((n) => `started_at < $${n}`, filters.until);
  params.push(Math.min(Math.max(1, Math.floor(filters.limit ?? 50)), 500));
  const result = await db.query<TraceDbRow>(
    `SELECT ${summaryColumns} FROM traces WHERE ${where.join(' AND ')} ORDER BY started_at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  return result.rows.map(toSummary);
}

interface ChunkRef {
  chunkId: string;
  documentId: string;
  score?: number;
  n?: number;
}

function chunkRefs(value: unknown): ChunkRef[] {
  if (!Array.isArray(value)) return [];
  const out: ChunkRef[] = [];
  for (const item of value) {
    if (!item || typeof item !== 'object') continue;
    const entry = item as Record<string, unknown>;
    if (typeof entry.chunkId !== 'string' || typeof entry.documentId !== 'string') continue;
    out.push({
      chunkId: entry.chunkId,
      documentId: entry.documentId,
      ...(typeof entry.score === 'number' ? { score: entry.score } : {}),
      ...(typeof entry.n === 'number' ? { n: entry.n } : {}),
    });
  }
  return out;
}

/**
 * The documents each trace retrieved or cited (from its spans), for views that show text recorded with a
 * trace (production candidates) and must check the reader's current access to them.
 */
export async function traceDocumentIds(db: Queryable, traceIds: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (traceIds.length === 0) return out;
  const { rows } = await db.query<{ trace_id: string; attributes: Record<string, unknown> }>(
    `SELECT trace_id, attributes FROM spans WHERE trace_id = ANY($1::text[])
       AND (attributes ? 'groundwork.retrieved' OR attributes ? 'groundwork.citations')`,
    [[...new Set(traceIds)]],
  );
  for (const row of rows) {
    const ids = [...chunkRefs(row.attributes['groundwork.retrieved']), ...chunkRefs(row.attributes['groundwork.citations'])].map(
      (ref) => ref.documentId,
    );
    out.set(row.trace_id, [...new Set([...(out.get(row.trace_id) ?? []), ...ids])]);
  }
  return out;
}

/**
 * Of `traceIds`, those that retrieved or cited a document `reader` may not read now: text recorded with them
 * (answers, feedback comments, candidate answers) must be withheld from this reader.
 */
export async function tracesWithUnreadableDocuments(
  db: Queryable,
  reader: Pick<Caller, 'principals' | 'seesEverything'>,
  traceIds: readonly string[],
): Promise<Set<string>> {
  const documents = await traceDocumentIds(db, traceIds);
  const readable = await readableDocumentIds(db, reader, [...documents.values()].flat());
  return new Set([...documents].filter(([, ids]) => ids.some((id) => !readable.has(id))).map(([traceId]) => traceId));
}

/** One trace with its spans, or undefined when it does not exist or the caller may not see it (indistinguishable). */
export async function getTrace(
  db: Queryable,
  caller: Caller,
  id: string,
  access: TraceAccess = {},
): Promise<TraceDetail | undefined> {
  const params: unknown[] = [id];
  const trace = (
    await db.query<TraceDbRow>(
      `SELECT ${summaryColumns}, question, answer, text_retention, attributes FROM traces
       WHERE id = $1 AND ${visibility(caller, access, params)}`,
      params,
    )
  ).rows[0];
  if (!trace) return undefined;
  const spanRows = (
    await db.query<{
      span_id: string;
      parent_span_id: string | null;
      name: string;
      started_at: Date;
      duration_ms: number;
      status: 'ok' | 'error';
      error_code: string | null;
      error_message: string | null;
      model: string | null;
      provider: string | null;
      input_tokens: string | number;
      output_tokens: string | number;
      embedding_tokens: string | number;
      cost_usd: number;
      context_near_limit: boolean;
      attributes: Record<string, unknown>;
    }>(
      `SELECT span_id, parent_span_id, name, started_at, duration_ms, status, error_code, error_message, model, provider,
         input_tokens, output_tokens, embedding_tokens, cost_usd, context_near_limit, attributes
       FROM spans WHERE trace_id = $1 ORDER BY started_at, span_id`,
      [id],
    )
  ).rows;

  // Which referenced documents may this reader read NOW? An ACL change since the request applies to old
  // traces too (the asker's own included): titles, snippets and ids of the others are withheld.
  const refs = spanRows.flatMap((row) => [
    ...chunkRefs(row.attributes['groundwork.retrieved']),
    ...chunkRefs(row.attributes['groundwork.citations']),
  ]);
  const readable = await readableDocumentIds(
    db,
    caller,
    refs.map((ref) => ref.documentId),
  );
  const titles = await documentTitles(db, [...readable]);
  const snippets = await chunkSnippets(
    db,
    refs.map((ref) => ref.chunkId),
    [...readable],
  );
  const ownTrace = trace.caller_id === caller.id;
  // Opaque stand-ins, stable within this view, so "cited" still lines up with "retrieved".
  const placeholders = new Map<string, string>();
  const placeholder = (id: string, kind: 'chunk' | 'document') => {
    const key = `${kind}:${id}`;
    let value = placeholders.get(key);
    if (!value) {
      value = `withheld:${kind}-${placeholders.size + 1}`;
      placeholders.set(key, value);
    }
    return value;
  };
  const view = (ref: ChunkRef): RetrievedChunkView => {
    const title = readable.has(ref.documentId) ? titles.get(ref.documentId) : undefined;
    if (title === undefined) {
      return {
        ...ref,
        chunkId: placeholder(ref.chunkId, 'chunk'),
        documentId: placeholder(ref.documentId, 'document'),
        title: ownTrace ? withheldNoLongerReadable : restrictedDocumentTitle,
        restricted: true,
      };
    }
    const snippet = snippets.get(ref.chunkId);
    return { ...ref, title, ...(snippet === undefined ? {} : { snippet }), restricted: false };
  };
  const traceStart = new Date(trace.started_at).getTime();
  let restrictedSources = false;
  const spans: SpanView[] = spanRows.map((row) => {
    const retrieved = chunkRefs(row.attributes['groundwork.retrieved']).map(view);
    const citations = chunkRefs(row.attributes['groundwork.citations']).map(view);
    if ([...retrieved, ...citations].some((item) => item.restricted)) restrictedSources = true;
    const { 'groundwork.retrieved': _r, 'groundwork.citations': _c, ...attributes } = row.attributes;
    return {
      spanId: row.span_id,
      parentSpanId: row.parent_span_id,
      name: row.name,
      startedAt: new Date(row.started_at),
      durationMs: Number(row.duration_ms),
      offsetMs: new Date(row.started_at).getTime() - traceStart,
      status: row.status,
      errorCode: row.error_code,
      errorMessage: row.error_message,
      model: row.model,
      provider: row.provider,
      inputTokens: Number(row.input_tokens),
      outputTokens: Number(row.output_tokens),
      embeddingTokens: Number(row.embedding_tokens),
      costUsd: Number(row.cost_usd),
      contextNearLimit: row.context_near_limit,
      attributes,
      ...(retrieved.length > 0 ? { retrieved } : {}),
      ...(citations.length > 0 ? { citations } : {}),
    };
  });
  const withholdAnswer = restrictedSources && trace.answer !== null;
  const { 'groundwork.retrieved': _r, 'groundwork.citations': _c, ...rootAttributes } = trace.attributes;
  return {
    ...toSummary(trace),
    endedAt: new Date(trace.ended_at),
    callerSeesEverything: trace.caller_sees_everything,
    question: trace.question,
    answer: withholdAnswer ? null : trace.answer,
    ...(withholdAnswer
      ? { answerWithheld: 'restricted' as const }
      : trace.answer === null && trace.operation === 'answer'
        ? { answerWithheld: 'retention' as const }
        : {}),
    textRetention: trace.text_retention,
    attributes: rootAttributes,
    spans,
  };
}

/**
 * The priced cost of traces by id (USD), for evaluation runs whose answerer does not report cost itself. No
 * content: ids and numbers only.
 */
export async function traceCosts(db: Queryable, traceIds: readonly string[]): Promise<Map<string, number>> {
  if (traceIds.length === 0) return new Map();
  const { rows } = await db.query<{ id: string; cost_usd: number }>(
    'SELECT id, cost_usd FROM traces WHERE id = ANY($1::text[])',
    [[...new Set(traceIds)]],
  );
  return new Map(rows.map((row) => [row.id, Number(row.cost_usd)]));
}

/**
 * The recorded question (and answer) of traces that kept one, with the principals the asker held, for the
 * evaluation feature's production candidates (shown later only to viewers holding those principals, with
 * answers withheld by `tracesWithUnreadableDocuments`). Traces without a question are absent.
 */
export async function traceQuestions(
  db: Queryable,
  traceIds: readonly string[],
): Promise<Map<string, { question: string; answer: string | null; callerPrincipals: string[] }>> {
  if (traceIds.length === 0) return new Map();
  const { rows } = await db.query<{ id: string; question: string; answer: string | null; principals: unknown }>(
    `SELECT id, question, answer, attributes->'groundwork.caller.principals' AS principals
       FROM traces WHERE id = ANY($1::text[]) AND question IS NOT NULL`,
    [[...new Set(traceIds)]],
  );
  return new Map(
    rows.map((row) => [
      row.id,
      {
        question: row.question,
        answer: row.answer,
        callerPrincipals: Array.isArray(row.principals) ? row.principals.filter((p): p is string => typeof p === 'string') : [],
      },
    ]),
  );
}

/**
 * Who asked an answer trace, in which use case and how it came out (ids and numbers, no text), for the review
 * sampler that enqueues an answer when negative feedback arrives later. Traces that are not answers are absent.
 */
export async function answerTraceFacts(
  db: Queryable,
  traceIds: readonly string[],
): Promise<
  Map<string, { useCase: string; callerId: string; confidence: number | null; refused: boolean; textRetention: string }>
> {
  if (traceIds.length === 0) return new Map();
  const { rows } = await db.query<{
    id: string;
    use_case: string;
    caller_id: string;
    confidence: number | null;
    outcome: string;
    text_retention: string;
  }>(
    `SELECT id, use_case, caller_id, confidence, outcome, text_retention FROM traces
      WHERE id = ANY($1::text[]) AND operation = 'answer' AND use_case IS NOT NULL AND caller_id IS NOT NULL`,
    [[...new Set(traceIds)]],
  );
  return new Map(
    rows.map((row) => [
      row.id,
      {
        useCase: row.use_case,
        callerId: row.caller_id,
        confidence: row.confidence === null ? null : Number(row.confidence),
        refused: row.outcome === 'refused',
        textRetention: row.text_retention,
      },
    ]),
  );
}
