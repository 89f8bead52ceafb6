import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { ApiError, api, type ChunkView, query, type SpanView, type TraceDetail, type TraceSummary } from '../api.ts';
import { Empty, ErrorBox, formatDate, formatMs, formatUsd } from '../components.tsx';

interface Filters {
  useCase: string;
  user: string;
  outcome: string;
  minCost: string;
}

/** Traces the caller may see (the API decides), filtered by use case, user, outcome and cost. */
export function TracesPage() {
  const [filters, setFilters] = useState<Filters>({ useCase: '', user: '', outcome: '', minCost: '' });
  const [traces, setTraces] = useState<TraceSummary[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async (f: Filters) => {
    try {
      const result = await api<{ traces: TraceSummary[] }>(
        `/v1/traces${query({ useCase: f.useCase, user: f.user, outcome: f.outcome, limit: 200 })}`,
      );
      setTraces(result.traces);
      setError(null);
    } catch (caught) {
      setError(caught);
    }
  }, []);

  useEffect(() => {
    void load({ useCase: '', user: '', outcome: '', minCost: '' });
  }, [load]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void load(filters);
  };
  const minCost = Number(filters.minCost) || 0;
  const shown = traces?.filter((t) => t.costUsd >= minCost) ?? null;
  const set = (key: keyof Filters) => (e: { target: { value: string } }) => setFilters({ ...filters, [key]: e.target.value });

  return (
    <section aria-labelledby="traces-title">
      <h1 id="traces-title">Traces</h1>
      <form className="card filters" onSubmit={submit}>
        <div>
          <label htmlFor="f-usecase">Use case</label>
          <input id="f-usecase" value={filters.useCase} onChange={set('useCase')} />
        </div>
        <div>
          <label htmlFor="f-user">User</label>
          <input id="f-user" value={filters.user} onChange={set('user')} placeholder="key:… or user:…" />
        </div>
        <div>
          <label htmlFor="f-outcome">Outcome</label>
          <select id="f-outcome" value={filters.outcome} onChange={set('outcome')}>
            <option value="">any</option>
            {['answered', 'refused', 'error', 'aborted', 'ok'].map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="f-cost">Min. cost (USD)</label>
          <input id="f-cost" inputMode="decimal" value={filters.minCost} onChange={set('minCost')} placeholder="0" />
        </div>
        <button type="submit">Apply</button>
      </form>
      <ErrorBox error={error} />
      {shown === null && !error ? <p className="loading">Loading…</p> : null}
      {shown?.length === 0 ? <Empty>No traces match. Ask a question, then come back.</Empty> : null}
      {shown && shown.length > 0 ? (
        <table className="card">
          <thead>
            <tr>
              <th scope="col">Started</th>
              <th scope="col">Operation</th>
              <th scope="col">Use case</th>
              <th scope="col">User</th>
              <th scope="col">Outcome</th>
              <th scope="col" className="num">
                Confidence
              </th>
              <th scope="col" className="num">
                Duration
              </th>
              <th scope="col" className="num">
                Tokens
              </th>
              <th scope="col" className="num">
                Cost
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((t) => (
              <tr key={t.id}>
                <td>
                  <a href={`#/traces/${encodeURIComponent(t.id)}`}>{formatDate(t.startedAt)}</a>
                </td>
                <td>{t.operation}</td>
                <td>{t.useCase ?? '—'}</td>
                <td className="small">{t.callerId ?? '—'}</td>
                <td>
                  <span className={`pill ${t.status === 'error' ? 'bad' : t.outcome === 'refused' ? 'warn' : 'good'}`}>
                    {t.outcome}
                  </span>
                </td>
                <td className="num">{t.confidence === null ? '—' : t.confidence.toFixed(2)}</td>
                <td className="num">{formatMs(t.durationMs)}</td>
                <td className="num">{t.inputTokens + t.outputTokens}</td>
                <td className="num">{formatUsd(t.costUsd)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

/** One trace: what was asked, the span timeline, retrieved chunks, model, tokens, cost and egress decisions. */
export function TraceDetailPage({ id }: { id: string }) {
  const [trace, setTrace] = useState<TraceDetail | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    let cancelled = false;
    // Traces are written just after the answer returns: a link followed at once may arrive first, so retry briefly.
    (async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          const found = await api<TraceDetail>(`/v1/traces/${encodeURIComponent(id)}`);
          if (!cancelled) setTrace(found);
          return;
        } catch (caught) {
          if (caught instanceof ApiError && caught.code === 'trace.not_found' && attempt < 6) {
            await new Promise((resolve) => setTimeout(resolve, 500));
            continue;
          }
          if (!cancelled) setError(caught);
          return;
        }
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [id]);

  if (error) {
    return (
      <section>
        <a href="#/traces">← All traces</a>
        <ErrorBox error={error} />
      </section>
    );
  }
  if (!trace) return <p className="loading">Loading trace…</p>;

  const retrieved = [...new Map(trace.spans.flatMap((s) => s.retrieved ?? []).map((c) => [c.chunkId, c])).values()];
  const citations = trace.spans.flatMap((s) => s.citations ?? []);
  const egress = trace.spans.filter((s) => Object.keys(s.attributes).some((k) => k.includes('egress')));
  // Agent runs (src/actions): each tool call with its input and output, in order.
  const toolSteps = trace.spans.filter((s) => s.name === 'agent.tool').sort((a, b) => a.offsetMs - b.offsetMs);

  return (
    <section aria-labelledby="trace-title">
      <a href="#/traces">← All traces</a>
      <h1 id="trace-title">
        {trace.name} <span className="muted small">{trace.id}</span>
      </h1>
      <dl className="stats card">
        <div>
          <dt>Outcome</dt>
          <dd>{trace.outcome}</dd>
        </div>
        <div>
          <dt>Use case</dt>
          <dd>{trace.useCase ?? '—'}</dd>
        </div>
        <div>
          <dt>Prompt version</dt>
          <dd>{trace.promptVersion ?? '—'}</dd>
        </div>
        <div>
          <dt>Model</dt>
          <dd>{trace.model ?? 'none (extractive)'}</dd>
        </div>
        <div>
          <dt>Tokens in / out</dt>
          <dd>
            {trace.inputTokens} / {trace.outputTokens}
          </dd>
        </div>
        <div>
          <dt>Cost</dt>
          <dd>{formatUsd(trace.costUsd)}</dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>{formatMs(trace.durationMs)}</dd>
        </div>
        <div>
          <dt>Confidence</dt>
          <dd>{trace.confidence === null ? '—' : trace.confidence.toFixed(2)}</dd>
        </div>
      </dl>
      {trace.question ? (
        <div className="card">
          <h2 className="small-heading">Question</h2>
          <p>{trace.question}</p>
          {trace.answer ? (
            <>
              <h2 className="small-heading">Answer</h2>
              <p className="answer-text">{trace.answer}</p>
            </>
          ) : trace.answerWithheld ? (
            <p className="muted">
              {trace.answerWithheld === 'restricted'
                ? 'Answer withheld: no longer readable — it used documents you may not read now.'
                : 'Answer not kept (text retention policy).'}
            </p>
          ) : null}
        </div>
      ) : null}
      <div className="card">
        <h2>Timeline</h2>
        <Timeline spans={trace.spans} total={trace.durationMs} />
      </div>
      {toolSteps.length > 0 ? (
        <div className="card">
          <h2>Agent tool steps</h2>
          <p className="muted">
            Outcome: {String(trace.spans.find((s) => s.name === 'agent.run')?.attributes['groundwork.agent.outcome'] ?? '—')}
          </p>
          <ol aria-label="Agent tool steps">
            {toolSteps.map((s) => (
              <li key={s.spanId}>
                <strong>{String(s.attributes['groundwork.tool.name'])}</strong> (step{' '}
                {String(s.attributes['groundwork.agent.step'])}, {formatMs(s.durationMs)})
                <pre>in: {String(s.attributes['groundwork.tool.input'] ?? '')}</pre>
                <pre>out: {String(s.attributes['groundwork.tool.output'] ?? '')}</pre>
              </li>
            ))}
          </ol>
        </div>
      ) : null}
      <div className="card">
        <h2>Retrieved chunks</h2>
        <ChunkList chunks={retrieved} citedIds={new Set(citations.map((c) => c.chunkId))} />
      </div>
      <div className="card">
        <h2>Egress decisions</h2>
        {egress.length === 0 ? (
          <p className="muted">No data left the platform for this trace (no egress decisions recorded).</p>
        ) : (
          <ul>
            {egress.map((s) => (
              <li key={s.spanId}>
                <strong>{s.name}</strong>: {egressSummary(s.attributes)}
              </li>
            ))}
          </ul>
        )}
      </div>
    </section>
  );
}

/** Horizontal bars: each span from its offset for its duration, on the trace's time axis. */
function Timeline({ spans, total }: { spans: SpanView[]; total: number }) {
  const width = 640;
  const label = 200;
  const row = 24;
  const scale = total > 0 ? width / total : 0;
  const sorted = [...spans].sort((a, b) => a.offsetMs - b.offsetMs);
  const height = sorted.length * row + 24;
  return (
    <svg
      className="timeline"
      viewBox={`0 0 ${label + width + 70} ${height}`}
      role="img"
      aria-label={`Span timeline, ${sorted.length} spans over ${formatMs(total)}`}
    >
      {sorted.map((s, i) => {
        const x = label + s.offsetMs * scale;
        const w = Math.max(2, s.durationMs * scale);
        return (
          <g key={s.spanId} transform={`translate(0, ${i * row})`}>
            <title>{`${s.name}: ${formatMs(s.durationMs)} from +${formatMs(s.offsetMs)}${s.errorMessage ? ` — ${s.errorMessage}` : ''}`}</title>
            <text x={label - 8} y={16} textAnchor="end" className="tl-label">
              {s.name.length > 28 ? `${s.name.slice(0, 27)}…` : s.name}
            </text>
            <rect x={x} y={5} width={w} height={14} rx={3} className={s.status === 'error' ? 'tl-bar error' : 'tl-bar'} />
            <text x={Math.min(x + w + 6, label + width + 4)} y={16} className="tl-value">
              {formatMs(s.durationMs)}
            </text>
          </g>
        );
      })}
      <line x1={label} x2={label + width} y1={height - 18} y2={height - 18} className="tl-axis" />
      <text x={label} y={height - 4} className="tl-value">
        0 ms
      </text>
      <text x={label + width} y={height - 4} textAnchor="end" className="tl-value">
        {formatMs(total)}
      </text>
    </svg>
  );
}

function ChunkList({ chunks, citedIds }: { chunks: ChunkView[]; citedIds: Set<string> }) {
  if (chunks.length === 0) return <p className="muted">No chunks were retrieved.</p>;
  return (
    <ol className="chunks">
      {chunks.map((c) => (
        <li key={c.chunkId}>
          <div className="row between">
            <strong>{c.title}</strong>
            <span className="small muted">
              {c.score === undefined ? '' : `score ${c.score.toFixed(3)}`}
              {citedIds.has(c.chunkId) ? ' · cited' : ''}
            </span>
          </div>
          {c.restricted ? (
            <p className="muted small">You may not read this document.</p>
          ) : c.snippet ? (
            <p className="small">{c.snippet}</p>
          ) : null}
        </li>
      ))}
    </ol>
  );
}

/** One line per egress decision: where the data went, passages blocked, what was redacted. */
function egressSummary(a: Record<string, unknown>): string {
  const provider = typeof a['groundwork.egress.provider'] === 'string' ? `to ${a['groundwork.egress.provider']}` : 'model call';
  const blocked = Number(a['groundwork.egress.blocked'] ?? 0);
  const redacted = Object.entries((a['groundwork.egress.redacted'] as Record<string, number> | undefined) ?? {})
    .filter(([, n]) => n > 0)
    .map(([type, n]) => `${type} ×${n}`)
    .join(', ');
  const skipped = typeof a['groundwork.judge.skipped'] === 'string' ? ` (judge skipped: ${a['groundwork.judge.skipped']})` : '';
  return `${provider} — ${blocked} passage(s) blocked, redacted ${redacted || 'nothing'}${skipped}`;
}
