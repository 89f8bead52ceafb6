import { useCallback, useEffect, useState } from 'react';
import { api, type ChangeRequest, type Me } from '../api.ts';
import { Empty, ErrorBox, formatDate } from '../components.tsx';
import { RolloutContext } from './adoption/RolloutContext.tsx';
import { lineDiff } from './PromptsPage.tsx';

const filters = [
  { status: 'pending', label: 'Pending' },
  { status: 'pending-retrospective', label: 'Awaiting retrospective approval' },
  { status: 'applied', label: 'Applied' },
  { status: 'rejected', label: 'Rejected' },
  { status: '', label: 'All' },
] as const;

interface VersionBody {
  version: number;
  body: { template?: string } & Record<string, unknown>;
}

interface RunMetrics {
  id: string;
  status: string;
  datasetName: string;
  metrics: Record<string, { mean: number; n: number }>;
}

const pretty = (value: unknown) => (value === null || value === undefined ? '(none)' : JSON.stringify(value, null, 2));

/** Who may approve or reject a request as the server decides it (the author never: no self-approval). */
function mayDecide(change: ChangeRequest, me: Me): boolean {
  if (!me.scopes.includes('changes:approve') || change.author === me.id) return false;
  if (me.role === 'admin') return true;
  return change.eligibleApprovers.some((p) => p === me.id || me.principals.includes(p));
}

function Diff({ before, after, title }: { before: string; after: string; title: string }) {
  return (
    <pre className="diff" title={title}>
      {lineDiff(before, after).map((line, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: diff lines are positional and never reordered.
        <div key={i} className={line.op === '+' ? 'add' : line.op === '-' ? 'del' : ''}>
          {line.op} {line.text}
        </div>
      ))}
    </pre>
  );
}

/** For a label move: the template (or configuration) diff between the version it points at and the one it would. */
function VersionDiff({ change }: { change: ChangeRequest }) {
  const [texts, setTexts] = useState<{ before: string; after: string } | null>(null);
  const kind = change.kind === 'prompt.label' ? 'prompts' : change.kind === 'model.label' ? 'model-configs' : undefined;
  const name = change.target.slice(0, change.target.lastIndexOf(':'));
  const from = (change.before as { version?: number } | null)?.version;
  const to = (change.after as { version?: number } | null)?.version;
  useEffect(() => {
    if (!kind || to === undefined) return;
    api<{ versions: VersionBody[] }>(`/v1/${kind}/${encodeURIComponent(name)}`)
      .then(({ versions }) => {
        const text = (v: VersionBody | undefined) =>
          v ? (typeof v.body.template === 'string' ? v.body.template : JSON.stringify(v.body, null, 2)) : '';
        setTexts({ before: text(versions.find((v) => v.version === from)), after: text(versions.find((v) => v.version === to)) });
      })
      .catch(() => setTexts(null));
  }, [kind, name, from, to]);
  if (!texts) return null;
  return <Diff before={texts.before} after={texts.after} title={`Content of version ${from ?? 'unset'} → ${to}`} />;
}

function EvalResult({ runId }: { runId: string }) {
  const [run, setRun] = useState<RunMetrics | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api<RunMetrics>(`/v1/eval/runs/${encodeURIComponent(runId)}`)
      .then(setRun)
      .catch(setError);
  }, [runId]);
  if (error) return <p className="muted small">Evaluation run {runId}: not readable here.</p>;
  if (!run) return null;
  return (
    <section aria-label="Evaluation result">
      <p className="small">
        Evaluation run <code>{run.id}</code> on {run.datasetName}:{' '}
        <span className={`pill ${run.status === 'succeeded' ? 'good' : 'bad'}`}>{run.status}</span>
      </p>
      <ul className="plain small">
        {Object.entries(run.metrics).map(([metric, m]) => (
          <li key={metric}>
            {metric}: {m.mean.toFixed(3)} (n={m.n})
          </li>
        ))}
      </ul>
    </section>
  );
}

