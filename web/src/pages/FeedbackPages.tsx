import { useCallback, useEffect, useState } from 'react';
import {
  ApiError,
  api,
  type CapabilityCard,
  type FeedbackItem,
  type FeedbackNotice,
  type FeedbackStatus,
  feedbackStatuses,
  query,
  type ReleaseNotes,
  statusLabel,
} from '../api.ts';
import { Empty, ErrorBox, formatDate } from '../components.tsx';

/**
 * Feedback users can see: the notices in the header, "My feedback", the owner's "Feedback inbox" (filters,
 * checkboxes, bulk status with a note) and, on the Ask page, the capability card (until dismissed) and "What
 * changed" for the chosen use case.
 */

function StatusPill({ status }: { status: string }) {
  const tone = status === 'fixed' ? 'good' : status === 'wont_fix' ? 'bad' : status === 'planned' ? 'warn' : '';
  return <span className={`pill ${tone}`}>{statusLabel(status)}</span>;
}

/** Header link: "N updates on your feedback" when something you reported was fixed or will not be fixed. */
export function NoticesLink() {
  const [count, setCount] = useState(0);
  useEffect(() => {
    const load = () =>
      api<{ notices: FeedbackNotice[] }>('/v1/notices')
        .then((r) => setCount(r.notices.length))
        .catch(() => setCount(0));
    void load();
    window.addEventListener('groundwork:notices', load);
    const timer = setInterval(load, 60_000);
    return () => {
      window.removeEventListener('groundwork:notices', load);
      clearInterval(timer);
    };
  }, []);
  if (count === 0) return null;
  return (
    <a className="notice-link" href="#/my-feedback" data-testid="notices-link">
      {count} update{count === 1 ? '' : 's'} on your feedback
    </a>
  );
}

function Notices({ onSeen }: { onSeen: () => void }) {
  const [notices, setNotices] = useState<FeedbackNotice[]>([]);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(
    () =>
      api<{ notices: FeedbackNotice[] }>('/v1/notices')
        .then((r) => setNotices(r.notices))
        .catch(setError),
    [],
  );
  useEffect(() => {
    void load();
  }, [load]);
  if (notices.length === 0) return <ErrorBox error={error} />;
  const markSeen = async () => {
    try {
      await api('/v1/notices/seen', { method: 'POST', body: { ids: notices.map((n) => n.id) } });
      setNotices([]);
      window.dispatchEvent(new Event('groundwork:notices'));
      onSeen();
    } catch (caught) {
      setError(caught);
    }
  };
  return (
    <section className="card notice" aria-label="Updates on your feedback" data-testid="notices">
      <h2 className="small-heading">Updates on your feedback</h2>
      <ul>
        {notices.map((n) => (
          <li key={n.id}>
            Your feedback on {n.useCase ?? 'an answer'} was marked <StatusPill status={n.status} /> on {formatDate(n.at)}
            {n.note ? <>: “{n.note}”</> : null}
          </li>
        ))}
      </ul>
      <button type="button" className="secondary" onClick={() => void markSeen()}>
        Mark as seen
      </button>
      <ErrorBox error={error} />
    </section>
  );
}

function History({ item }: { item: FeedbackItem }) {
  if (item.history.length === 0) return null;
  return (
    <ol className="small muted">
      {item.history.map((h) => (
        <li key={h.id}>
          {formatDate(h.at)}: {statusLabel(h.from)} → {statusLabel(h.to)} by {h.actor}
          {h.note ? ` — ${h.note}` : ''}
        </li>
      ))}
    </ol>
  );
}

