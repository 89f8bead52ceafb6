import { useCallback, useEffect, useState } from 'react';
import { api, type PipelineView } from '../api.ts';
import { Empty, ErrorBox, formatDate, formatDuration } from '../components.tsx';
import { evaluationPoints, Sparkline, value } from './MonitorsPage.tsx';

/**
 * The pipeline dashboard (docs/monitoring.md): per source the document count over time (files after each sync),
 * update lag, failures, quarantine and freshness against its SLO; per use case the monitors with their trend, the
 * open alerts and (for use cases the viewer reviews) the review queue.
 */
export function PipelinePage() {
  const [view, setView] = useState<PipelineView | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async () => {
    try {
      setView(await api<PipelineView>('/v1/pipeline'));
      setError(null);
    } catch (caught) {
      setError(caught);
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  return (
    <section aria-labelledby="pipeline-title">
      <div className="row between">
        <h1 id="pipeline-title">Pipeline</h1>
        <button type="button" className="secondary" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      <ErrorBox error={error} />
      {view === null && !error ? <p className="loading">Loading…</p> : null}
      {view ? (
        <>
          <h2>Sources</h2>
          {view.sources.length === 0 ? <Empty>No sources.</Empty> : null}
          {view.sources.length > 0 ? (
            <table aria-label="Sources">
              <thead>
                <tr>
                  <th>Source</th>
                  <th>Documents</th>
                  <th>Files over time</th>
                  <th>Update lag (worst)</th>
                  <th>Failures</th>
                  <th>Quarantine</th>
                  <th>Freshness</th>
                  <th>Alerts</th>
                </tr>
              </thead>
              <tbody>
                {view.sources.map((s) => (
                  <tr key={s.name} aria-label={`Source ${s.name}`}>
                    <td>{s.name}</td>
                    <td>{s.documents}</td>
                    <td>
                      <Sparkline
                        label={`Files after each sync of ${s.name}`}
                        points={s.history
                          .filter((h) => h.files !== null)
                          .map((h) => ({ key: h.at, value: h.files as number, alert: h.deleted > 0 }))}
                      />
                    </td>
                    <td>{formatDuration(s.updateLagSeconds.worst)}</td>
                    <td title={s.failures.lastError ?? ''}>
                      {s.failures.failedRuns + s.failures.interruptedRuns}
                      {s.failures.lastError ? <span className="muted small"> last: {s.failures.lastError}</span> : null}
                    </td>
                    <td>{s.quarantined}</td>
                    <td>
                      <span className={`state state-${s.freshness.status === 'breached' ? 'dead' : s.freshness.status}`}>
                        {s.freshness.status}
                      </span>{' '}
                      <span className="muted small">
                        synced {formatDate(s.lastSuccessAt)}
                        {s.freshness.slo ? ` (SLO ${s.freshness.slo})` : ''}
                      </span>
                    </td>
                    <td>{s.openAlerts.length > 0 ? `${s.openAlerts.length} open` : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
          <h2>Use cases</h2>
          {view.useCases.length === 0 ? <Empty>No use-case monitors or review queues yet.</Empty> : null}
          {view.useCases.map((u) => (
            <article key={u.useCase ?? '(all)'} aria-label={`Use case ${u.useCase ?? 'all'}`} className="card">
              <h3>{u.useCase ?? 'All use cases'}</h3>
              {u.monitors.length > 0 ? (
                <table aria-label={`Monitors of ${u.useCase ?? 'all use cases'}`}>
                  <thead>
                    <tr>
                      <th>Monitor</th>
                      <th>Kind</th>
                      <th>Value</th>
                      <th>Trend</th>
                      <th>State</th>
                    </tr>
                  </thead>
                  <tbody>
                    {u.monitors.map((m) => (
                      <tr key={m.id}>
                        <td>{m.name}</td>
                        <td>{m.kind}</td>
                        <td>{value(m.lastValue)}</td>
                        <td>
                          <Sparkline points={evaluationPoints(m.evaluations)} label={`Trend of ${m.name}`} />
                        </td>
                        <td>
                          <span className={`state state-${m.lastState ?? 'none'}`}>{m.lastState ?? 'not evaluated'}</span>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ) : null}
              {u.openAlerts.length > 0 ? (
                <p className="small">
                  Firing:{' '}
                  {u.openAlerts.map((a) => (
                    <a key={a.id} href="#/monitors">
                      {a.monitor} ({a.status}){' '}
                    </a>
                  ))}
                </p>
              ) : null}
              {u.reviewQueue ? (
                <section aria-label={`Review queue of ${u.useCase}`} className="small">
                  <strong>Review queue</strong>: {u.reviewQueue.pending} pending ({u.reviewQueue.unclaimed} unclaimed,{' '}
                  {u.reviewQueue.claimed} claimed) · graded {u.reviewQueue.graded24h} in 24 h, {u.reviewQueue.graded7d} in 7 d ·
                  wrong {u.reviewQueue.wrongShare7d === null ? '—' : `${Math.round(u.reviewQueue.wrongShare7d * 100)}%`} (7 d) ·
                  oldest pending {formatDuration(u.reviewQueue.oldestPendingAgeSeconds)} · <a href="#/review">Review</a>
                </section>
              ) : null}
            </article>
          ))}
        </>
      ) : null}
    </section>
  );
}
