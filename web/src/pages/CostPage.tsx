import { useEffect, useState } from 'react';
import { api, query } from '../api.ts';
import { Empty, ErrorBox, formatUsd } from '../components.tsx';

interface CostRow {
  key: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  embeddingTokens: number;
  costUsd: number;
  costPerRequestUsd: number;
}
interface CostReport {
  rows: CostRow[];
  total: Omit<CostRow, 'key'>;
}

interface BudgetPeriod {
  period: string;
  spentUsd: number;
  limitUsd: number;
  ratio: number;
}
interface BudgetRow {
  useCase: string;
  dailyUsd: number | null;
  monthlyUsd: number | null;
  warnRatio: number;
  block: boolean;
  status: { state: 'none' | 'ok' | 'warning' | 'exhausted'; blocked: boolean; daily?: BudgetPeriod; monthly?: BudgetPeriod };
}
interface BudgetEvent {
  at: string;
  useCase: string;
  kind: string;
  period: string;
  spentUsd: number;
  limitUsd: number;
}

const ranges: Array<[number, string]> = [
  [7, 'last 7 days'],
  [30, 'last 30 days'],
  [90, 'last 90 days'],
];

/** Cost and requests per day, and by use case and model (reviewers and above: `costs:read`). */
export function CostPage() {
  const [days, setDays] = useState(30);
  const [reports, setReports] = useState<{ day: CostReport; useCase: CostReport; model: CostReport } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [budgets, setBudgets] = useState<{ budgets: BudgetRow[]; recentEvents: BudgetEvent[] } | null>(null);

  useEffect(() => {
    api<{ budgets: BudgetRow[]; recentEvents: BudgetEvent[] }>('/v1/budgets').then(setBudgets).catch(setError);
  }, []);

  useEffect(() => {
    const since = new Date(Date.now() - days * 86_400_000).toISOString();
    const get = (by: string) => api<CostReport>(`/v1/costs${query({ by, since })}`);
    Promise.all([get('day'), get('use-case'), get('model')])
      .then(([day, useCase, model]) => {
        setReports({ day, useCase, model });
        setError(null);
      })
      .catch(setError);
  }, [days]);

  return (
    <section aria-labelledby="cost-title">
      <div className="row between">
        <h1 id="cost-title">Cost and usage</h1>
        <div className="row">
          <label htmlFor="cost-range">Period</label>
          <select id="cost-range" value={days} onChange={(e) => setDays(Number(e.target.value))}>
            {ranges.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
      </div>
      <ErrorBox error={error} />
      {!reports && !error ? <p className="loading">Loading…</p> : null}
      {reports ? (
        <>
          <dl className="stats card">
            <div>
              <dt>Requests</dt>
              <dd>{reports.day.total.requests}</dd>
            </div>
            <div>
              <dt>Cost</dt>
              <dd>{formatUsd(reports.day.total.costUsd)}</dd>
            </div>
            <div>
              <dt>Per request</dt>
              <dd>{formatUsd(reports.day.total.costPerRequestUsd)}</dd>
            </div>
            <div>
              <dt>Tokens in / out</dt>
              <dd>
                {reports.day.total.inputTokens} / {reports.day.total.outputTokens}
              </dd>
            </div>
          </dl>
          {reports.day.rows.length === 0 ? (
            <Empty>No requests in this period.</Empty>
          ) : (
            <div className="cards">
              <div className="card">
                <h2>Requests per day</h2>
                <DailyBars
                  rows={reports.day.rows}
                  value={(r) => r.requests}
                  format={(v) => String(v)}
                  label="requests"
                  period={days}
                />
              </div>
              <div className="card">
                <h2>Cost per day</h2>
                <DailyBars rows={reports.day.rows} value={(r) => r.costUsd} format={formatUsd} label="cost" period={days} />
              </div>
              <div className="card">
                <h2>By use case</h2>
                <Breakdown rows={reports.useCase.rows} />
              </div>
              <div className="card">
                <h2>By model</h2>
                <Breakdown rows={reports.model.rows} />
              </div>
            </div>
          )}
        </>
      ) : null}
      {budgets ? <Budgets budgets={budgets.budgets} events={budgets.recentEvents} /> : null}
    </section>
  );
}

/** Budget state per use case: spend against the daily and monthly limits as meters, and recent events. */
function Budgets({ budgets, events }: { budgets: BudgetRow[]; events: BudgetEvent[] }) {
  return (
    <div className="card">
      <h2>Budgets</h2>
      {budgets.length === 0 ? (
        <Empty>{'No budgets. Set one with `groundwork cost budget set USE_CASE --daily 5 --monthly 100`.'}</Empty>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Use case</th>
              <th scope="col">Today</th>
              <th scope="col">This month</th>
              <th scope="col">State</th>
              <th scope="col">When exhausted</th>
            </tr>
          </thead>
          <tbody>
            {budgets.map((b) => (
              <tr key={b.useCase}>
                <td>{b.useCase}</td>
                <td>
                  <BudgetMeter name="daily" period={b.status.daily} warnRatio={b.warnRatio} />
                </td>
                <td>
                  <BudgetMeter name="monthly" period={b.status.monthly} warnRatio={b.warnRatio} />
                </td>
                <td>
                  <span
                    className={`pill ${b.status.state === 'exhausted' ? 'bad' : b.status.state === 'ok' ? 'good' : b.status.state === 'warning' ? 'warn' : ''}`}
                  >
                    {b.status.state}
                  </span>
                </td>
                <td>{b.block ? 'answers refused (budget.exhausted)' : 'warn only'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {events.length > 0 ? (
        <>
          <h3>Recent budget events</h3>
          <ul className="small">
            {events.map((e) => (
              <li key={`${e.at}-${e.useCase}-${e.kind}-${e.period}`}>
                {new Date(e.at).toLocaleString()} · {e.useCase} · {e.kind} · {e.period}: {formatUsd(e.spentUsd)} of{' '}
                {formatUsd(e.limitUsd)}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </div>
  );
}

function BudgetMeter({ name, period, warnRatio }: { name: string; period: BudgetPeriod | undefined; warnRatio: number }) {
  if (!period) return <span className="muted">no limit</span>;
  const label = `${formatUsd(period.spentUsd)} of ${formatUsd(period.limitUsd)}`;
  return (
    <span className="row">
      <meter
        min={0}
        max={1}
        low={warnRatio}
        high={0.999}
        optimum={0}
        value={Math.min(1, period.ratio)}
        aria-label={`${name} budget (${period.period.replace(/^[a-z]+:/, '')}): ${label}`}
      />
      <span className="small">{label}</span>
    </span>
  );
}

/** Vertical bars, one per day (days without requests are absent in the report, so they are filled in as 0). */
function DailyBars({
  rows,
  value,
  format,
  label,
  period,
}: {
  period: number;
  rows: CostRow[];
  value: (row: CostRow) => number;
  format: (v: number) => string;
  label: string;
}) {
  const byDay = new Map(rows.map((r) => [r.key.slice(0, 10), r]));
  // The whole period, ending today (UTC), so one busy day does not fill the chart.
  const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
  const days: string[] = [];
  for (let i = period - 1; i >= 0; i--) days.push(new Date(today - i * 86_400_000).toISOString().slice(0, 10));
  const values = days.map((d) => {
    const row = byDay.get(d);
    return row ? value(row) : 0;
  });
  const max = Math.max(...values, 0) || 1;
  const width = 480;
  const height = 160;
  const bar = width / Math.max(days.length, 1);
  return (
    <svg
      className="chart"
      viewBox={`0 0 ${width + 60} ${height + 30}`}
      role="img"
      aria-label={`${label} per day, ${days[0]} to ${days.at(-1)}, maximum ${format(max)}`}
    >
      <text x={0} y={12} className="tl-value">
        {format(max)}
      </text>
      <line x1={56} x2={56 + width} y1={height} y2={height} className="tl-axis" />
      {values.map((v, i) => {
        const h = (v / max) * (height - 20);
        return (
          <rect key={days[i]} x={56 + i * bar + 1} y={height - h} width={Math.max(bar - 2, 1)} height={h} className="tl-bar">
            <title>{`${days[i]}: ${format(v)}`}</title>
          </rect>
        );
      })}
      <text x={56} y={height + 18} className="tl-value">
        {days[0]}
      </text>
      <text x={56 + width} y={height + 18} textAnchor="end" className="tl-value">
        {days.at(-1)}
      </text>
    </svg>
  );
}

function Breakdown({ rows }: { rows: CostRow[] }) {
  if (rows.length === 0) return <p className="muted">Nothing recorded.</p>;
  const max = Math.max(...rows.map((r) => r.requests), 1);
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Requests</th>
          <th scope="col" className="num">
            Cost
          </th>
          <th scope="col" className="num">
            Per request
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.key}>
            <td>{r.key || '(none)'}</td>
            <td>
              <svg viewBox="0 0 100 8" className="inline-bar" role="img" aria-label={`${r.requests} requests`}>
                <rect width={(r.requests / max) * 100} height={8} rx={2} className="tl-bar" />
              </svg>{' '}
              {r.requests}
            </td>
            <td className="num">{formatUsd(r.costUsd)}</td>
            <td className="num">{formatUsd(r.costPerRequestUsd)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
