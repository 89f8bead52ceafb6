import { useEffect, useState } from 'react';
import { api, type CohortView, query, type UsageCohortRow, type UsageReportView, type UseCase } from '../api.ts';
import { Empty, ErrorBox } from '../components.tsx';
import { CriteriaSection, HealthSection, TimeToValueHistogram } from './AdoptionSections.tsx';
import { RolloutPanel } from './adoption/RolloutPanel.tsx';

const percent = (rate: number | null) => (rate === null ? '–' : `${Math.round(rate * 100)}%`);
const hours = (value: number | null) => (value === null ? '–' : `${value} h`);

/** Daily active users as an SVG line (no chart library). */
function ActiveChart({ series }: { series: UsageReportView['dailyActive'] }) {
  const width = 640;
  const height = 180;
  const pad = 28;
  const max = Math.max(1, ...series.map((p) => p.users));
  const x = (i: number) => pad + (i * (width - 2 * pad)) / Math.max(1, series.length - 1);
  const y = (v: number) => height - pad - (v * (height - 2 * pad)) / max;
  const points = series.map((p, i) => `${x(i).toFixed(1)},${y(p.users).toFixed(1)}`).join(' ');
  return (
    <svg
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={`Daily active users over ${series.length} days, at most ${max}`}
      className="chart"
    >
      <line x1={pad} y1={height - pad} x2={width - pad} y2={height - pad} stroke="var(--border)" />
      <line x1={pad} y1={pad} x2={pad} y2={height - pad} stroke="var(--border)" />
      <text x={pad - 4} y={pad + 4} textAnchor="end" fontSize="10" fill="var(--muted)">
        {max}
      </text>
      <text x={pad - 4} y={height - pad} textAnchor="end" fontSize="10" fill="var(--muted)">
        0
      </text>
      <text x={pad} y={height - 8} fontSize="10" fill="var(--muted)">
        {series[0]?.day}
      </text>
      <text x={width - pad} y={height - 8} textAnchor="end" fontSize="10" fill="var(--muted)">
        {series.at(-1)?.day}
      </text>
      <polyline points={points} fill="none" stroke="var(--accent)" strokeWidth="2" />
    </svg>
  );
}

/** A rate cell of the cohort heat map: darker = more active; `*` = the window has not elapsed for everyone. */
function HeatCell({ rate, partial }: { rate: number | null; partial: boolean }) {
  const alpha = rate === null ? 0 : 0.12 + rate * 0.78;
  return (
    <td
      className="heat"
      style={{ background: `rgba(31, 95, 168, ${alpha.toFixed(2)})`, color: rate !== null && rate > 0.55 ? '#fff' : undefined }}
      title={partial ? 'partial: the window has not elapsed for every user yet' : undefined}
    >
      {percent(rate)}
      {partial && rate !== null ? '*' : ''}
    </td>
  );
}

