import { type FormEvent, useCallback, useEffect, useState } from 'react';
import {
  api,
  type ChangeRequest,
  type Incident,
  type IncidentEvent,
  type IncidentSeverity,
  type IncidentStatus,
  type Me,
  type UseCase,
} from '../api.ts';
import { Empty, ErrorBox, formatDate } from '../components.tsx';

const severities: IncidentSeverity[] = ['sev1', 'sev2', 'sev3', 'sev4'];
const statuses: IncidentStatus[] = ['open', 'triaged', 'mitigated', 'resolved'];
const severityClass = (s: IncidentSeverity) => (s === 'sev1' || s === 'sev2' ? 'bad' : s === 'sev3' ? 'warn' : '');

function describeEvent(event: IncidentEvent): string {
  const d = event.data as Record<string, unknown>;
  switch (event.kind) {
    case 'opened':
      return `opened (${String(d.severity)})`;
    case 'status':
      return `status ${String(d.from)} → ${String(d.to)}`;
    case 'severity':
      return `severity ${String(d.from)} → ${String(d.to)}`;
    case 'link':
    case 'unlink':
      return `${event.kind === 'link' ? 'linked' : 'unlinked'} ${String(d.kind)} ${String(d.ref)}`;
    case 'rollback':
      return `rollback of ${String(d.kind)} ${String(d.name)} production ${String(d.from)} → ${String(d.to)}: ${String(d.status)}${
        d.emergency ? ' (emergency)' : ''
      }${d.changeRequestId ? `, change request ${String(d.changeRequestId)}` : ''}`;
    case 'resolved':
      return `resolved (from ${String(d.from)})`;
    default:
      return event.kind;
  }
}

/** A linked change request's state (pending, applied, awaiting retrospective approval), read from /v1/changes. */
function ChangeStatus({ id }: { id: string }) {
  const [change, setChange] = useState<ChangeRequest | null>(null);
  useEffect(() => {
    api<{ changeRequest: ChangeRequest }>(`/v1/changes/${encodeURIComponent(id)}`)
      .then((r) => setChange(r.changeRequest))
      .catch(() => setChange(null));
  }, [id]);
  if (!change) return null;
  return (
    <span className="muted small">
      {' '}
      · {change.summary}:{' '}
      <a href="#/changes">{change.awaitingRetrospective ? 'applied, awaiting retrospective approval' : change.status}</a>
    </span>
  );
}

/** Incidents: list, open one, and (with an id) its timeline, update, resolve and rollback. */
export function IncidentsPage({ me, id }: { me: Me; id?: string }) {
  return id ? <IncidentDetailView me={me} id={id} /> : <IncidentList me={me} />;
}

