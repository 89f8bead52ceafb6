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

/** The server's paired comparison (GET /v1/eval/compare): paired-bootstrap 95% intervals per metric. */
interface MetricComparison {
  metric: string;
  baseline: number;
  candidate: number;
  difference: number;
  low: number;
  high: number;
  n: number;
  wins: number;
  losses: number;
  ties: number;
  significance: 'better' | 'worse' | 'none';
}
interface Comparison {
  metrics: MetricComparison[];
  changedCases: Array<{ externalId: string; changes: Record<string, { baseline: number; candidate: number }> }>;
  hiddenChangedCases: number;
  pairedCases: number;
  resamples: number;
  regressed: boolean;
}

export function EvalPage() {
  const [datasets, setDatasets] = useState<Dataset[] | null>(null);
  const [runs, setRuns] = useState<Run[] | null>(null);
  const [baseId, setBaseId] = useState('');
  const [candidateId, setCandidateId] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [comparison, setComparison] = useState<Comparison | null>(null);
  const [compareError, setCompareError] = useState<unknown>(null);

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

  useEffect(() => {
    setComparison(null);
    setCompareError(null);
    if (!baseId || !candidateId || baseId === candidateId) return;
    api<Comparison>(`/v1/eval/compare?baseline=${encodeURIComponent(baseId)}&candidate=${encodeURIComponent(candidateId)}`)
      .then(setComparison)
      .catch(setCompareError);
  }, [baseId, candidateId]);

  return (
    <section aria-labelledby="eval-title">
      <h1 id="eval-title">Evaluations</h1>
      <ErrorBox error={error} />
      {!datasets && !error ? <p className="loading">Loading…</p> : null}
      <div className="card">
        <h2>Datasets</h2>
        {datasets?.length === 0 ? (
          <Empty>{'No datasets yet. Import one with `groundwork eval import FILE --name NAME`.'}</Empty>
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
        {runs?.length === 0 ? <Empty>{'No runs yet. Start one with `groundwork eval run --dataset NAME`.'}</Empty> : null}
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
          {baseId === candidateId ? <p className="muted">Pick two different runs of the same dataset.</p> : null}
          <ErrorBox error={compareError} />
          {comparison && comparison.metrics.length > 0 ? (
            <>
              {/* Quality metrics share the 0..1 scale; latency and cost (other units) are in the table only. */}
              <DeltaPlot metrics={comparison.metrics.filter((m) => !/latency|cost/i.test(m.metric))} />
              <table>
                <caption className="muted small">
                  {comparison.pairedCases} paired cases · {comparison.resamples} bootstrap resamples
                  {comparison.regressed ? ' · significantly worse on at least one metric' : ''}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Metric</th>
                    <th scope="col">Baseline</th>
                    <th scope="col">Candidate</th>
                    <th scope="col">Δ [95% interval]</th>
                    <th scope="col">Wins / losses / ties</th>
                    <th scope="col">Verdict</th>
                  </tr>
                </thead>
                <tbody>
                  {comparison.metrics.map((m) => (
                    <tr key={m.metric}>
                      <td>{m.metric}</td>
                      <td>{m.baseline.toFixed(3)}</td>
                      <td>{m.candidate.toFixed(3)}</td>
                      <td>
                        {m.difference >= 0 ? '+' : ''}
                        {m.difference.toFixed(3)} [{m.low.toFixed(3)}, {m.high.toFixed(3)}]
                      </td>
                      <td>
                        {m.wins} / {m.losses} / {m.ties}
                      </td>
                      <td>
                        <span
                          className={`pill ${m.significance === 'better' ? 'good' : m.significance === 'worse' ? 'bad' : ''}`}
                        >
                          {m.significance === 'none' ? 'no significant change' : m.significance}
                        </span>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <p className="muted small">
                {comparison.changedCases.length} case(s) changed
                {comparison.hiddenChangedCases > 0
                  ? `; ${comparison.hiddenChangedCases} more changed in cases asked as principals you do not hold`
                  : ''}
                {comparison.changedCases.length > 0
                  ? `: ${comparison.changedCases
                      .slice(0, 20)
                      .map((c) => c.externalId)
                      .join(', ')}${comparison.changedCases.length > 20 ? ', …' : ''}`
                  : ''}
              </p>
            </>
          ) : null}
          {comparison && comparison.metrics.length === 0 ? <p className="muted">The two runs share no metric.</p> : null}
          <p className="muted small">
            Delta = candidate − baseline, paired per case; whiskers: paired-bootstrap 95% interval (the same numbers as{' '}
            <code>groundwork eval compare</code>). Green: significantly better; red: significantly worse.
          </p>
        </div>
      ) : null}
    </section>
  );
}

/** One row per metric: a dot at the paired delta with its bootstrap interval as whiskers, around a zero line. */
function DeltaPlot({ metrics }: { metrics: MetricComparison[] }) {
  const deltas = metrics.map((m) => ({
    name: m.metric,
    delta: m.difference,
    low: m.low,
    high: m.high,
    significance: m.significance,
  }));
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
        const colour = d.significance === 'better' ? 'var(--good)' : d.significance === 'worse' ? 'var(--bad)' : 'var(--muted)';
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
