import { useCallback, useEffect, useState } from 'react';
import { api } from '../api.ts';
import { Empty, ErrorBox, formatDate } from '../components.tsx';

/** Shapes of /v1/proposals and /v1/actions/stats (src/actions). */
interface Proposal {
  id: string;
  action: string;
  class: 'read' | 'propose' | 'auto';
  useCase: string | null;
  status: string;
  input: unknown;
  inputHash: string;
  edited: boolean;
  reasoning: string | null;
  evidenceCount: number;
  proposer: string;
  onBehalfOf: string | null;
  approvedBy: string | null;
  deniedBy: string | null;
  decisionNote: string | null;
  error: { code: string; message: string } | null;
  result: unknown;
  traceId: string | null;
  createdAt: string;
  expiresAt: string | null;
  own: boolean;
}

interface ProposalDetail extends Proposal {
  originalInput: unknown;
  edits: Array<{ by: string; at: string; before: unknown; after: unknown }>;
  evidence: Array<{ documentId: string; chunkId: string | null; title: string; text: string | null }>;
  withheldEvidence: number;
  executor: string;
  hints: { readOnly: boolean; destructive: boolean; idempotent: boolean };
}

interface ActionRecord {
  action: string;
  class: string;
  declaredClass: string;
  paused: { reason: string } | null;
  approved: number;
  denied: number;
  edited: number;
  executed: number;
  failed: number;
  pending: number;
  denialRate: number | null;
  editRate: number | null;
  graduation: { eligible: boolean; reason: string };
}

const pct = (value: number | null) => (value === null ? '—' : `${Math.round(value * 100)}%`);

/** Field-by-field difference of two JSON objects (what an edit changed). */
function diffRows(before: unknown, after: unknown): Array<{ key: string; before: string; after: string; changed: boolean }> {
  const a = (before ?? {}) as Record<string, unknown>;
  const b = (after ?? {}) as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.map((key) => {
    const was = a[key] === undefined ? '' : JSON.stringify(a[key]);
    const now = b[key] === undefined ? '' : JSON.stringify(b[key]);
    return { key, before: was, after: now, changed: was !== now };
  });
}

