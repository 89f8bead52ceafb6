import { type FormEvent, type ReactNode, useCallback, useEffect, useState } from 'react';
import {
  api,
  type ClaimCitation,
  type ClaimDocumentPages,
  type ClaimItem,
  type ClaimSummary,
  type ClaimsMetrics,
  claimOutcomes,
  claimOverrideReasons,
  claimTiers,
  query,
} from '../api.ts';
import { Empty, ErrorBox, formatDate, formatUsd } from '../components.tsx';

const tierLabel: Record<string, string> = {
  fast_track: 'Fast track',
  standard: 'Standard',
  senior_review: 'Senior review',
  siu_referral: 'SIU referral',
};
const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)}%`);
const hours = (v: number | null) => (v === null ? '—' : v < 1 ? `${Math.round(v * 60)} min` : `${v.toFixed(1)} h`);
const show = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

/** The claims review queue: by tier, adjuster and status, most urgent tier first. */
export function ClaimsPage() {
  const [tier, setTier] = useState('');
  const [adjuster, setAdjuster] = useState('');
  const [status, setStatus] = useState('');
  const [claims, setClaims] = useState<ClaimItem[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async () => {
    try {
      setClaims((await api<{ claims: ClaimItem[] }>(`/v1/claims${query({ tier, adjuster, status, limit: 500 })}`)).claims);
      setError(null);
    } catch (caught) {
      setError(caught);
    }
  }, [tier, adjuster, status]);
  useEffect(() => {
    void load();
  }, [load]);

  return (
    <section aria-labelledby="claims-title">
      <div className="row between">
        <h1 id="claims-title">Claims</h1>
        <a href="#/claims-dashboard">Dashboard</a>
      </div>
      <p className="muted">
        Your review queue: SIU referrals and senior reviews first. You see the claims assigned to you (senior adjusters and SIU
        see all), and only what you may read in their documents.
      </p>
      <div className="row filters">
        <label>
          Tier{' '}
          <select value={tier} onChange={(e) => setTier(e.target.value)}>
            <option value="">All tiers</option>
            {claimTiers.map((t) => (
              <option key={t} value={t}>
                {tierLabel[t]}
              </option>
            ))}
          </select>
        </label>
        <label>
          Adjuster <input value={adjuster} onChange={(e) => setAdjuster(e.target.value)} placeholder="e-mail" />
        </label>
        <label>
          Status{' '}
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">Any</option>
            {['open', 'needs_information', 'assessed', 'decided', 'closed'].map((s) => (
              <option key={s} value={s}>
                {s.replace('_', ' ')}
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="secondary" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      <ErrorBox error={error} />
      {claims === null ? <p className="loading">Loading…</p> : null}
      {claims && claims.length === 0 ? <Empty>No claims in this queue.</Empty> : null}
      {claims && claims.length > 0 ? (
        <table aria-label="Claims queue">
          <thead>
            <tr>
              <th>Claim</th>
              <th>Tier</th>
              <th>Status</th>
              <th>Outcome</th>
              <th>Adjuster</th>
              <th>Loss date</th>
              <th>Determined</th>
            </tr>
          </thead>
          <tbody>
            {claims.map((c) => (
              <tr key={c.id}>
                <td>
                  <a href={`#/claims/${encodeURIComponent(c.claimNumber)}`}>{c.claimNumber}</a>
                </td>
                <td>{c.tier ? <span className={`pill tier-${c.tier}`}>{tierLabel[c.tier]}</span> : '—'}</td>
                <td>{c.status.replace('_', ' ')}</td>
                <td>{c.outcome ?? '—'}</td>
                <td>{c.assignedAdjuster ?? '—'}</td>
                <td>{c.lossDate ?? '—'}</td>
                <td>{formatDate(c.determinedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

function Highlighted({ text, passage }: { text: string; passage: string | null }): ReactNode {
  const at = passage ? text.indexOf(passage) : -1;
  if (!passage || at < 0) return text;
  return (
    <>
      {text.slice(0, at)}
      <mark>{passage}</mark>
      {text.slice(at + passage.length)}
    </>
  );
}

/** One claim: extracted fields with their citations beside the cited document page; fraud; determination; decision. */
export function ClaimDetailPage({ id }: { id: string }) {
  const [claim, setClaim] = useState<ClaimSummary | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [cited, setCited] = useState<ClaimCitation | null>(null);
  const [doc, setDoc] = useState<ClaimDocumentPages | null>(null);
  const [docError, setDocError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [recorded, setRecorded] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const loaded = await api<ClaimSummary>(`/v1/claims/${encodeURIComponent(id)}`);
      setClaim(loaded);
      setError(null);
      const first = Object.values(loaded.extracted).find((f) => f.citation)?.citation ?? null;
      setCited((current) => current ?? first);
    } catch (caught) {
      setError(caught);
    }
  }, [id]);
  useEffect(() => {
    void load();
  }, [load]);
  useEffect(() => {
    if (!cited) return;
    if (doc?.documentId === cited.documentId) return;
    api<ClaimDocumentPages>(`/v1/claims/${encodeURIComponent(id)}/documents/${encodeURIComponent(cited.documentId)}`)
      .then((loaded) => {
        setDoc(loaded);
        setDocError(null);
      })
      .catch((caught) => setDocError(caught));
  }, [cited, id, doc?.documentId]);

  async function process() {
    setBusy(true);
    try {
      await api(`/v1/claims/${encodeURIComponent(id)}/process`, { method: 'POST' });
      await load();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  if (error && !claim) return <ErrorBox error={error} />;
  if (!claim) return <p className="loading">Loading…</p>;
  const page = cited && doc?.documentId === cited.documentId ? doc.pages.find((p) => p.page === cited.page) : undefined;
  const fileOf = (documentId: string) => claim.documents.find((d) => d.documentId === documentId)?.fileName ?? documentId;
  return (
    <section aria-labelledby="claim-title">
      <p>
        <a href="#/claims">← Claims</a>
      </p>
      <div className="row between">
        <h1 id="claim-title">Claim {claim.claimNumber}</h1>
        <button type="button" className="secondary" disabled={busy} onClick={() => void process()}>
          {busy ? 'Processing…' : claim.assessment ? 'Process again' : 'Process'}
        </button>
      </div>
      <ErrorBox error={error} />
      <p className="muted">
        Policy {claim.policyNumber ?? '?'} · {claim.lineOfBusiness} · loss {claim.lossDate ?? '?'} · reported{' '}
        {claim.reportedDate ?? '?'} · adjuster {claim.assignedAdjuster ?? '—'} · status{' '}
        <strong data-testid="claim-status">{claim.status.replace('_', ' ')}</strong>
      </p>
      {claim.missing.length > 0 ? (
        <p className="warn" data-testid="claim-missing">
          Needs information: {claim.missing.join(', ')}
        </p>
      ) : null}
      {claim.withheld > 0 ? (
        <p className="warn" data-testid="claim-withheld">
          {claim.withheld} citation(s) withheld: documents you may not read now.
        </p>
      ) : null}
      {claim.determination ? (
        <section className="cards" aria-label="Determination">
          <div className="card">
            <div className="muted small">Preliminary determination</div>
            <strong data-testid="claim-outcome">{claim.determination.outcome.replace('_', ' ')}</strong>
            <div className="small">confidence {claim.determination.confidence.toFixed(2)}</div>
          </div>
          <div className="card">
            <div className="muted small">Tier</div>
            <strong data-testid="claim-tier">{claim.tier ? tierLabel[claim.tier] : '—'}</strong>
            <div className="small muted">{claim.tierReason}</div>
          </div>
          <div className="card">
            <div className="muted small">Fraud score</div>
            <strong>{claim.fraud?.score.toFixed(2) ?? '—'}</strong>
          </div>
          <div className="card">
            <div className="muted small">Deductible / payable</div>
            <strong>
              {claim.determination.deductible ?? '—'} / {claim.determination.estimatedPayable ?? '—'}
            </strong>
          </div>
        </section>
      ) : (
        <Empty>Not assessed yet.</Empty>
      )}
      {claim.determination ? <p>{claim.determination.rationale}</p> : null}
      <div className="claim-layout">
        <div>
          <h2>Extracted fields</h2>
          <table aria-label="Extracted fields">
            <thead>
              <tr>
                <th>Field</th>
                <th>Value</th>
                <th>Source</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(claim.extracted).map(([name, field]) => (
                <tr key={name} className={cited && field.citation === cited ? 'selected' : undefined}>
                  <td>{name}</td>
                  <td>
                    {field.withheld ? (
                      <span className="muted">[withheld]</span>
                    ) : field.status === 'missing' ? (
                      <span className="muted">missing</span>
                    ) : (
                      show(field.value)
                    )}
                  </td>
                  <td>
                    {field.citation ? (
                      <button type="button" className="link" onClick={() => setCited(field.citation)}>
                        {fileOf(field.citation.documentId)} p.{field.citation.page}
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <aside aria-label="Cited page" className="card">
          {cited ? (
            <>
              <div className="muted small" data-testid="cited-source">
                {fileOf(cited.documentId)} · page {cited.page}
              </div>
              <ErrorBox error={docError} />
              <pre className="page-text" data-testid="cited-page">
                {page ? <Highlighted text={page.text} passage={cited.passage} /> : cited.passage}
              </pre>
            </>
          ) : (
            <p className="muted">Choose a field's source to see its page.</p>
          )}
        </aside>
      </div>
      <h2>Fraud indicators</h2>
      {claim.fraud && claim.fraud.indicators.length > 0 ? (
        <ul aria-label="Fraud indicators">
          {claim.fraud.indicators.map((i) => (
            <li key={i.code}>
              <strong>{i.code}</strong> ({i.weight.toFixed(2)}): {i.reason}
              <ul>
                {i.evidence.map((e) => (
                  <li key={e.fact}>
                    {e.fact}
                    {e.citation ? (
                      <>
                        {' '}
                        <button type="button" className="link" onClick={() => setCited(e.citation ?? null)}>
                          {fileOf(e.citation.documentId)} p.{e.citation.page}
                        </button>
                      </>
                    ) : null}
                  </li>
                ))}
              </ul>
              <div className="muted small">compared with: {JSON.stringify(i.comparison)}</div>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">No fraud indicators.</p>
      )}
      {claim.determination && claim.determination.terms.length > 0 ? (
        <>
          <h2>Policy terms</h2>
          <ul aria-label="Policy terms">
            {claim.determination.terms.map((t) => (
              <li key={`${t.documentId}:${t.page}:${t.passage}`}>
                <button type="button" className="link" onClick={() => setCited(t)}>
                  p.{t.page}
                </button>{' '}
                {t.passage}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      <h2>Documents</h2>
      <ul aria-label="Documents">
        {claim.documents.map((d) => (
          <li key={d.fileName}>
            {d.fileName} — {d.status}
            {d.type ? ` (${d.type})` : ''}
            {d.errorCode ? (
              <span className="warn">
                {' '}
                [{d.errorCode}] {d.errorMessage}
              </span>
            ) : null}
          </li>
        ))}
      </ul>
      {claim.reviews.length > 0 ? (
        <>
          <h2>Decisions</h2>
          <ul aria-label="Decisions">
            {claim.reviews.map((r) => (
              <li key={r.id}>
                {formatDate(r.createdAt)} {r.reviewer}: {r.action} → {r.outcome}
                {r.reasonCode ? ` (${r.reasonCode})` : ''}
                {r.edits.length > 0
                  ? `; edited ${r.edits.map((e) => `${e.field}: ${show(e.before)} → ${show(e.after)}`).join(', ')}`
                  : ''}
                {r.comment ? ` — ${r.comment}` : ''}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {(claim.tierChanges ?? []).length > 0 ? (
        <>
          <h2>Tier changes</h2>
          <ul aria-label="Tier changes">
            {(claim.tierChanges ?? []).map((t) => (
              <li key={t.id}>
                {formatDate(t.createdAt)} {t.actor}: {t.before ?? 'none'} → {t.after}
                {t.approvedBy ? ` (approved by ${t.approvedBy})` : ''} — {t.reason}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {(claim.notes ?? []).length > 0 ? (
        <>
          <h2>Notes</h2>
          <ul aria-label="Claim notes">
            {(claim.notes ?? []).map((n) => (
              <li key={n.id}>
                {formatDate(n.createdAt)} {n.author}: {n.note}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {recorded ? (
        <p role="status" className="ok">
          {recorded}
        </p>
      ) : null}
      {claim.mayDecide ? (
        <DecisionForm
          claim={claim}
          onDecided={(decided, note) => {
            setClaim(decided);
            setRecorded(note);
          }}
        />
      ) : null}
    </section>
  );
}

function DecisionForm({ claim, onDecided }: { claim: ClaimSummary; onDecided: (claim: ClaimSummary, note: string) => void }) {
  const [mode, setMode] = useState<'accept' | 'edit' | 'override'>('accept');
  const [field, setField] = useState(Object.keys(claim.extracted)[0] ?? 'lossDate');
  const [value, setValue] = useState('');
  const [outcome, setOutcome] = useState('not_covered');
  const [reason, setReason] = useState('');
  const [comment, setComment] = useState('');
  const [error, setError] = useState<unknown>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const body =
      mode === 'accept'
        ? { accept: true, ...(comment ? { comment } : {}) }
        : mode === 'edit'
          ? { edits: { [field]: value }, ...(comment ? { comment } : {}) }
          : { override: outcome, reason, comment };
    try {
      const decided = await api<ClaimSummary & { review: { id: string; candidate: { id: string } | null } }>(
        `/v1/claims/${encodeURIComponent(claim.claimNumber)}/review`,
        { method: 'POST', body },
      );
      setError(null);
      onDecided(
        decided,
        `Recorded ${decided.review.id}.${decided.review.candidate ? ` Evaluation candidate ${decided.review.candidate.id} proposed.` : ''}`,
      );
    } catch (caught) {
      setError(caught);
    }
  }

  return (
    <form className="card" aria-label="Decision" onSubmit={(e) => void submit(e)}>
      <h2>Your decision</h2>
      <fieldset className="row">
        <legend className="visually-hidden">Decision</legend>
        {(['accept', 'edit', 'override'] as const).map((m) => (
          <label key={m}>
            <input type="radio" name="mode" checked={mode === m} onChange={() => setMode(m)} />{' '}
            {m === 'accept' ? 'Accept' : m === 'edit' ? 'Edit a field' : 'Override'}
          </label>
        ))}
      </fieldset>
      {mode === 'edit' ? (
        <div className="row">
          <label>
            Field{' '}
            <select aria-label="Field" value={field} onChange={(e) => setField(e.target.value)}>
              {Object.keys(claim.extracted).map((f) => (
                <option key={f}>{f}</option>
              ))}
            </select>
          </label>
          <label>
            Corrected value <input value={value} onChange={(e) => setValue(e.target.value)} />
          </label>
        </div>
      ) : null}
      {mode === 'override' ? (
        <div className="row">
          <label>
            Outcome{' '}
            <select aria-label="Outcome" value={outcome} onChange={(e) => setOutcome(e.target.value)}>
              {claimOutcomes.map((o) => (
                <option key={o} value={o}>
                  {o.replace('_', ' ')}
                </option>
              ))}
            </select>
          </label>
          <label>
            Reason code{' '}
            <select aria-label="Reason code" value={reason} onChange={(e) => setReason(e.target.value)}>
              <option value="">Choose…</option>
              {claimOverrideReasons.map((r) => (
                <option key={r} value={r}>
                  {r.replace(/_/g, ' ')}
                </option>
              ))}
            </select>
          </label>
        </div>
      ) : null}
      <label>
        Comment
        <textarea value={comment} onChange={(e) => setComment(e.target.value)} rows={2} />
      </label>
      <ErrorBox error={error} />
      <button type="submit">Record decision</button>
    </form>
  );
}

function Bars({ label, data, format }: { label: string; data: { key: string; value: number }[]; format: (v: number) => string }) {
  const max = Math.max(...data.map((d) => d.value), 0) || 1;
  const width = 480;
  const height = 140;
  const bar = width / Math.max(data.length, 1);
  return (
    <svg className="chart" viewBox={`0 0 ${width + 60} ${height + 30}`} role="img" aria-label={label}>
      <text x={0} y={12} className="tl-value">
        {format(max)}
      </text>
      <line x1={56} x2={56 + width} y1={height} y2={height} className="tl-axis" />
      {data.map((d, i) => {
        const h = (d.value / max) * (height - 20);
        return (
          <g key={d.key}>
            <rect x={56 + i * bar + 2} y={height - h} width={Math.max(bar - 4, 1)} height={h} className="tl-bar">
              <title>{`${d.key}: ${format(d.value)}`}</title>
            </rect>
            <text x={56 + i * bar + bar / 2} y={height + 16} textAnchor="middle" className="tl-value">
              {d.key}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

/** The claims dashboard: times, straight-through and override rates, fraud-flag quality, accuracy, cost; charts. */
export function ClaimsDashboardPage() {
  const [m, setM] = useState<ClaimsMetrics | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api<ClaimsMetrics>('/v1/claims/metrics').then(setM).catch(setError);
  }, []);
  if (error) return <ErrorBox error={error} />;
  if (!m) return <p className="loading">Loading…</p>;
  const card = (title: string, value: string, note?: string) => (
    <div className="card" key={title}>
      <div className="muted small">{title}</div>
      <strong>{value}</strong>
      {note ? <div className="small muted">{note}</div> : null}
    </div>
  );
  return (
    <section aria-labelledby="claims-dashboard-title">
      <p>
        <a href="#/claims">← Claims</a>
      </p>
      <h1 id="claims-dashboard-title">Claims dashboard</h1>
      <section className="cards" aria-label="Claims metrics">
        {card('Claims', String(m.claims), `${m.processed} processed, ${m.decided} decided`)}
        {card(
          'To preliminary determination',
          `p50 ${hours(m.timeToDetermination.p50Hours)}`,
          `p90 ${hours(m.timeToDetermination.p90Hours)}`,
        )}
        {card('To adjuster decision', `p50 ${hours(m.timeToDecision.p50Hours)}`, `p90 ${hours(m.timeToDecision.p90Hours)}`)}
        {card('Straight-through', pct(m.straightThroughRate), 'fast-track accepted unchanged')}
        {card('Override rate', pct(m.overrideRate), `edits ${pct(m.editRate)}`)}
        {card('Fraud-flag precision', pct(m.fraud.precision), `false-positive rate ${pct(m.fraud.falsePositiveRate)}`)}
        {card('Field accuracy', pct(m.fieldAccuracy.accuracy), `${m.fieldAccuracy.edited} edited of ${m.fieldAccuracy.fields}`)}
        {card(
          'Cost per claim',
          m.cost.perClaimUsd === null ? '—' : formatUsd(m.cost.perClaimUsd),
          `${m.cost.ocrPages} OCR pages`,
        )}
      </section>
      <h2>Override rate by week</h2>
      {m.overrideRateWeekly.length === 0 ? (
        <Empty>No decisions yet.</Empty>
      ) : (
        <Bars
          label="Override rate by week"
          data={m.overrideRateWeekly.map((w) => ({ key: w.week.slice(5), value: w.rate }))}
          format={(v) => pct(v)}
        />
      )}
      <h2>Claims by tier</h2>
      <Bars
        label="Claims by tier"
        data={claimTiers.map((t) => ({ key: tierLabel[t] ?? t, value: m.byTier[t] ?? 0 }))}
        format={(v) => String(Math.round(v))}
      />
    </section>
  );
}