function ChangeCard({ change, me, onDecided }: { change: ChangeRequest; me: Me; onDecided: (notice: string) => Promise<void> }) {
  const [comment, setComment] = useState('');
  const [error, setError] = useState<unknown>(null);
  const open = change.status === 'pending' || change.awaitingRetrospective;
  const own = change.author === me.id;

  async function decide(verb: 'approve' | 'reject' | 'withdraw') {
    setError(null);
    try {
      const { changeRequest } = await api<{ changeRequest: ChangeRequest }>(
        `/v1/changes/${encodeURIComponent(change.id)}/${verb}`,
        {
          method: 'POST',
          body: comment ? { comment } : {},
        },
      );
      setComment('');
      await onDecided(`Change request ${change.id} (${change.summary}) is now ${changeRequest.status}.`);
    } catch (caught) {
      setError(caught);
    }
  }

  return (
    <article className="card" aria-label={`Change request ${change.id}`}>
      <div className="row between">
        <h2 className="small-heading">{change.summary}</h2>
        <span>
          {change.emergency ? <span className="pill warn">emergency</span> : null}{' '}
          <span className={`pill ${change.status === 'applied' ? 'good' : change.status === 'rejected' ? 'bad' : ''}`}>
            {change.awaitingRetrospective ? 'applied — awaiting retrospective approval' : change.status}
          </span>
        </span>
      </div>
      <dl className="stats small">
        <dt>Kind</dt>
        <dd>
          <code>{change.kind}</code> on <code>{change.target}</code>
        </dd>
        <dt>Requested by</dt>
        <dd>
          {change.author} · {formatDate(change.createdAt)}
        </dd>
        {change.reason ? (
          <>
            <dt>Reason</dt>
            <dd>{change.reason}</dd>
          </>
        ) : null}
        <dt>Approvals</dt>
        <dd>
          {change.approvals.length}/{change.requiredApprovals}
          {change.approvals.map((a) => ` · ${a.actor}${a.comment ? ` (“${a.comment}”)` : ''}`).join('')}
        </dd>
        {change.rejections.length > 0 ? (
          <>
            <dt>Rejected by</dt>
            <dd>{change.rejections.map((r) => `${r.actor}${r.comment ? ` (“${r.comment}”)` : ''}`).join(' · ')}</dd>
          </>
        ) : null}
        <dt>May approve</dt>
        <dd>
          {change.eligibleApprovers.includes('role:admin') || change.eligibleApprovers.length === 0
            ? ['admins', ...change.eligibleApprovers.filter((p) => p !== 'role:admin')].join(', ')
            : `${change.eligibleApprovers.join(', ')} and admins`}
        </dd>
        {change.status === 'pending' ? (
          <>
            <dt>Expires</dt>
            <dd>{formatDate(change.expiresAt)}</dd>
          </>
        ) : null}
        {change.staleReason ? (
          <>
            <dt>Stale</dt>
            <dd>{change.staleReason}</dd>
          </>
        ) : null}
      </dl>
      <Diff before={pretty(change.before)} after={pretty(change.after)} title="Before → after" />
      <VersionDiff change={change} />
      <RolloutContext changeId={change.id} kind={change.kind} />
      {change.evalRunId ? <EvalResult runId={change.evalRunId} /> : <p className="muted small">No evaluation run attached.</p>}
      <ErrorBox error={error} />
      {open && own ? <p className="muted small">You requested this change: someone else must approve it.</p> : null}
      {open && mayDecide(change, me) ? (
        <div className="row">
          <label htmlFor={`comment-${change.id}`}>Comment</label>
          <input id={`comment-${change.id}`} value={comment} onChange={(e) => setComment(e.target.value)} />
          <button type="button" onClick={() => void decide('approve')}>
            Approve
          </button>
          {change.status === 'pending' ? (
            <button type="button" className="secondary" onClick={() => void decide('reject')}>
              Reject
            </button>
          ) : null}
        </div>
      ) : null}
      {own && change.status === 'pending' ? (
        <button type="button" className="secondary" onClick={() => void decide('withdraw')}>
          Withdraw
        </button>
      ) : null}
    </article>
  );
}

/** Change requests: pending ones first, with before/after, the content diff, the eval result, approve/reject. */
export function ChangesPage({ me }: { me: Me }) {
  const [status, setStatus] = useState<string>('pending');
  const [changes, setChanges] = useState<ChangeRequest[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState('');

  const load = useCallback(async () => {
    try {
      const query = status ? `?status=${status}&limit=200` : '?limit=200';
      setChanges((await api<{ changes: ChangeRequest[] }>(`/v1/changes${query}`)).changes);
      setError(null);
    } catch (caught) {
      setError(caught);
    }
  }, [status]);

  useEffect(() => {
    void load();
  }, [load]);

  return (
    <section aria-labelledby="changes-title">
      <div className="row between">
        <h1 id="changes-title">Changes</h1>
        <button type="button" className="secondary" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      <p className="muted small">
        Governed changes (production labels, use cases past draft, sources and ACL maps, budget raises, admin and builder keys)
        wait here for another person's approval. Nobody approves their own request.
      </p>
      <fieldset className="row segmented">
        <legend className="visually-hidden">Status</legend>
        {filters.map((f) => (
          <button
            key={f.status}
            type="button"
            className={status === f.status ? '' : 'secondary'}
            aria-pressed={status === f.status}
            onClick={() => setStatus(f.status)}
          >
            {f.label}
          </button>
        ))}
      </fieldset>
      <ErrorBox error={error} />
      {notice ? (
        <p className="notice" role="status">
          {notice}
        </p>
      ) : null}
      {changes === null ? <p className="loading">Loading…</p> : null}
      {changes?.length === 0 ? <Empty>No change requests in this state.</Empty> : null}
      {changes?.map((change) => (
        <ChangeCard
          key={change.id}
          change={change}
          me={me}
          onDecided={async (message) => {
            setNotice(message);
            await load();
          }}
        />
      ))}
    </section>
  );
}
