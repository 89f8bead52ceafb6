import { type FormEvent, useEffect, useState } from 'react';
import {
  api,
  type CriteriaReportView,
  type CriterionView,
  type HealthView,
  query,
  type ReviewView,
  type UsageReportView,
} from '../api.ts';
import { Empty, ErrorBox, formatDate } from '../components.tsx';

/**
 * Sections of the Adoption page beyond the usage report (issue 16): the time-to-value histogram, success criteria
 * with their progress lines against the target, program-health flags with data and suggested action, and the
 * review form. Plain SVG, no chart library. Each section is self-contained so other panels mount beside them.
 */

const fmt = (v: number | null | undefined, unit?: string | null) =>
  v === null || v === undefined ? '–' : `${Math.round(v * 1000) / 1000}${unit ? ` ${unit}` : ''}`;

const statusLabel: Record<CriterionView['status'], { text: string; tone: string }> = {
  on_track: { text: 'on track', tone: 'good' },
  at_risk: { text: 'at risk', tone: 'warn' },
  missed: { text: 'missed', tone: 'bad' },
  no_data: { text: 'no data', tone: '' },
};

/** Users by time from first use to the first successful answer, as SVG bars. */
export function TimeToValueHistogram({ histogram }: { histogram: NonNullable<UsageReportView['timeToValue']['histogram']> }) {
  const width = 640;
  const height = 180;
  const pad = 28;
  const max = Math.max(1, ...histogram.map((b) => b.users));
  const slot = (width - 2 * pad) / Math.max(1, histogram.length);
  const total = histogram.reduce((sum, b) => sum + b.users, 0);
  return (
    <svg
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={`Time to value of ${total} users: ${histogram.map((b) => `${b.bucket} ${b.users}`).join(', ')}`}
      className="chart"
      data-testid="ttv-histogram"
    >
      <line x1={pad} y1={height - pad} x2={width - pad} y2={height - pad} stroke="var(--border)" />
      {histogram.map((b, i) => {
        const h = (b.users * (height - 2 * pad)) / max;
        const x = pad + i * slot + slot * 0.15;
        return (
          <g key={b.bucket}>
            <rect
              x={x}
              y={height - pad - h}
              width={slot * 0.7}
              height={h}
              fill={b.fromHours === null ? 'var(--border)' : 'var(--accent)'}
            >
              <title>{`${b.bucket}: ${b.users} users`}</title>
            </rect>
            <text x={x + slot * 0.35} y={height - pad - h - 4} textAnchor="middle" fontSize="10" fill="var(--muted)">
              {b.users}
            </text>
            <text x={x + slot * 0.35} y={height - 10} textAnchor="middle" fontSize="10" fill="var(--muted)">
              {b.bucket}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

/** A criterion's values per period as a line, with the target (dashed) and the baseline (dotted). */
export function CriterionChart({ criterion }: { criterion: CriterionView }) {
  const width = 320;
  const height = 120;
  const pad = 24;
  const values = [
    ...criterion.points.map((p) => p.value),
    criterion.target,
    ...(criterion.baseline === null ? [] : [criterion.baseline]),
  ];
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (hi === lo) {
    hi += 1;
    lo -= 1;
  }
  const margin = (hi - lo) * 0.1;
  lo -= margin;
  hi += margin;
  const n = criterion.points.length;
  const x = (i: number) => pad + (i * (width - 2 * pad)) / Math.max(1, n - 1);
  const y = (v: number) => height - pad - ((v - lo) * (height - 2 * pad)) / (hi - lo);
  const line = criterion.points.map((p, i) => `${x(i).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
  return (
    <svg
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      className="chart"
      aria-label={`${criterion.metric} per ${criterion.cadence.replace('ly', '').replace('dai', 'day')}: ${criterion.points.map((p) => fmt(p.value)).join(', ') || 'no values'}; target ${fmt(criterion.target)}`}
      data-testid={`criterion-chart-${criterion.id}`}
    >
      <line x1={pad} y1={height - pad} x2={width - pad} y2={height - pad} stroke="var(--border)" />
      <line
        x1={pad}
        x2={width - pad}
        y1={y(criterion.target)}
        y2={y(criterion.target)}
        stroke="var(--good)"
        strokeDasharray="6 4"
        data-testid="target-line"
      />
      <text x={width - pad} y={y(criterion.target) - 3} textAnchor="end" fontSize="10" fill="var(--good)">
        target {fmt(criterion.target)}
      </text>
      {criterion.baseline === null ? null : (
        <>
          <line
            x1={pad}
            x2={width - pad}
            y1={y(criterion.baseline)}
            y2={y(criterion.baseline)}
            stroke="var(--muted)"
            strokeDasharray="2 3"
          />
          <text x={pad + 2} y={y(criterion.baseline) - 3} fontSize="10" fill="var(--muted)">
            baseline {fmt(criterion.baseline)}
          </text>
        </>
      )}
      {n > 1 ? <polyline points={line} fill="none" stroke="var(--accent)" strokeWidth="2" /> : null}
      {criterion.points.map((p, i) => (
        <circle key={p.period} cx={x(i)} cy={y(p.value)} r={p.complete ? 2.5 : 3.5} fill={p.met ? 'var(--good)' : 'var(--bad)'}>
          <title>{`${p.period}${p.complete ? '' : ' (so far)'}: ${fmt(p.value)}`}</title>
        </circle>
      ))}
      <text x={pad} y={height - 8} fontSize="10" fill="var(--muted)">
        {criterion.points[0]?.period ?? ''}
      </text>
      <text x={width - pad} y={height - 8} textAnchor="end" fontSize="10" fill="var(--muted)">
        {criterion.points.at(-1)?.day ?? ''}
      </text>
    </svg>
  );
}

/** Success criteria of the use case with progress lines and status. */
export function CriteriaSection({ useCase, simulated }: { useCase: string; simulated: boolean }) {
  const [report, setReport] = useState<CriteriaReportView | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    setReport(null);
    api<CriteriaReportView>(
      `/v1/use-cases/${encodeURIComponent(useCase)}/criteria${query({ includeSimulated: simulated ? 'true' : undefined })}`,
    )
      .then((r) => {
        setReport(r);
        setError(null);
      })
      .catch(setError);
  }, [useCase, simulated]);
  return (
    <section className="card" aria-labelledby="criteria-title">
      <h2 id="criteria-title">Success criteria</h2>
      <ErrorBox error={error} />
      {report?.includesSimulated ? <p className="notice warn">Measured on SIMULATED usage (demo data).</p> : null}
      {!report && !error ? <p className="loading">Loading…</p> : null}
      {report && report.criteria.length === 0 ? (
        <Empty>
          No success criteria for {report.useCase}. Define them before launch: <code>groundwork use-cases criteria add</code>.
        </Empty>
      ) : null}
      {report && report.criteria.length > 0 ? (
        <>
          <p className="muted small">
            All on track: <strong>{report.allOnTrack ? 'yes' : 'no'}</strong> (as of {report.asOf})
          </p>
          <div className="cards">
            {report.criteria.map((c) => (
              <article key={c.id} className="card" aria-label={`criterion ${c.id}`}>
                <h3>
                  {c.id}{' '}
                  <span className={`pill ${statusLabel[c.status].tone}`} data-testid={`criterion-status-${c.id}`}>
                    {statusLabel[c.status].text}
                  </span>
                </h3>
                <p className="small">
                  <code>{c.metric}</code> {c.direction === 'up' ? '≥' : '≤'} {fmt(c.target, c.unit)}
                  {c.due ? ` by ${c.due}` : ''} · latest {fmt(c.latest, c.unit)} · baseline {fmt(c.baseline, c.unit)} ·{' '}
                  {c.cadence}
                  {c.owner ? ` · owner ${c.owner}` : ''}
                </p>
                <CriterionChart criterion={c} />
                <p className="muted small">{c.reason}</p>
                {c.description ? <p className="muted small">{c.description}</p> : null}
              </article>
            ))}
          </div>
        </>
      ) : null}
    </section>
  );
}

const actionText: Record<HealthView['flags'][number]['action'], string> = {
  interview: 'Interview non-adopters',
  fix: 'Fix',
  pivot: 'Pivot',
  stop: 'Stop',
};

/** Program-health flags with the data behind them and a suggested action, the latest reviews, and a review form. */
export function HealthSection({ useCase, simulated }: { useCase: string; simulated: boolean }) {
  const [health, setHealth] = useState<HealthView | null>(null);
  const [reviews, setReviews] = useState<ReviewView[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [decision, setDecision] = useState<ReviewView['decision']>('continue');
  const [notes, setNotes] = useState('');
  const [saved, setSaved] = useState<ReviewView | null>(null);
  const [saveError, setSaveError] = useState<unknown>(null);
  const base = `/v1/use-cases/${encodeURIComponent(useCase)}`;

  useEffect(() => {
    setHealth(null);
    setSaved(null);
    api<HealthView>(`${base}/health${query({ includeSimulated: simulated ? 'true' : undefined })}`)
      .then((h) => {
        setHealth(h);
        setError(null);
      })
      .catch(setError);
    api<{ reviews: ReviewView[] }>(`${base}/reviews`)
      .then((r) => setReviews(r.reviews))
      .catch(() => setReviews([]));
  }, [base, simulated]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setSaveError(null);
    try {
      const review = await api<ReviewView>(`${base}/reviews`, {
        method: 'POST',
        body: { decision, notes, ...(simulated ? { includeSimulated: true } : {}) },
      });
      setSaved(review);
      setReviews((list) => [review, ...list]);
      setNotes('');
    } catch (e) {
      setSaveError(e);
    }
  }

  return (
    <section className="card" aria-labelledby="health-title">
      <h2 id="health-title">Program health</h2>
      <ErrorBox error={error} />
      {!health && !error ? <p className="loading">Loading…</p> : null}
      {health ? (
        <>
          {health.includesSimulated ? <p className="notice warn">Flags on SIMULATED usage (demo data).</p> : null}
          <p className="small">
            Live since {health.liveSince ?? '–'} ({health.liveDays} days) · {health.users} users · {health.activeLast30} active in
            the last 30 days ({health.activePrevious30} the 30 before)
          </p>
          {health.flags.length === 0 ? (
            <Empty>No health flags.</Empty>
          ) : (
            <ul className="plain" aria-label="health flags">
              {health.flags.map((f) => (
                <li key={`${f.code}-${f.title}`} className="notice warn" data-testid={`flag-${f.code}`}>
                  <strong>{f.title}</strong>
                  <div className="small">
                    Suggested: <strong>{actionText[f.action]}</strong> — {f.suggestion}
                  </div>
                  <dl className="small muted">
                    {Object.entries(f.data).map(([k, v]) => (
                      <div key={k}>
                        <dt style={{ display: 'inline' }}>{k}: </dt>
                        <dd style={{ display: 'inline', margin: 0 }}>{typeof v === 'object' ? JSON.stringify(v) : String(v)}</dd>
                      </div>
                    ))}
                  </dl>
                </li>
              ))}
            </ul>
          )}
        </>
      ) : null}
      <h3>Record a review</h3>
      <form onSubmit={submit} aria-label="review form">
        <div className="row">
          <label htmlFor="review-decision">Decision</label>
          <select id="review-decision" value={decision} onChange={(e) => setDecision(e.target.value as ReviewView['decision'])}>
            <option value="continue">continue</option>
            <option value="fix">fix</option>
            <option value="pivot">pivot</option>
            <option value="stop">stop</option>
          </select>
        </div>
        <label htmlFor="review-notes">Notes</label>
        <textarea id="review-notes" value={notes} onChange={(e) => setNotes(e.target.value)} rows={3} maxLength={4000} />
        <div className="row end">
          <button type="submit">Record review</button>
        </div>
      </form>
      <ErrorBox error={saveError} />
      {saved ? (
        <p className="ok" role="status">
          Review recorded: {saved.decision}.
        </p>
      ) : null}
      {reviews.length > 0 ? (
        <table aria-label="reviews">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Decision</th>
              <th scope="col">Reviewer</th>
              <th scope="col">On flags</th>
              <th scope="col">Notes</th>
            </tr>
          </thead>
          <tbody>
            {reviews.map((r) => (
              <tr key={r.id}>
                <td>{formatDate(r.createdAt)}</td>
                <td>{r.decision}</td>
                <td>{r.reviewer}</td>
                <td>{r.flags.map((f) => f.code).join(', ') || '–'}</td>
                <td>{r.notes}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
