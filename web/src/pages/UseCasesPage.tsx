import { useEffect, useState } from 'react';
import { api, type Me, type UseCaseChangeLog, type UseCaseDetail } from '../api.ts';
import { Empty, ErrorBox, formatDate } from '../components.tsx';

/** Use cases: ownership (owner, approvers, on-call, status) and, for reviewers, each one's change log. */
export function UseCasesPage({ me, name }: { me: Me; name?: string }) {
  const [useCases, setUseCases] = useState<UseCaseDetail[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api<{ useCases: UseCaseDetail[] }>('/v1/use-cases')
      .then((r) => setUseCases(r.useCases))
      .catch(setError);
  }, []);
  const selected = useCases?.find((u) => u.name === name);
  return (
    <section aria-labelledby="use-cases-title">
      <h1 id="use-cases-title">Use cases</h1>
      <ErrorBox error={error} />
      {useCases === null && !error ? <p className="loading">Loading…</p> : null}
      {useCases?.length === 0 ? <Empty>No use cases you may use.</Empty> : null}
      {useCases && useCases.length > 0 ? (
        <table aria-label="Use cases">
          <thead>
            <tr>
              <th>Name</th>
              <th>Status</th>
              <th>Owner</th>
              <th>Approvers</th>
              <th>On call</th>
              <th>Prompt</th>
            </tr>
          </thead>
          <tbody>
            {useCases.map((u) => (
              <tr key={u.name} aria-current={u.name === name ? 'true' : undefined}>
                <td>
                  <a href={`#/use-cases/${encodeURIComponent(u.name)}`}>{u.name}</a>
                </td>
                <td>
                  <span className={`pill ${u.status === 'general' ? 'good' : u.status === 'retired' ? 'bad' : ''}`}>
                    {u.status ?? '—'}
                  </span>
                </td>
                <td>{u.owner ?? '—'}</td>
                <td>{u.approvers && u.approvers.length > 0 ? u.approvers.join(', ') : '— (admins)'}</td>
                <td>{u.onCall ?? '—'}</td>
                <td>{u.promptRef ?? '(built-in)'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {selected ? <ChangeLog me={me} useCase={selected} /> : null}
    </section>
  );
}

function ChangeLog({ me, useCase }: { me: Me; useCase: UseCaseDetail }) {
  const [log, setLog] = useState<UseCaseChangeLog | null>(null);
  const [error, setError] = useState<unknown>(null);
  const allowed = me.scopes.includes('incidents:read');
  useEffect(() => {
    if (!allowed) return;
    setLog(null);
    api<UseCaseChangeLog>(`/v1/use-cases/${encodeURIComponent(useCase.name)}/changes`)
      .then(setLog)
      .catch(setError);
  }, [allowed, useCase.name]);
  return (
    <section className="card" aria-label={`Use case ${useCase.name}`}>
      <h2 className="small-heading">{useCase.name}</h2>
      {useCase.description ? <p>{useCase.description}</p> : null}
      <dl className="stats small" aria-label="Ownership">
        <dt>Owner</dt>
        <dd>{useCase.owner ?? '—'}</dd>
        <dt>Approvers</dt>
        <dd>{useCase.approvers && useCase.approvers.length > 0 ? `${useCase.approvers.join(', ')} and admins` : 'admins'}</dd>
        <dt>On call</dt>
        <dd>{useCase.onCall ?? '—'}</dd>
        <dt>Status</dt>
        <dd>{useCase.status ?? '—'}</dd>
      </dl>
      {!allowed ? <p className="muted small">The change log is for reviewers and up.</p> : null}
      <ErrorBox error={error} />
      {allowed && !log && !error ? <p className="loading">Loading the change log…</p> : null}
      {log ? (
        <>
          <h3 className="small-heading">Change log</h3>
          {log.entries.length === 0 ? <Empty>No changes recorded.</Empty> : null}
          {log.entries.length > 0 ? (
            <table aria-label="Change log">
              <thead>
                <tr>
                  <th>When</th>
                  <th>What</th>
                  <th>Change</th>
                  <th>By</th>
                  <th>Approved by</th>
                  <th>Eval</th>
                  <th>Incidents</th>
                </tr>
              </thead>
              <tbody>
                {log.entries.map((entry, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: entries are listed in a fixed order and never reordered.
                  <tr key={i}>
                    <td>{formatDate(entry.at)}</td>
                    <td>{entry.area}</td>
                    <td>
                      {entry.summary}
                      {entry.emergency ? (
                        <span className="pill warn">
                          {entry.awaitingRetrospective ? 'emergency — awaiting approval' : 'emergency'}
                        </span>
                      ) : null}
                    </td>
                    <td>{entry.author}</td>
                    <td>{entry.approvers.join(', ')}</td>
                    <td>
                      {entry.evalDelta ? (
                        <span
                          className={`pill ${entry.evalDelta.regressed ? 'bad' : 'good'}`}
                          title={entry.evalDelta.metrics
                            .map((m) => `${m.metric} ${m.difference >= 0 ? '+' : ''}${m.difference.toFixed(3)}`)
                            .join(', ')}
                        >
                          {entry.evalDelta.regressed ? 'regressed' : 'no regression'}
                        </span>
                      ) : null}
                    </td>
                    <td>
                      {entry.incidents.map((id) => (
                        <a key={id} href={`#/incidents/${encodeURIComponent(id)}`}>
                          {id}
                        </a>
                      ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
          <h3 className="small-heading">Incidents</h3>
          {log.incidents.length === 0 ? <p className="muted small">None.</p> : null}
          <ul className="plain">
            {log.incidents.map((incident) => (
              <li key={incident.id}>
                <a href={`#/incidents/${encodeURIComponent(incident.id)}`}>
                  {incident.severity} · {incident.title}
                </a>{' '}
                <span className="muted small">({incident.status})</span>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}
