import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { api, type ReviewDetail, type ReviewItem, type ReviewVerdict, reviewVerdicts, type UseCase } from '../api.ts';
import { Empty, ErrorBox, formatDate } from '../components.tsx';

const stratumLabel: Record<ReviewItem['stratum'], string> = {
  'negative-feedback': 'negative feedback',
  'low-confidence': 'low confidence',
  refused: 'refused',
  base: 'random sample',
};

/** The review queue: take the next sampled answer, read it with the passages you may read, grade it. */
export function ReviewPage() {
  const [useCases, setUseCases] = useState<UseCase[]>([]);
  const [useCase, setUseCase] = useState('');
  const [status, setStatus] = useState<'pending' | 'graded'>('pending');
  const [items, setItems] = useState<ReviewItem[] | null>(null);
  const [current, setCurrent] = useState<ReviewDetail | null>(null);
  const [empty, setEmpty] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async () => {
    try {
      const params = new URLSearchParams({ status, limit: '200' });
      if (useCase) params.set('useCase', useCase);
      setItems((await api<{ reviews: ReviewItem[] }>(`/v1/reviews?${params}`)).reviews);
      setError(null);
    } catch (caught) {
      setError(caught);
    }
  }, [status, useCase]);

  useEffect(() => {
    void load();
  }, [load]);
  useEffect(() => {
    api<{ useCases: UseCase[] }>('/v1/use-cases')
      .then((r) => setUseCases(r.useCases))
      .catch(() => setUseCases([]));
  }, []);

  async function next() {
    try {
      const { item } = await api<{ item: ReviewDetail | null }>('/v1/reviews/next', {
        method: 'POST',
        body: useCase ? { useCase } : {},
      });
      setCurrent(item);
      setEmpty(item === null);
      setError(null);
      await load();
    } catch (caught) {
      setError(caught);
    }
  }

  async function open(id: string) {
    try {
      setCurrent(await api<ReviewDetail>(`/v1/reviews/${encodeURIComponent(id)}`));
      setEmpty(false);
      setError(null);
    } catch (caught) {
      setError(caught);
    }
  }

  return (
    <section aria-labelledby="review-title">
      <div className="row between">
        <h1 id="review-title">Review</h1>
        <button type="button" className="secondary" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      <p className="muted">
        A sample of production answers (more of the low-confidence, refused and negatively rated ones). Grade what you see; you
        are shown only the cited passages you may read yourself.
      </p>
      <div className="row">
        <label>
          Use case{' '}
          <select value={useCase} onChange={(e) => setUseCase(e.target.value)}>
            <option value="">All I review</option>
            {useCases.map((u) => (
              <option key={u.name} value={u.name}>
                {u.name}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => void next()}>
          Review next
        </button>
      </div>
      <ErrorBox error={error} />
      {empty ? <Empty>Nothing is waiting for your review.</Empty> : null}
      {current ? (
        <ReviewCard
          key={current.id}
          item={current}
          onGraded={(graded) => {
            setCurrent(graded);
            void load();
          }}
        />
      ) : null}
      <h2>Queue</h2>
      <fieldset className="row segmented">
        <legend className="visually-hidden">Which items</legend>
        {(['pending', 'graded'] as const).map((s) => (
          <button
            key={s}
            type="button"
            className={status === s ? '' : 'secondary'}
            aria-pressed={status === s}
            onClick={() => setStatus(s)}
          >
            {s === 'pending' ? 'Pending' : 'Graded'}
          </button>
        ))}
      </fieldset>
      {items === null ? <p className="loading">Loading…</p> : null}
      {items?.length === 0 ? <Empty>No {status} items.</Empty> : null}
      {items && items.length > 0 ? (
        <table aria-label="Review queue">
          <thead>
            <tr>
              <th>Sampled</th>
              <th>Use case</th>
              <th>Why</th>
              <th>Status</th>
              <th>Verdict</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {items.map((item) => (
              <tr key={item.id}>
                <td>{formatDate(item.sampledAt)}</td>
                <td>{item.useCase}</td>
                <td>{stratumLabel[item.stratum]}</td>
                <td>
                  {item.status}
                  {item.claimedBy ? <span className="muted small"> (claimed by {item.claimedBy})</span> : null}
                  {item.ownAnswer ? <span className="muted small"> (your own question)</span> : null}
                </td>
                <td>{item.verdict ?? ''}</td>
                <td>
                  <button type="button" className="secondary" onClick={() => void open(item.id)}>
                    Open
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

function ReviewCard({ item, onGraded }: { item: ReviewDetail; onGraded: (graded: ReviewDetail) => void }) {
  const [verdict, setVerdict] = useState<ReviewVerdict | ''>('');
  const [grounded, setGrounded] = useState<'' | 'yes' | 'no'>('');
  const [corrected, setCorrected] = useState('');
  const [reason, setReason] = useState('');
  const [toEval, setToEval] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [candidate, setCandidate] = useState<string | null>(item.candidateId);

  async function grade(event: FormEvent) {
    event.preventDefault();
    try {
      const graded = await api<ReviewDetail>(`/v1/reviews/${encodeURIComponent(item.id)}/grade`, {
        method: 'POST',
        body: {
          verdict,
          ...(grounded ? { grounded } : {}),
          ...(corrected.trim() ? { correctedAnswer: corrected } : {}),
          ...(reason.trim() ? { reason } : {}),
          ...(toEval ? { toEval: true } : {}),
        },
      });
      setCandidate(graded.candidate?.id ?? graded.candidateId);
      onGraded(graded);
    } catch (caught) {
      setError(caught);
    }
  }

  async function propose() {
    try {
      const { candidate: made } = await api<{ candidate: { id: string } }>(
        `/v1/reviews/${encodeURIComponent(item.id)}/candidate`,
        { method: 'POST' },
      );
      setCandidate(made.id);
    } catch (caught) {
      setError(caught);
    }
  }

  return (
    <article className="card" aria-label="Review item">
      <p className="muted small">
        {item.useCase} · {stratumLabel[item.stratum]}
        {item.confidence === null ? '' : ` · confidence ${item.confidence.toFixed(2)}`} · trace{' '}
        <a href={`#/traces/${encodeURIComponent(item.traceId)}`}>{item.traceId}</a>
      </p>
      <h2>Question</h2>
      <p data-testid="review-question">{item.question ?? <span className="muted">[not kept]</span>}</p>
      <h2>Answer</h2>
      <p data-testid="review-answer">
        {item.answer ??
          (item.answerWithheld === 'restricted' ? (
            <span className="muted">Withheld: it used a document you may not read now.</span>
          ) : (
            <span className="muted">[not kept]</span>
          ))}
      </p>
      <h2>Cited passages</h2>
      {item.passages.length === 0 ? <p className="muted">No cited passage you may read.</p> : null}
      <ol aria-label="Cited passages">
        {item.passages.map((p) => (
          <li key={p.chunkId}>
            <strong>
              [{p.n ?? '–'}] {p.title}
            </strong>
            <p>{p.text}</p>
          </li>
        ))}
      </ol>
      {item.withheldPassages > 0 ? (
        <p className="warn" data-testid="withheld">
          {item.withheldPassages} withheld (from documents you may not read)
        </p>
      ) : null}
      <ErrorBox error={error} />
      {item.status === 'graded' ? (
        <div>
          <p>
            Graded <strong>{item.verdict}</strong>
            {item.grounded === null ? '' : item.grounded ? ', grounded' : ', not grounded'} by {item.gradedBy}
            {item.overridden ? ' (override)' : ''}.
          </p>
          {item.correctedAnswer ? <p>Corrected: {item.correctedAnswer}</p> : null}
          {candidate ? (
            <p role="status">Evaluation candidate {candidate} proposed.</p>
          ) : (
            <button type="button" className="secondary" onClick={() => void propose()}>
              Make evaluation case
            </button>
          )}
        </div>
      ) : item.ownAnswer ? (
        <p className="muted">You asked this question: another reviewer grades it.</p>
      ) : (
        <form onSubmit={grade} aria-label="Grade">
          <fieldset>
            <legend>Verdict</legend>
            {reviewVerdicts.map((v) => (
              <label key={v}>
                <input type="radio" name="verdict" value={v} checked={verdict === v} onChange={() => setVerdict(v)} /> {v}
              </label>
            ))}
          </fieldset>
          <fieldset>
            <legend>Grounded in the passages?</legend>
            {(['yes', 'no'] as const).map((g) => (
              <label key={g}>
                <input type="radio" name="grounded" value={g} checked={grounded === g} onChange={() => setGrounded(g)} /> {g}
              </label>
            ))}
          </fieldset>
          <label>
            Corrected answer
            <textarea value={corrected} onChange={(e) => setCorrected(e.target.value)} rows={3} />
          </label>
          <label>
            Reason
            <input value={reason} onChange={(e) => setReason(e.target.value)} />
          </label>
          <label>
            <input type="checkbox" checked={toEval} onChange={(e) => setToEval(e.target.checked)} /> Also make it an evaluation
            case
          </label>
          <button type="submit" disabled={!verdict}>
            Save grade
          </button>
        </form>
      )}
    </article>
  );
}
