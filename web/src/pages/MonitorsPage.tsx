import { useCallback, useEffect, useState } from 'react';
import { type AlertView, api, type Me, type MonitorDetailView, type MonitorView } from '../api.ts';
import { Empty, ErrorBox, formatDate } from '../components.tsx';

export const value = (v: number | null | undefined) =>
  v === null || v === undefined ? '—' : Number(v.toPrecision(4)).toString();

/** Values oldest → newest as a small inline line; firing points in red. */
export function Sparkline({
  points,
  label,
}: {
  points: ReadonlyArray<{ key: string; value: number; alert?: boolean }>;
  label: string;
}) {
  if (points.length < 2) return <span className="muted small">{points.length === 1 ? value(points[0]?.value) : '—'}</span>;
  const min = Math.min(...points.map((p) => p.value));
  const max = Math.max(...points.map((p) => p.value));
  const w = 120;
  const h = 24;
  const x = (i: number) => (i / (points.length - 1)) * w;
  const y = (v: number) => (max === min ? h / 2 : h - 2 - ((v - min) / (max - min)) * (h - 4));
  return (
    <svg width={w} height={h} role="img" aria-label={`${label}: ${points.map((p) => value(p.value)).join(', ')}`}>
      <polyline
        fill="none"
        stroke="currentColor"
        strokeWidth="1.5"
        points={points.map((p, i) => `${x(i)},${y(p.value)}`).join(' ')}
      />
      {points.map((p, i) => (p.alert ? <circle key={p.key} cx={x(i)} cy={y(p.value)} r="2.5" fill="#d7263d" /> : null))}
    </svg>
  );
}

/** A monitor's evaluations (newest first from the API) as sparkline points. */
export function evaluationPoints(evaluations: MonitorDetailView['evaluations']) {
  return [...evaluations]
    .reverse()
    .filter((e) => e.value !== null)
    .map((e) => ({ key: e.at, value: e.value as number, alert: e.state === 'firing' }));
}

/**
 * Monitors and their alerts (docs/monitoring.md): each monitor's last value, state and trend, its webhook health
 * (failing webhooks are shown), and alerts to acknowledge or resolve. Example traces link to Traces.
 */