function IncidentList({ me }: { me: Me }) {
  const [active, setActive] = useState(true);
  const [incidents, setIncidents] = useState<Incident[] | null>(null);
  const [useCases, setUseCases] = useState<UseCase[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [title, setTitle] = useState('');
  const [severity, setSeverity] = useState<IncidentSeverity>('sev3');
  const [useCase, setUseCase] = useState('');
  const [description, setDescription] = useState('');
  const [trace, setTrace] = useState('');
  const canWrite = me.scopes.includes('incidents:write');

  const load = useCallback(async () => {
    try {
      setIncidents((await api<{ incidents: Incident[] }>(`/v1/incidents?limit=200${active ? '&active=true' : ''}`)).incidents);
      setError(null);
    } catch (caught) {
      setError(caught);
    }
  }, [active]);

  useEffect(() => {
    void load();
  }, [load]);
  useEffect(() => {
    api<{ useCases: UseCase[] }>('/v1/use-cases')
      .then((r) => setUseCases(r.useCases))
      .catch(() => setUseCases([]));
  }, []);

  async function open(event: FormEvent) {
    event.preventDefault();
    try {
      const opened = await api<Incident>('/v1/incidents', {
        method: 'POST',
        body: {
          title,
          severity,
          ...(useCase ? { useCase } : {}),
          ...(description ? { description } : {}),
          ...(trace.trim() ? { links: [{ kind: 'trace', ref: trace.trim() }] } : {}),
        },
      });
      window.location.hash = `#/incidents/${encodeURIComponent(opened.id)}`;
    } catch (caught) {
      setError(caught);
    }
  }

  return (
    <section aria-labelledby="incidents-title">
      <div className="row between">
        <h1 id="incidents-title">Incidents</h1>
        <button type="button" className="secondary" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      <fieldset className="row segmented">
        <legend className="visually-hidden">Which incidents</legend>
        <button type="button" className={active ? '' : 'secondary'} aria-pressed={active} onClick={() => setActive(true)}>
          Active
        </button>
        <button type="button" className={active ? 'secondary' : ''} aria-pressed={!active} onClick={() => setActive(false)}>
          All
        </button>
      </fieldset>
      <ErrorBox error={error} />
      {incidents === null ? <p className="loading">Loading…</p> : null}
      {incidents?.length === 0 ? <Empty>No incidents.</Empty> : null}
      {incidents && incidents.length > 0 ? (
        <table aria-label="Incidents">
          <thead>
            <tr>
              <th>Severity</th>
              <th>Title</th>
              <th>Status</th>
              <th>Use case</th>
              <th>Opened</th>
            </tr>
          </thead>
          <tbody>
            {incidents.map((incident) => (
              <tr key={incident.id}>
                <td>
                  <span className={`pill ${severityClass(incident.severity)}`}>{incident.severity}</span>
                </td>
                <td>
                  <a href={`#/incidents/${encodeURIComponent(incident.id)}`}>{incident.title}</a>
                </td>
                <td>{incident.status}</td>
                <td>{incident.useCase ?? '—'}</td>
                <td>
                  {formatDate(incident.openedAt)} by {incident.openedBy}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {canWrite ? (
        <form className="card" onSubmit={(e) => void open(e)} aria-label="Open an incident">
          <h2 className="small-heading">Open an incident</h2>
          <label htmlFor="incident-title">Title</label>
          <input id="incident-title" required maxLength={200} value={title} onChange={(e) => setTitle(e.target.value)} />
          <div className="row">
            <label htmlFor="incident-severity">Severity</label>
            <select id="incident-severity" value={severity} onChange={(e) => setSeverity(e.target.value as IncidentSeverity)}>
              {severities.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
            <label htmlFor="incident-use-case">Use case</label>
            <select id="incident-use-case" value={useCase} onChange={(e) => setUseCase(e.target.value)}>
              <option value="">(none)</option>
              {useCases.map((u) => (
                <option key={u.name} value={u.name}>
                  {u.name}
                </option>
              ))}
            </select>
          </div>
          <label htmlFor="incident-description">What is wrong</label>
          <textarea id="incident-description" rows={3} value={description} onChange={(e) => setDescription(e.target.value)} />
          <label htmlFor="incident-trace">Trace id (optional)</label>
          <input id="incident-trace" value={trace} onChange={(e) => setTrace(e.target.value)} />
          <button type="submit">Open incident</button>
        </form>
      ) : null}
    </section>
  );
}

function IncidentDetailView({ me, id }: { me: Me; id: string }) {
  const [incident, setIncident] = useState<Incident | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState('');
  const [status, setStatus] = useState<IncidentStatus | ''>('');
  const [severity, setSeverity] = useState<IncidentSeverity | ''>('');
  const [note, setNote] = useState('');
  const [link, setLink] = useState('');
  const [closingNote, setClosingNote] = useState('');
  const [postIncidentNote, setPostIncidentNote] = useState('');
  const [rollbackReason, setRollbackReason] = useState('');
  const [rollbackTarget, setRollbackTarget] = useState<'both' | 'prompt' | 'model'>('both');
  const [emergency, setEmergency] = useState(false);
  const canWrite = me.scopes.includes('incidents:write');
  const canRollBack = canWrite && me.scopes.includes('prompts:write');

  const load = useCallback(async () => {
    try {
      setIncident(await api<Incident>(`/v1/incidents/${encodeURIComponent(id)}`));
    } catch (caught) {
      setError(caught);
    }
  }, [id]);
  useEffect(() => {
    void load();
  }, [load]);

  async function run(work: () => Promise<string>) {
    setError(null);
    try {
      setNotice(await work());
      await load();
    } catch (caught) {
      setError(caught);
    }
  }

  const update = (event: FormEvent) => {
    event.preventDefault();
    const colon = link.indexOf(':');
    void run(async () => {
      await api(`/v1/incidents/${encodeURIComponent(id)}`, {
        method: 'PATCH',
        body: {
          ...(status ? { status } : {}),
          ...(severity ? { severity } : {}),
          ...(note ? { note } : {}),
          ...(link.trim()
            ? {
                links: {
                  add: [
                    { kind: colon > 0 ? link.slice(0, colon) : 'trace', ref: colon > 0 ? link.slice(colon + 1) : link.trim() },
                  ],
                },
              }
            : {}),
        },
      });
      setNote('');
      setLink('');
      setStatus('');
      setSeverity('');
      return 'Incident updated.';
    });
  };
  const resolve = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      await api(`/v1/incidents/${encodeURIComponent(id)}/resolve`, {
        method: 'POST',
        body: { ...(closingNote ? { note: closingNote } : {}), ...(postIncidentNote ? { postIncidentNote } : {}) },
      });
      return 'Incident resolved.';
    });
  };
  const rollback = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const outcome = await api<{
        rollbacks: Array<{
          kind: string;
          name: string;
          status: string;
          from: number;
          to: number;
          changeRequest: { id: string } | null;
        }>;
      }>(`/v1/incidents/${encodeURIComponent(id)}/rollback`, {
        method: 'POST',
        body: { reason: rollbackReason, target: rollbackTarget, emergency },
      });
      setRollbackReason('');
      return outcome.rollbacks
        .map((r) =>
          r.status === 'applied'
            ? `Rolled back ${r.kind} ${r.name} to version ${r.to}${emergency ? ` (emergency; change request ${r.changeRequest?.id} needs a retrospective approval)` : ''}.`
            : `Change request ${r.changeRequest?.id} filed to roll ${r.kind} ${r.name} back to version ${r.to}: it needs another person's approval (Changes page).`,
        )
        .join(' ');
    });
  };

  if (!incident) {
    return (
      <section>
        <ErrorBox error={error} />
        {error ? null : <p className="loading">Loading…</p>}
      </section>
    );
  }
  const resolved = incident.status === 'resolved';
  return (
    <section aria-labelledby="incident-title">
      <p>
        <a href="#/incidents">← Incidents</a>
      </p>
      <div className="row between">
        <h1 id="incident-title">{incident.title}</h1>
        <span>
          <span className={`pill ${severityClass(incident.severity)}`}>{incident.severity}</span>{' '}
          <span className={`pill ${resolved ? 'good' : ''}`} data-testid="incident-status">
            {incident.status}
          </span>
        </span>
      </div>
      <p className="muted small">
        {incident.id} · use case {incident.useCase ?? '—'} · opened {formatDate(incident.openedAt)} by {incident.openedBy}
        {incident.resolvedAt ? ` · resolved ${formatDate(incident.resolvedAt)} by ${incident.resolvedBy}` : ''}
      </p>
      {incident.description ? <p>{incident.description}</p> : null}
      {incident.postIncidentNote ? (
        <section className="card" aria-label="Post-incident note">
          <h2 className="small-heading">Post-incident note</h2>
          <p>{incident.postIncidentNote}</p>
        </section>
      ) : null}
      <ErrorBox error={error} />
      {notice ? (
        <p className="notice" role="status">
          {notice}
        </p>
      ) : null}
      <h2 className="small-heading">Links</h2>
      {incident.links.length === 0 ? <p className="muted small">Nothing linked.</p> : null}
      <ul className="plain" aria-label="Links">
        {incident.links.map((l) => (
          <li key={`${l.kind}:${l.ref}`}>
            {l.kind} {l.kind === 'trace' ? <a href={`#/traces/${encodeURIComponent(l.ref)}`}>{l.ref}</a> : <code>{l.ref}</code>}
            {l.kind === 'change' ? <ChangeStatus id={l.ref} /> : null}
            {l.kind === 'trace' && l.trace === null ? <span className="muted small"> (not visible to you)</span> : null}
            {l.trace?.documentsRestricted ? <span className="muted small"> (uses documents you may not read)</span> : null}
            {l.trace ? <span className="muted small"> · {l.trace.outcome}</span> : null}
          </li>
        ))}
      </ul>
      <h2 className="small-heading">Timeline</h2>
      <ol className="plain" aria-label="Timeline">
        {(incident.timeline ?? []).map((event) => (
          <li key={event.seq}>
            <span className="muted small">
              {formatDate(event.at)} · {event.actor}
            </span>{' '}
            {describeEvent(event)}
            {event.note ? <>: “{event.note}”</> : null}
          </li>
        ))}
      </ol>
      {canWrite ? (
        <form className="card" onSubmit={update} aria-label="Update the incident">
          <h2 className="small-heading">Update</h2>
          <div className="row">
            <label htmlFor="incident-status">Status</label>
            <select id="incident-status" value={status} onChange={(e) => setStatus(e.target.value as IncidentStatus | '')}>
              <option value="">(unchanged)</option>
              {statuses
                .filter((s) => s !== 'resolved')
                .map((s) => (
                  <option key={s} value={s}>
                    {s}
                  </option>
                ))}
            </select>
            <label htmlFor="incident-new-severity">Severity</label>
            <select
              id="incident-new-severity"
              value={severity}
              onChange={(e) => setSeverity(e.target.value as IncidentSeverity | '')}
            >
              <option value="">(unchanged)</option>
              {severities.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </div>
          <label htmlFor="incident-note">Note (required when moving back)</label>
          <textarea id="incident-note" rows={2} value={note} onChange={(e) => setNote(e.target.value)} />
          <label htmlFor="incident-link">Link (trace id, or feedback:ID, change:ID)</label>
          <input id="incident-link" value={link} onChange={(e) => setLink(e.target.value)} />
          <button type="submit">Save</button>
        </form>
      ) : null}
      {canWrite && !resolved ? (
        <form className="card" onSubmit={resolve} aria-label="Resolve the incident">
          <h2 className="small-heading">Resolve</h2>
          <label htmlFor="incident-post-note">
            Post-incident note
            {incident.severity === 'sev1' || incident.severity === 'sev2' ? ' (required for sev1 and sev2)' : ''}
          </label>
          <textarea
            id="incident-post-note"
            rows={3}
            value={postIncidentNote}
            onChange={(e) => setPostIncidentNote(e.target.value)}
          />
          <label htmlFor="incident-closing-note">Closing note</label>
          <input id="incident-closing-note" value={closingNote} onChange={(e) => setClosingNote(e.target.value)} />
          <button type="submit">Resolve incident</button>
        </form>
      ) : null}
      {canRollBack && !resolved && incident.useCase ? (
        <form className="card" onSubmit={rollback} aria-label="Roll back">
          <h2 className="small-heading">Roll back {incident.useCase}</h2>
          <p className="muted small">
            Moves the use case's production prompt and/or model configuration back one version: a change request for another
            person to approve, or — in an emergency (admins, the owner or on-call) — at once, flagged for a retrospective
            approval.
          </p>
          <div className="row">
            <label htmlFor="rollback-target">What</label>
            <select
              id="rollback-target"
              value={rollbackTarget}
              onChange={(e) => setRollbackTarget(e.target.value as 'both' | 'prompt' | 'model')}
            >
              <option value="both">prompt and model</option>
              <option value="prompt">prompt</option>
              <option value="model">model configuration</option>
            </select>
            <label>
              <input type="checkbox" checked={emergency} onChange={(e) => setEmergency(e.target.checked)} /> Emergency
            </label>
          </div>
          <label htmlFor="rollback-reason">Reason</label>
          <input id="rollback-reason" required value={rollbackReason} onChange={(e) => setRollbackReason(e.target.value)} />
          <button type="submit">Roll back</button>
        </form>
      ) : null}
    </section>
  );
}