function CohortTable({ rows }: { rows: UsageCohortRow[] }) {
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">First exposed</th>
          <th scope="col">Users</th>
          <th scope="col">Days 1–30</th>
          <th scope="col">Days 31–60</th>
          <th scope="col">Days 61–90</th>
          <th scope="col">Time to value (median / p90)</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.cohort}>
            <th scope="row">{row.cohort}</th>
            <td>{row.users}</td>
            <HeatCell rate={row.active30} partial={row.partial.active30} />
            <HeatCell rate={row.active60} partial={row.partial.active60} />
            <HeatCell rate={row.active90} partial={row.partial.active90} />
            <td>
              {hours(row.timeToValue.medianHours)} / {hours(row.timeToValue.p90Hours)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Reviewers, builders, admins: adoption of a use case by cohort, from the usage rollups (docs/adoption.md). */
export function AdoptionPage() {
  const [useCases, setUseCases] = useState<UseCase[]>([]);
  const [cohorts, setCohorts] = useState<CohortView[]>([]);
  const [useCase, setUseCase] = useState('default');
  const [cohort, setCohort] = useState('');
  const [period, setPeriod] = useState<'month' | 'week'>('month');
  const [simulated, setSimulated] = useState(false);
  const [report, setReport] = useState<UsageReportView | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    api<{ useCases: UseCase[] }>('/v1/use-cases')
      .then((r) => setUseCases(r.useCases))
      .catch(setError);
    api<{ cohorts: CohortView[] }>('/v1/cohorts')
      .then((r) => setCohorts(r.cohorts))
      .catch(setError);
  }, []);

  useEffect(() => {
    setReport(null);
    api<UsageReportView>(`/v1/usage${query({ useCase, cohort, period, includeSimulated: simulated ? 'true' : undefined })}`)
      .then((r) => {
        setReport(r);
        setError(null);
      })
      .catch(setError);
  }, [useCase, cohort, period, simulated]);

  return (
    <section aria-labelledby="adoption-title">
      <h1 id="adoption-title">Adoption</h1>
      <div className="filters card">
        <div>
          <label htmlFor="adoption-use-case">Use case</label>
          <select id="adoption-use-case" value={useCase} onChange={(e) => setUseCase(e.target.value)}>
            {(useCases.length ? useCases : [{ name: 'default' }]).map((u) => (
              <option key={u.name} value={u.name}>
                {u.name}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="adoption-cohort">Cohort</label>
          <select id="adoption-cohort" value={cohort} onChange={(e) => setCohort(e.target.value)}>
            <option value="">Everyone</option>
            {cohorts.map((c) => (
              <option key={c.name} value={c.name}>
                {c.name}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="adoption-period">Group first exposure by</label>
          <select id="adoption-period" value={period} onChange={(e) => setPeriod(e.target.value as 'month' | 'week')}>
            <option value="month">month</option>
            <option value="week">week</option>
          </select>
        </div>
        <div>
          <label htmlFor="adoption-simulated">
            <input id="adoption-simulated" type="checkbox" checked={simulated} onChange={(e) => setSimulated(e.target.checked)} />{' '}
            Include simulated demo usage
          </label>
        </div>
      </div>
      <RolloutPanel useCase={useCase} cohorts={cohorts} />
      <ErrorBox error={error} />
      {!report && !error ? <p className="loading">Loading…</p> : null}
      {report ? (
        <>
          {report.includesSimulated ? (
            <p className="notice warn" role="status">
              Includes SIMULATED usage (demo data from the seeded simulator), not real people.
            </p>
          ) : null}
          <dl className="stats card">
            <div>
              <dt>Active today / 7 d / 30 d</dt>
              <dd>
                {report.activeUsers.daily} / {report.activeUsers.weekly} / {report.activeUsers.monthly}
              </dd>
            </div>
            <div>
              <dt>Users / answers</dt>
              <dd>
                {report.users} / {report.answers}
              </dd>
            </div>
            <div>
              <dt>Time to value</dt>
              <dd>
                {hours(report.timeToValue.medianHours)} median, {hours(report.timeToValue.p90Hours)} p90
              </dd>
            </div>
            <div>
              <dt>Task completion</dt>
              <dd>{percent(report.taskCompletionRate)}</dd>
            </div>
            <div>
              <dt>Refusals</dt>
              <dd>{percent(report.refusalRate)}</dd>
            </div>
            <div>
              <dt>Feedback</dt>
              <dd>{percent(report.feedbackRate)}</dd>
            </div>
            <div>
              <dt>Overrides</dt>
              <dd>{report.overrideRate === null ? 'no reviews yet' : percent(report.overrideRate)}</dd>
            </div>
          </dl>
          {report.users === 0 ? (
            <Empty>
              No usage of {report.useCase} yet{report.cohort ? ` by cohort ${report.cohort}` : ''}.
              {report.includesSimulated ? '' : ' Tick “Include simulated demo usage” to see the demo data.'}
            </Empty>
          ) : (
            <div className="cards">
              <div className="card">
                <h2>Daily active users</h2>
                <ActiveChart series={report.dailyActive} />
              </div>
              <div className="card">
                <h2>Active rate by first-exposure cohort</h2>
                <CohortTable rows={report.cohorts} />
                <p className="muted small">
                  Share of each cohort active on days 1–30, 31–60, 61–90 after first use. * partial: the window has not elapsed
                  for every user yet.
                </p>
              </div>
              {report.timeToValue.histogram ? (
                <div className="card">
                  <h2>Time to value</h2>
                  <TimeToValueHistogram histogram={report.timeToValue.histogram} />
                  <p className="muted small">Users by time from first use to their first successful answer.</p>
                </div>
              ) : null}
            </div>
          )}
        </>
      ) : null}
      <CriteriaSection useCase={useCase} simulated={simulated} />
      <HealthSection useCase={useCase} simulated={simulated} />
    </section>
  );
}