export function MonitorsPage({ me }: { me: Me }) {
  const [monitors, setMonitors] = useState<MonitorDetailView[] | null>(null);
  const [alerts, setAlerts] = useState<AlertView[] | null>(null);
  const [openOnly, setOpenOnly] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState('');
  const canAct = me.scopes.includes('alerts:write');
  const canEvaluate = me.scopes.includes('monitors:write');

  const load = useCallback(async () => {
    try {
      const list = (await api<{ monitors: MonitorView[] }>('/v1/monitors')).monitors;
      setMonitors(await Promise.all(list.map((m) => api<MonitorDetailView>(`/v1/monitors/${encodeURIComponent(m.id)}`))));
      setAlerts((await api<{ alerts: AlertView[] }>(`/v1/alerts${openOnly ? '?open=true' : ''}`)).alerts);
      setError(null);
    } catch (caught) {
      setError(caught);
    }
  }, [openOnly]);

  useEffect(() => {
    void load();
  }, [load]);

  async function act(alert: AlertView, action: 'ack' | 'resolve') {
    try {
      const updated = await api<AlertView>(`/v1/alerts/${encodeURIComponent(alert.id)}/${action}`, { method: 'POST', body: {} });
      await load();
      setNotice(`Alert of ${updated.monitor} is ${updated.status}.`);
    } catch (caught) {
      setError(caught);
    }
  }

  async function evaluate() {
    try {
      const { results } = await api<{ results: Array<{ name: string; state: string }> }>('/v1/monitors/evaluate', {
        method: 'POST',
        body: { force: true },
      });
      await load();
      setNotice(`Evaluated ${results.length} monitors; ${results.filter((r) => r.state === 'firing').length} firing.`);
    } catch (caught) {
      setError(caught);
    }
  }

  return (
    <section aria-labelledby="monitors-title">
      <div className="row between">
        <h1 id="monitors-title">Monitors</h1>
        <div className="row">
          {canEvaluate ? (
            <button type="button" className="secondary" onClick={() => void evaluate()}>
              Evaluate now
            </button>
          ) : null}
          <button type="button" className="secondary" onClick={() => void load()}>
            Refresh
          </button>
        </div>
      </div>
      <p className="muted small">
        Production metrics per use case and source over a sliding window, evaluated by the worker (
        <code>groundwork monitors create</code> adds one). A monitor past its threshold opens an alert; it resolves itself when
        the monitor is healthy again.
      </p>
      <ErrorBox error={error} />
      {notice ? (
        <p className="notice" role="status">
          {notice}
        </p>
      ) : null}
      {monitors === null ? <p className="loading">Loading…</p> : null}
      {monitors?.length === 0 ? <Empty>No monitors yet.</Empty> : null}
      {monitors && monitors.length > 0 ? (
        <table aria-label="Monitors">
          <thead>
            <tr>
              <th>Monitor</th>
              <th>Kind</th>
              <th>Watches</th>
              <th>Threshold</th>
              <th>Value</th>
              <th>Trend</th>
              <th>State</th>
              <th>Webhook</th>
            </tr>
          </thead>
          <tbody>
            {monitors.map((m) => (
              <tr key={m.id} aria-label={`Monitor ${m.name}`}>
                <td>{m.name}</td>
                <td>{m.kind}</td>
                <td>{m.useCase ? `use case ${m.useCase}` : m.source ? `source ${m.source}` : 'all use cases'}</td>
                <td>
                  <code>{m.threshold}</code> over {m.window}
                </td>
                <td>{value(m.lastValue)}</td>
                <td>
                  <Sparkline points={evaluationPoints(m.evaluations)} label={`Trend of ${m.name}`} />
                </td>
                <td>
                  <span className={`state state-${m.lastState ?? 'none'}`}>{m.lastState ?? 'not evaluated'}</span>
                </td>
                <td>
                  {m.webhook ? (
                    <span title={m.webhook.error ?? ''} className={m.webhook.status === 'failing' ? 'state state-dead' : ''}>
                      {m.webhook.format} {m.webhook.url}{' '}
                      {m.webhook.status === 'failing' ? `failing: ${m.webhook.error ?? ''}` : ''}
                    </span>
                  ) : (
                    '—'
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}

      <div className="row between">
        <h2>Alerts</h2>
        <label className="row small">
          <input type="checkbox" checked={openOnly} onChange={(e) => setOpenOnly(e.target.checked)} /> open only
        </label>
      </div>
      {alerts?.length === 0 ? <Empty>No alerts.</Empty> : null}
      {alerts && alerts.length > 0 ? (
        <table aria-label="Alerts">
          <thead>
            <tr>
              <th>Status</th>
              <th>Monitor</th>
              <th>Value</th>
              <th>Threshold</th>
              <th>Fired</th>
              <th>Example traces</th>
              {canAct ? <th aria-label="Actions" /> : null}
            </tr>
          </thead>
          <tbody>
            {alerts.map((a) => (
              <tr key={a.id} aria-label={`Alert ${a.id}`}>
                <td>
                  <span className={`state state-${a.status}`}>{a.status}</span>
                  {a.incidentId ? (
                    <a className="small" href={`#/incidents/${encodeURIComponent(a.incidentId)}`}>
                      {' '}
                      incident
                    </a>
                  ) : null}
                </td>
                <td>{a.monitor}</td>
                <td>
                  {value(a.value)}
                  {a.reference !== null ? <span className="muted small"> (reference {value(a.reference)})</span> : null}
                </td>
                <td>
                  <code>{a.threshold}</code> over {a.window}
                </td>
                <td>{formatDate(a.firedAt)}</td>
                <td>
                  {a.exampleTraces.map((t) => (
                    <a key={t.id} href={`#/traces/${encodeURIComponent(t.id)}`} className="small">
                      {t.id}{' '}
                    </a>
                  ))}
                  {a.withheldExampleTraces > 0 ? (
                    <span className="muted small">{a.withheldExampleTraces} not visible to you</span>
                  ) : null}
                </td>
                {canAct ? (
                  <td>
                    {a.status === 'firing' ? (
                      <button type="button" className="secondary" onClick={() => void act(a, 'ack')}>
                        Acknowledge
                      </button>
                    ) : null}
                    {a.status !== 'resolved' ? (
                      <button type="button" className="secondary" onClick={() => void act(a, 'resolve')}>
                        Resolve
                      </button>
                    ) : null}
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