/** The Approvals inbox: proposals with reasoning, evidence and exact input; approve, edit or deny. Action stats. */
/** Changed input fields, proposed value struck through next to the new one. */
function DiffTable({
  label,
  afterHeading,
  rows,
}: {
  label: string;
  afterHeading: string;
  rows: ReadonlyArray<{ key: string; before: string; after: string }>;
}) {
  return (
    <table aria-label={label}>
      <thead>
        <tr>
          <th>Field</th>
          <th>Proposed</th>
          <th>{afterHeading}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.key}>
            <td>{r.key}</td>
            <td>
              <del>{r.before}</del>
            </td>
            <td>
              <ins>{r.after}</ins>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ApprovalsPage() {
  const [status, setStatus] = useState('proposed');
  const [proposals, setProposals] = useState<Proposal[] | null>(null);
  const [current, setCurrent] = useState<ProposalDetail | null>(null);
  const [stats, setStats] = useState<ActionRecord[]>([]);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async () => {
    try {
      const params = new URLSearchParams({ limit: '200' });
      if (status) params.set('status', status);
      setProposals((await api<{ proposals: Proposal[] }>(`/v1/proposals?${params}`)).proposals);
      setStats((await api<{ actions: ActionRecord[] }>('/v1/actions/stats')).actions);
      setError(null);
    } catch (caught) {
      setError(caught);
    }
  }, [status]);

  useEffect(() => {
    void load();
  }, [load]);

  async function open(id: string) {
    try {
      setCurrent(await api<ProposalDetail>(`/v1/proposals/${encodeURIComponent(id)}`));
      setError(null);
    } catch (caught) {
      setError(caught);
    }
  }

  return (
    <section aria-labelledby="approvals-title">
      <div className="row between">
        <h1 id="approvals-title">Approvals</h1>
        <button type="button" className="secondary" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      <p className="muted">
        Actions agents (and people) proposed. Each waits for someone other than the proposer; you see only the evidence you may
        read yourself, and the exact input that will run.
      </p>
      <ErrorBox error={error} />
      {current ? (
        <ProposalCard
          key={`${current.id}:${current.status}:${current.inputHash}`}
          proposal={current}
          onDecided={(decided) => {
            setCurrent(decided);
            void load();
          }}
          onError={setError}
        />
      ) : null}
      <h2>Proposals</h2>
      <label>
        Status{' '}
        <select value={status} onChange={(e) => setStatus(e.target.value)}>
          <option value="proposed">waiting for approval</option>
          <option value="">all</option>
          {['approved', 'executing', 'executed', 'failed', 'denied', 'expired'].map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      {proposals === null ? null : proposals.length === 0 ? (
        <Empty>Nothing is waiting for your approval.</Empty>
      ) : (
        <table aria-label="Proposals">
          <thead>
            <tr>
              <th>Action</th>
              <th>Status</th>
              <th>Use case</th>
              <th>Proposed by</th>
              <th>Created</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {proposals.map((p) => (
              <tr key={p.id}>
                <td>{p.action}</td>
                <td>
                  {p.status}
                  {p.edited ? ' (edited)' : ''}
                </td>
                <td>{p.useCase ?? '—'}</td>
                <td>
                  {p.proposer}
                  {p.onBehalfOf ? ` for ${p.onBehalfOf}` : ''}
                </td>
                <td>{formatDate(p.createdAt)}</td>
                <td>
                  <button type="button" className="secondary" onClick={() => void open(p.id)}>
                    Open {p.id}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Action classes</h2>
      <table aria-label="Action stats">
        <thead>
          <tr>
            <th>Action</th>
            <th>Class</th>
            <th>Approved</th>
            <th>Denial rate</th>
            <th>Edit rate</th>
            <th>Executed</th>
            <th>Failed</th>
            <th>Pending</th>
            <th>Auto-execution</th>
          </tr>
        </thead>
        <tbody>
          {stats.map((s) => (
            <tr key={s.action}>
              <td>{s.action}</td>
              <td>
                {s.class}
                {s.paused ? ' (paused by the anomaly monitor)' : ''}
              </td>
              <td>{s.approved}</td>
              <td>{pct(s.denialRate)}</td>
              <td>{pct(s.editRate)}</td>
              <td>{s.executed}</td>
              <td>{s.failed}</td>
              <td>{s.pending}</td>
              <td>{s.graduation.eligible ? 'eligible to graduate' : s.graduation.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function ProposalCard({
  proposal,
  onDecided,
  onError,
}: {
  proposal: ProposalDetail;
  onDecided: (p: ProposalDetail) => void;
  onError: (e: unknown) => void;
}) {
  const [inputText, setInputText] = useState(JSON.stringify(proposal.input, null, 2));
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const pending = proposal.status === 'proposed';
  let edited: unknown;
  let parseError: string | null = null;
  try {
    edited = JSON.parse(inputText);
  } catch {
    parseError = 'The input is not valid JSON.';
  }
  const changes = diffRows(proposal.input, edited).filter((r) => r.changed);

  async function decide(kind: 'approve' | 'deny') {
    setBusy(true);
    try {
      const body =
        kind === 'approve'
          ? { inputHash: proposal.inputHash, ...(changes.length > 0 ? { input: edited } : {}) }
          : reason
            ? { reason }
            : {};
      onDecided(await api<ProposalDetail>(`/v1/proposals/${encodeURIComponent(proposal.id)}/${kind}`, { method: 'POST', body }));
      onError(null);
    } catch (caught) {
      onError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <article aria-label="Proposal" className="card">
      <h2>
        {proposal.action} <span className="muted">({proposal.class})</span> — {proposal.status}
      </h2>
      <p className="muted">
        {proposal.id} · proposed by {proposal.proposer}
        {proposal.onBehalfOf ? ` on behalf of ${proposal.onBehalfOf}` : ''} · {formatDate(proposal.createdAt)}
        {proposal.expiresAt ? ` · expires ${formatDate(proposal.expiresAt)}` : ''} · executor: {proposal.executor}
        {proposal.hints.destructive ? ' · destructive' : ''}
        {proposal.traceId ? (
          <>
            {' '}
            · <a href={`#/traces/${encodeURIComponent(proposal.traceId)}`}>agent run trace</a>
          </>
        ) : null}
      </p>
      <h3>Reasoning</h3>
      <p data-testid="proposal-reasoning">{proposal.reasoning ?? 'No reasoning given.'}</p>
      <h3>Evidence</h3>
      {proposal.evidence.length === 0 ? <p className="muted">No evidence you may read.</p> : null}
      <ul aria-label="Evidence">
        {proposal.evidence.map((e) => (
          <li key={`${e.documentId}:${e.chunkId ?? ''}`}>
            <strong>{e.title}</strong>
            {e.text ? <blockquote>{e.text}</blockquote> : null}
          </li>
        ))}
      </ul>
      {proposal.withheldEvidence > 0 ? (
        <p data-testid="withheld-evidence">{proposal.withheldEvidence} cited passage(s) withheld: documents you may not read.</p>
      ) : null}
      <h3>Input</h3>
      <p className="muted">sha256 {proposal.inputHash}</p>
      {proposal.edits.length > 0 ? (
        <DiffTable
          label="Input changes"
          afterHeading="Approved"
          rows={diffRows(proposal.originalInput, proposal.input).filter((r) => r.changed)}
        />
      ) : null}
      {pending && !proposal.own ? (
        <>
          <label>
            Input to run (edit before approving)
            <textarea rows={6} value={inputText} onChange={(e) => setInputText(e.target.value)} spellCheck={false} />
          </label>
          {parseError ? <p role="alert">{parseError}</p> : null}
          {changes.length > 0 ? <DiffTable label="Your edit" afterHeading="Edited" rows={changes} /> : null}
          <div className="row">
            <button type="button" disabled={busy || parseError !== null} onClick={() => void decide('approve')}>
              {changes.length > 0 ? 'Approve with edit' : 'Approve'}
            </button>
            <label>
              Reason <input value={reason} onChange={(e) => setReason(e.target.value)} />
            </label>
            <button type="button" className="secondary" disabled={busy} onClick={() => void decide('deny')}>
              Deny
            </button>
          </div>
        </>
      ) : (
        <pre data-testid="proposal-input">{JSON.stringify(proposal.input, null, 2)}</pre>
      )}
      {pending && proposal.own ? <p>You proposed this (or it was proposed for you): another approver decides it.</p> : null}
      {proposal.error ? (
        <p role="alert">
          Failed: {proposal.error.code}: {proposal.error.message}
        </p>
      ) : null}
      {proposal.decisionNote ? <p>Note: {proposal.decisionNote}</p> : null}
    </article>
  );
}
