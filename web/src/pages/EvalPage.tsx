import { useEffect, useState } from 'react';
import { api } from '../api.ts';
import { Empty, ErrorBox, formatDate } from '../components.tsx';

interface Metric {
  mean: number;
  n: number;
  std: number;
  min: number;
  max: number;
}
interface Run {
  id: string;
  datasetName: string;
  datasetVersion: number;
  status: string;
  mode: string;
  useCase: string | null;
  labels: string[];
  caseCount: number;
  metrics: Record<string, Metric>;
  startedAt: string;
  error: string | null;
}
interface Dataset {
  id: string;
  name: string;
  version: number;
  description: string;
  origin: string;
  caseCount: number;
  createdAt: string;
}

/** Difference of means with a 95% normal-approximation interval (Welch), from the runs' aggregate metrics. */
export function metricDelta(base: Metric, candidate: Metric): { delta: number; low: number; high: number } {
  const delta = candidate.mean - base.mean;
  const se = Math.sqrt(base.std ** 2 / Math.max(base.n, 1) + candidate.std ** 2 / Math.max(candidate.n, 1));
  return { delta, low: delta - 1.96 * se, high: delta + 1.96 * se };
}

export function EvalPage() {
  const [datasets, setDatasets] = useState<Dataset[] | null>(null);
  const [runs, setRuns] = useState<Run[] | null>(null);
  const [baseId, setBaseId] = useState('');
  const [candidateId, setCandidateId] = useState('');
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    Promise.all([api<{ datasets: Dataset[] }>('/v1/eval/datasets'), api<{ runs: Run[] }>('/v1/eval/runs?limit=200')])
      .then(([d, r]) => {
        setDatasets(d.datasets);
        setRuns(r.runs);
        if (r.runs[1]) setBaseId(r.runs[1].id);
        if (r.runs[0]) setCandidateId(r.runs[0].id);
      })
      .catch(setError);
  }, []);

  const base = runs?.find((r) => r.id === baseId);
  const candidate = runs?.find((r) => r.id === candidateId);
  const metricNames =
    base && candidate
      ? Object.keys(candidate.metrics)
          .filter((m) => base.metrics[m])
          .sort()
      : [];

  return (
    <section aria-labelledby="eval-title">
      <h1 id="eval-title">Evaluations</h1>
      <ErrorBox error={error} />
      {!datasets && !error ? <p className="loading">Loading…</p> : null}
      <div className="card">
        <h2>Datasets</h2>
        {datasets?.length === 0 ? (
          <Empty>No datasets yet. Import one with `groundwork eval import FILE --name NAME`.</Empty>
        ) : null}
        {datasets && datasets.length > 0 ? (
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Version</th>
                <th scope="col">Cases</th>
                <th scope="col">Origin</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {datasets.map((d) => (
                <tr key={d.id}>
                  <td title={d.description}>{d.name}</td>
                  <td>{d.version}</td>
                  <td>{d.caseCount}</td>
                  <td>{d.origin}</td>
                  <td>{formatDate(d.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </div>
      <div className="card">
        <h2>Runs</h2>
        {runs?.length === 0 ? <Empty>No runs yet. Start one with `groundwork eval run --dataset NAME`.</Empty> : null}
        {runs && runs.length > 0 ? (
          <table>
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Dataset</th>
                <th scope="col">Mode</th>
                <th scope="col">Status</th>
                <th scope="col">Labels</th>
                <th scope="col">Metrics (mean)</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <tr key={r.id}>
                  <td>{formatDate(r.startedAt)}</td>
                  <td>
                    {r.datasetName} v{r.datasetVersion}
                  </td>
                  <td>{r.mode}</td>
                  <td>
                    <span className={`pill ${r.status === 'failed' ? 'bad' : r.status === 'succeeded' ? 'good' : ''}`}>
                      {r.status}
                    </span>
                  </td>
                  <td>{r.labels.join(', ')}</td>
                  <td className="small">
                    {Object.entries(r.metrics)
                      .sort(([a], [b]) => a.localeCompare(b))
                      .map(([name, m]) => `${name} ${m.mean.toFixed(3)}`)
                      .join(' · ')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </div>
      {runs && runs.length > 1 ? (
        <div className="card">
          <h2>Compare runs</h2>
          <div className="row">
            <label htmlFor="eval-base">Baseline</label>
            <select id="eval-base" value={baseId} onChange={(e) => setBaseId(e.target.value)}>
              {runs.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.datasetName} · {formatDate(r.startedAt)} {r.labels.length ? `(${r.labels.join(', ')})` : ''}
                </option>
              ))}
            </select>
            <label htmlFor="eval-candidate">Candidate</label>
            <select id="eval-candidate" value={candidateId} onChange={(e) => setCandidateId(e.target.value)}>
              {runs.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.datasetName} · {formatDate(r.startedAt)} {r.labels.length ? `(${r.labels.join(', ')})` : ''}
                </option>
              ))}
            </select>
          </div>
          {base && candidate && metricNames.length > 0 ? (
            <DeltaPlot names={metricNames} base={base} candidate={candidate} />
          ) : (
            <p className="muted">Pick two runs that share metrics.</p>
          )}
          <p className="muted small">
            Delta = candidate − baseline; whiskers: 95% interval from each run's mean, spread and case count (normal
            approximation, unpaired). `groundwork eval compare` gives the paired comparison.
          </p>
        </div>
      ) : null}
    </section>
  );
}

/** One row per metric: a dot at the delta with its interval as whiskers, around a zero line. */
function DeltaPlot({ names, base, candidate }: { names: string[]; base: Run; candidate: Run }) {
  const deltas = names.map((name) => ({ name, ...metricDelta(base.metrics[name] as Metric, candidate.metrics[name] as Metric) }));
  const extent = Math.max(0.01, ...deltas.flatMap((d) => [Math.abs(d.low), Math.abs(d.high)]));
  const label = 180;
  const width = 420;
  const row = 28;
  const x = (v: number) => label + width / 2 + (v / extent) * (width / 2 - 10);
  const height = deltas.length * row + 24;
  return (
    <svg
      className="chart"
      viewBox={`0 0 ${label + width + 140} ${height}`}
      role="img"
      aria-label="Metric deltas with 95% intervals"
    >
      <line x1={x(0)} x2={x(0)} y1={0} y2={height - 20} className="tl-axis" />
      {deltas.map((d, i) => {
        const y = i * row + 14;
        const significant = d.low > 0 || d.high < 0;
        const colour = significant ? (d.delta > 0 ? 'var(--good)' : 'var(--bad)') : 'var(--muted)';
        return (
          <g key={d.name}>
            <title>{`${d.name}: ${d.delta.toFixed(3)} [${d.low.toFixed(3)}, ${d.high.toFixed(3)}]`}</title>
            <text x={label - 8} y={y + 4} textAnchor="end" className="tl-label">
              {d.name}
            </text>
            <line x1={x(d.low)} x2={x(d.high)} y1={y} y2={y} stroke={colour} strokeWidth={2} />
            <line x1={x(d.low)} x2={x(d.low)} y1={y - 5} y2={y + 5} stroke={colour} strokeWidth={2} />
            <line x1={x(d.high)} x2={x(d.high)} y1={y - 5} y2={y + 5} stroke={colour} strokeWidth={2} />
            <circle cx={x(d.delta)} cy={y} r={5} fill={colour} />
            <text x={label + width + 8} y={y + 4} className="tl-value">
              {d.delta >= 0 ? '+' : ''}
              {d.delta.toFixed(3)}
            </text>
          </g>
        );
      })}
      <text x={x(-extent)} y={height - 4} className="tl-value">
        −{extent.toFixed(2)}
      </text>
      <text x={x(0)} y={height - 4} textAnchor="middle" className="tl-value">
        0
      </text>
      <text x={x(extent)} y={height - 4} textAnchor="end" className="tl-value">
        +{extent.toFixed(2)}
      </text>
    </svg>
  );
}