export function MyFeedbackPage() {
  const [items, setItems] = useState<FeedbackItem[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(
    () =>
      api<{ feedback: FeedbackItem[] }>('/v1/feedback/mine')
        .then((r) => setItems(r.feedback))
        .catch(setError),
    [],
  );
  useEffect(() => {
    void load();
  }, [load]);
  return (
    <section aria-labelledby="my-feedback-title">
      <h1 id="my-feedback-title">My feedback</h1>
      <Notices onSeen={() => void load()} />
      <ErrorBox error={error} />
      {items && items.length === 0 ? <Empty>You have not rated any answers yet. Rate one on the Ask page.</Empty> : null}
      {items?.map((item) => (
        <article key={item.id} className="card" data-testid="my-feedback-item">
          <div className="row">
            <StatusPill status={item.status} />
            <span className="muted small">
              {item.rating > 0 ? 'Helpful' : 'Not helpful'}
              {item.category ? ` · ${item.category}` : ''} · {item.useCase ?? '—'} · {formatDate(item.createdAt)}
            </span>
          </div>
          <p>
            <strong>{item.question ?? '(question not kept)'}</strong>
          </p>
          {item.answer ? <p className="small">{item.answer.slice(0, 400)}</p> : null}
          {item.answerWithheld === 'restricted' ? (
            <p className="muted small">The answer is withheld: it used a document you may no longer read.</p>
          ) : null}
          {item.comment ? <p className="small">You said: “{item.comment}”</p> : null}
          {item.statusNote ? (
            <p className="small" data-testid="status-note">
              Note from {item.statusBy}: “{item.statusNote}”
            </p>
          ) : null}
          <History item={item} />
        </article>
      ))}
    </section>
  );
}

export function FeedbackInboxPage() {
  const [filters, setFilters] = useState({ useCase: '', status: 'open', rating: '', category: '', since: '', until: '', q: '' });
  const [items, setItems] = useState<FeedbackItem[] | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [bulkStatus, setBulkStatus] = useState<FeedbackStatus>('planned');
  const [note, setNote] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [message, setMessage] = useState('');

  const load = useCallback(() => {
    setError(null);
    return api<{ feedback: FeedbackItem[] }>(
      `/v1/feedback${query({
        inbox: 'true',
        useCase: filters.useCase,
        status: filters.status,
        rating: filters.rating,
        category: filters.category,
        since: filters.since,
        // "To" includes that day: the API's `until` is exclusive.
        until: filters.until ? new Date(Date.parse(filters.until) + 86_400_000).toISOString().slice(0, 10) : undefined,
        q: filters.q,
      })}`,
    )
      .then((r) => {
        setItems(r.feedback);
        setSelected(new Set());
      })
      .catch(setError);
  }, [filters]);
  useEffect(() => {
    void load();
  }, [load]);

  const apply = async () => {
    setError(null);
    setMessage('');
    try {
      const result = await api<{ updated: number }>('/v1/feedback/bulk', {
        method: 'POST',
        body: { ids: [...selected], status: bulkStatus, ...(note.trim() ? { note: note.trim() } : {}) },
      });
      setMessage(`${result.updated} marked ${statusLabel(bulkStatus)}.`);
      setNote('');
      await load();
    } catch (caught) {
      setError(caught);
    }
  };
  const set = (key: keyof typeof filters) => (e: { target: { value: string } }) =>
    setFilters({ ...filters, [key]: e.target.value });
  const all = items ?? [];
  return (
    <section aria-labelledby="inbox-title">
      <h1 id="inbox-title">Feedback inbox</h1>
      <p className="muted small">Feedback on the use cases you own or approve. Reporters see the status and your note.</p>
      <form className="card row wrap" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Use case <input value={filters.useCase} onChange={set('useCase')} size={14} />
        </label>
        <label>
          Status{' '}
          <select value={filters.status} onChange={set('status')}>
            <option value="">any</option>
            {feedbackStatuses.map((s) => (
              <option key={s} value={s}>
                {statusLabel(s)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Rating{' '}
          <select value={filters.rating} onChange={set('rating')}>
            <option value="">any</option>
            <option value="-1">not helpful</option>
            <option value="1">helpful</option>
          </select>
        </label>
        <label>
          Category{' '}
          <select value={filters.category} onChange={set('category')}>
            <option value="">any</option>
            {['wrong', 'incomplete', 'outdated', 'unhelpful', 'citation', 'harmful', 'other'].map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </label>
        <label>
          From <input type="date" value={filters.since} onChange={set('since')} />
        </label>
        <label>
          To <input type="date" value={filters.until} onChange={set('until')} />
        </label>
        <label>
          Text <input value={filters.q} onChange={set('q')} size={14} />
        </label>
      </form>
      <ErrorBox error={error} />
      {message ? (
        <p className="ok small" role="status">
          {message}
        </p>
      ) : null}
      {items && items.length === 0 ? <Empty>No feedback matches.</Empty> : null}
      {all.length > 0 ? (
        <>
          <fieldset className="card row wrap" aria-label="Bulk action">
            <label>
              <input
                type="checkbox"
                aria-label="Select all"
                checked={selected.size === all.length}
                onChange={(e) => setSelected(e.target.checked ? new Set(all.map((f) => f.id)) : new Set())}
              />{' '}
              {selected.size} selected
            </label>
            <label>
              Set status{' '}
              <select
                aria-label="New status"
                value={bulkStatus}
                onChange={(e) => setBulkStatus(e.target.value as FeedbackStatus)}
              >
                {feedbackStatuses.map((s) => (
                  <option key={s} value={s}>
                    {statusLabel(s)}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Note for the reporters{' '}
              <input aria-label="Note" value={note} onChange={(e) => setNote(e.target.value)} maxLength={2000} />
            </label>
            <button type="button" disabled={selected.size === 0} onClick={() => void apply()}>
              Apply to selected
            </button>
          </fieldset>
          <table className="card">
            <thead>
              <tr>
                <th />
                <th>Status</th>
                <th>Use case</th>
                <th>Rating</th>
                <th>Question</th>
                <th>Comment</th>
                <th>By</th>
                <th>When</th>
              </tr>
            </thead>
            <tbody>
              {all.map((f) => (
                <tr key={f.id} data-testid="inbox-row">
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`Select ${f.id}`}
                      checked={selected.has(f.id)}
                      onChange={(e) => {
                        const next = new Set(selected);
                        if (e.target.checked) next.add(f.id);
                        else next.delete(f.id);
                        setSelected(next);
                      }}
                    />
                  </td>
                  <td>
                    <StatusPill status={f.status} />
                  </td>
                  <td>{f.useCase ?? '—'}</td>
                  <td>
                    {f.rating > 0 ? '+1' : '−1'}
                    {f.category ? ` ${f.category}` : ''}
                  </td>
                  <td>{f.question ?? <span className="muted">(not visible to you)</span>}</td>
                  <td>{f.comment ?? (f.commentWithheld ? <span className="muted">(withheld)</span> : '')}</td>
                  <td>{f.callerId}</td>
                  <td>{formatDate(f.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </section>
  );
}

/** On the Ask page: the capability card on first use (until dismissed, stored server-side) and "What changed". */
export function UseCaseIntro({ useCase }: { useCase: string }) {
  const [card, setCard] = useState<CapabilityCard | null>(null);
  const [notes, setNotes] = useState<ReleaseNotes | null>(null);
  const [showCard, setShowCard] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    setCard(null);
    setNotes(null);
    if (!useCase) return;
    // Answers for a use case chosen before this one are dropped (the select may change while they load).
    let live = true;
    api<CapabilityCard>(`/v1/use-cases/${encodeURIComponent(useCase)}/card`)
      .then((c) => {
        if (!live) return;
        setCard(c);
        setShowCard(!c.seen);
      })
      .catch((caught) => live && setError(caught instanceof ApiError && caught.status === 404 ? null : caught));
    api<ReleaseNotes>(`/v1/use-cases/${encodeURIComponent(useCase)}/release-notes?limit=10`)
      .then((n) => live && setNotes(n))
      .catch(() => live && setNotes(null));
    return () => {
      live = false;
    };
  }, [useCase]);
  const dismiss = async () => {
    setShowCard(false);
    try {
      await api(`/v1/use-cases/${encodeURIComponent(useCase)}/card/seen`, { method: 'POST' });
    } catch (caught) {
      setError(caught);
    }
  };
  return (
    <>
      <ErrorBox error={error} />
      {card && showCard ? (
        <section
          className="card capability-card"
          aria-label="What this assistant can and cannot do"
          data-testid="capability-card"
        >
          <h2 className="small-heading">What this assistant can and cannot do</h2>
          <div className="row wrap">
            <div>
              <h3 className="small">It can</h3>
              <ul className="small">
                {card.canDo.map((line) => (
                  <li key={line}>{line}</li>
                ))}
              </ul>
            </div>
            <div>
              <h3 className="small">It cannot</h3>
              <ul className="small">
                {card.cannotDo.map((line) => (
                  <li key={line}>{line}</li>
                ))}
              </ul>
            </div>
            <div>
              <h3 className="small">Check the sources when</h3>
              <ul className="small">
                {card.verifyWhen.map((line) => (
                  <li key={line}>{line}</li>
                ))}
              </ul>
            </div>
          </div>
          {card.sources.length > 0 ? <p className="muted small">Searches: {card.sources.join(', ')}</p> : null}
          <button type="button" className="secondary" onClick={() => void dismiss()}>
            Got it
          </button>
        </section>
      ) : card ? (
        <button type="button" className="link small" onClick={() => setShowCard(true)}>
          What this assistant can and cannot do
        </button>
      ) : null}
      {notes && notes.entries.length > 0 ? (
        <details className="card what-changed" data-testid="what-changed">
          <summary className="small">What changed in {notes.useCase}</summary>
          <ul className="small">
            {notes.entries.map((e) => (
              <li key={`${e.at}-${e.title}`}>
                <span className="muted">{new Date(e.at).toLocaleDateString()}</span> {e.title}
                {e.details ? ` — ${e.details}` : ''}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </>
  );
}
