import { type FormEvent, type ReactNode, useEffect, useRef, useState } from 'react';
import { type Answer, type AnswerWarning, ApiError, api, type Citation, streamAnswer, type UseCase } from '../api.ts';
import { confidenceLabel, ErrorBox, formatMs, markedSnippet, withCode } from '../components.tsx';
import { UseCaseIntro } from './FeedbackPages.tsx';

const suggestions = [
  'What is the deductible for water damage under policy form HO-3?',
  'What are the steps for first notice of loss?',
  'What is the maximum roof age for a new homeowners policy?',
];

const feedbackCategories = ['wrong', 'incomplete', 'outdated', 'unhelpful', 'citation', 'harmful', 'other'] as const;

/** The warning about a citation's document, if any. */
function warningFor(citation: Citation, warnings: readonly AnswerWarning[]): AnswerWarning | undefined {
  return warnings.find((w) => w.documentId === citation.documentId);
}

/** Splits answer text so that `[n]` markers become buttons opening citation n. */
function withCitationChips(
  text: string,
  citations: Citation[],
  warnings: readonly AnswerWarning[],
  open: (c: Citation) => void,
): ReactNode[] {
  const byNumber = new Map(citations.map((c) => [c.n, c]));
  const parts: ReactNode[] = [];
  let last = 0;
  for (const match of text.matchAll(/\[(\d+)\]/g)) {
    const citation = byNumber.get(Number(match[1]));
    if (!citation) continue;
    parts.push(text.slice(last, match.index));
    parts.push(
      <button
        key={`${match.index}`}
        type="button"
        className={`chip inline ${warningFor(citation, warnings) ? 'suspect' : ''}`}
        aria-label={`Citation ${citation.n}: ${citation.title}${warningFor(citation, warnings) ? ' (suspected prompt injection)' : ''}`}
        onClick={() => open(citation)}
      >
        {citation.n}
        {warningFor(citation, warnings) ? '!' : ''}
      </button>,
    );
    last = (match.index ?? 0) + match[0].length;
  }
  parts.push(text.slice(last));
  return parts;
}

export function AskPage() {
  const [useCases, setUseCases] = useState<UseCase[]>([]);
  const [useCase, setUseCase] = useState('');
  const [question, setQuestion] = useState('');
  const [streamed, setStreamed] = useState('');
  const [answer, setAnswer] = useState<Answer | null>(null);
  const [asking, setAsking] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [openCitation, setOpenCitation] = useState<Citation | null>(null);
  const abort = useRef<AbortController | null>(null);

  useEffect(() => {
    api<{ useCases: UseCase[] }>('/v1/use-cases')
      .then((r) => {
        setUseCases(r.useCases);
        const first = r.useCases.find((u) => u.name === 'default') ?? r.useCases[0];
        if (first) setUseCase(first.name);
      })
      .catch(() => setUseCases([]));
    return () => abort.current?.abort();
  }, []);

  async function ask(event?: FormEvent, text = question) {
    event?.preventDefault();
    if (!text.trim()) return;
    abort.current?.abort();
    const controller = new AbortController();
    abort.current = controller;
    setAsking(true);
    setError(null);
    setAnswer(null);
    setOpenCitation(null);
    setStreamed('');
    try {
      const final = await streamAnswer(
        { question: text.trim(), ...(useCase ? { useCase } : {}) },
        (token) => setStreamed((s) => s + token),
        controller.signal,
      );
      setAnswer(final);
    } catch (caught) {
      if (!controller.signal.aborted) setError(caught);
    } finally {
      if (abort.current === controller) setAsking(false);
    }
  }

  return (
    <div className="ask-layout">
      <section className="ask-main" aria-labelledby="ask-title">
        <h1 id="ask-title">Ask</h1>
        <form className="card ask-form" onSubmit={ask}>
          <div className="row">
            <label htmlFor="use-case">Use case</label>
            <select id="use-case" value={useCase} onChange={(e) => setUseCase(e.target.value)}>
              {useCases.length === 0 ? <option value="">default</option> : null}
              {useCases.map((u) => (
                <option key={u.name} value={u.name}>
                  {u.name}
                </option>
              ))}
            </select>
          </div>
          <label htmlFor="question">Question</label>
          <textarea
            id="question"
            rows={3}
            value={question}
            placeholder="Ask about your policies, claims procedures, guidelines…"
            onChange={(e) => setQuestion(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && !e.shiftKey) void ask(e);
            }}
          />
          <div className="row end">
            {asking ? (
              <button type="button" className="secondary" onClick={() => abort.current?.abort()}>
                Stop
              </button>
            ) : null}
            <button type="submit" disabled={asking || !question.trim()}>
              {asking ? 'Answering…' : 'Ask'}
            </button>
          </div>
        </form>

        <UseCaseIntro useCase={useCase} />

        {!answer && !asking && !error ? (
          <div className="suggestions">
            <p className="muted">Try one of these:</p>
            {suggestions.map((s) => (
              <button
                key={s}
                type="button"
                className="suggestion"
                onClick={() => {
                  setQuestion(s);
                  void ask(undefined, s);
                }}
              >
                {s}
              </button>
            ))}
          </div>
        ) : null}

        {error instanceof ApiError && error.code === 'rollout.not_available' ? (
          <div className="notice warn" role="alert" data-testid="rollout-message">
            <strong>{error.message}</strong>
            <p className="muted small">This assistant is not available to you right now.</p>
          </div>
        ) : (
          <ErrorBox error={error} />
        )}

        {asking && !answer ? (
          <article className="card answer" aria-live="polite" aria-busy="true">
            <p className="muted small">Searching the documents you can access and writing an answer…</p>
            <p className="answer-text">{streamed}</p>
          </article>
        ) : null}

        {answer ? <AnswerView answer={answer} onOpen={setOpenCitation} open={openCitation} /> : null}
      </section>
      {openCitation ? (
        <CitationPanel
          citation={openCitation}
          warning={warningFor(openCitation, answer?.warnings ?? [])}
          onClose={() => setOpenCitation(null)}
        />
      ) : null}
    </div>
  );
}

/** Warnings about documents the answer was built from; shown on their citations, and here for uncited ones. */
function Warnings({ answer }: { answer: Answer }) {
  const warnings = answer.warnings ?? [];
  if (warnings.length === 0) return null;
  const cited = new Set(answer.citations.map((c) => c.documentId));
  return (
    <div className="warnings" role="note" aria-label="Warnings">
      {warnings.map((w) => {
        const numbers = answer.citations.filter((c) => c.documentId === w.documentId).map((c) => c.n);
        return (
          <p key={w.documentId} className="warning small">
            <strong>
              {cited.has(w.documentId)
                ? `Source ${numbers.join(', ')}: suspected prompt injection`
                : 'Suspected prompt injection'}
            </strong>{' '}
            {w.message}
          </p>
        );
      })}
    </div>
  );
}

function AnswerView({ answer, onOpen, open }: { answer: Answer; onOpen: (c: Citation) => void; open: Citation | null }) {
  if (answer.refused && answer.refusalReason === 'no_documents') {
    // Nothing is indexed for anyone yet: say so and how to fix it (this reveals nothing about access).
    return (
      <article className="card answer refused" aria-live="polite" data-testid="answer">
        <h2>No documents are indexed yet</h2>
        <p>{withCode(answer.answer)}</p>
        <p className="muted small">
          <a href="#/sources">Sources</a> · <a href={`#/traces/${encodeURIComponent(answer.traceId)}`}>trace</a>
        </p>
      </article>
    );
  }
  if (answer.refused) {
    return (
      <article className="card answer refused" aria-live="polite" data-testid="answer">
        <h2>I could not find this in the documents you can access</h2>
        {/^I could not find/i.test(answer.answer) ? null : <p>{withCode(answer.answer)}</p>}
        <p className="muted small">
          {answer.refusalReason ? `Reason: ${answer.refusalReason.replaceAll('_', ' ')} · ` : ''}
          <a href={`#/traces/${encodeURIComponent(answer.traceId)}`}>trace</a>
        </p>
        <p className="muted small">
          If you expected an answer, the document may be outside your access — ask its owner, or rephrase the question.
        </p>
        <Warnings answer={answer} />
        <Feedback traceId={answer.traceId} />
      </article>
    );
  }
  const warnings = answer.warnings ?? [];
  const confidence = confidenceLabel(answer.confidence);
  return (
    <article className="card answer" aria-live="polite" data-testid="answer">
      <div className="answer-meta">
        <span className={`confidence ${confidence.level}`}>{confidence.text}</span>
        <span className="muted small">
          {answer.mode === 'extractive' ? 'Extractive (quoted passages, no model)' : answer.model} · {formatMs(answer.tookMs)} ·{' '}
          <a href={`#/traces/${encodeURIComponent(answer.traceId)}`}>trace</a>
        </span>
      </div>
      {answer.label ? <p className="muted small">{answer.label}</p> : null}
      <div className="answer-text">{withCitationChips(answer.answer, answer.citations, warnings, onOpen)}</div>
      <Warnings answer={answer} />
      {answer.citations.length > 0 ? (
        <div className="citations">
          <h2 className="small-heading">Sources</h2>
          <ul>
            {answer.citations.map((c) => (
              <li key={c.n}>
                <button
                  type="button"
                  className={`chip ${open?.n === c.n ? 'active' : ''} ${warningFor(c, warnings) ? 'suspect' : ''}`}
                  onClick={() => onOpen(c)}
                  aria-expanded={open?.n === c.n}
                >
                  <span className="chip-n">{c.n}</span> {c.title}
                  {c.page ? `, p. ${c.page}` : ''}
                  {warningFor(c, warnings) ? <span className="suspect-label"> · suspected prompt injection</span> : null}
                </button>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <Feedback traceId={answer.traceId} />
    </article>
  );
}

function CitationPanel({
  citation,
  warning,
  onClose,
}: {
  citation: Citation;
  warning: AnswerWarning | undefined;
  onClose: () => void;
}) {
  const closeRef = useRef<HTMLButtonElement>(null);
  // Focus moves to the panel whenever another citation opens, so keyboard users land on it.
  useEffect(() => {
    if (citation.chunkId) closeRef.current?.focus();
  }, [citation.chunkId]);
  return (
    <aside className="card citation-panel" aria-label={`Source ${citation.n}`} onKeyDown={(e) => e.key === 'Escape' && onClose()}>
      <div className="panel-head">
        <h2>
          <span className="chip-n">{citation.n}</span> {citation.title}
        </h2>
        <button ref={closeRef} type="button" className="icon" onClick={onClose} aria-label="Close source">
          ×
        </button>
      </div>
      <p className="muted small">
        {citation.page ? `Page ${citation.page} · ` : ''}
        <span className="uri">{citation.uri}</span>
      </p>
      {warning ? (
        <p className="warning small" role="note">
          <strong>Suspected prompt injection.</strong> {warning.message}
        </p>
      ) : null}
      <blockquote className="snippet">{markedSnippet(citation.snippet)}</blockquote>
      {/* keyed: another cited document starts closed */}
      <DocumentDetails key={citation.documentId} documentId={citation.documentId} />
    </aside>
  );
}

interface DocumentDetail {
  title: string;
  sourceName: string;
  sourceRef: string;
  mediaType: string;
  pages: number | null;
  chunkCount: number;
  sensitivity: string;
  sourceModifiedAt: string | null;
  indexedAt: string | null;
  metadata: Record<string, unknown>;
}

/** The cited document's metadata (GET /v1/documents/:id, filtered by the reader's principals), on demand. */
function DocumentDetails({ documentId }: { documentId: string }) {
  const [detail, setDetail] = useState<DocumentDetail | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [open, setOpen] = useState(false);
  const toggle = () => {
    setOpen(!open);
    if (!detail && !open) {
      api<DocumentDetail>(`/v1/documents/${encodeURIComponent(documentId)}`)
        .then(setDetail)
        .catch(setError);
    }
  };
  const author = typeof detail?.metadata.author === 'string' ? detail.metadata.author : null;
  return (
    <div className="document-details">
      <button type="button" className="link" aria-expanded={open} onClick={toggle}>
        {open ? 'Hide document details' : 'Document details'}
      </button>
      {open ? <ErrorBox error={error} /> : null}
      {open && detail ? (
        <dl className="small" aria-label="Document details">
          <dt>Source</dt>
          <dd>
            {detail.sourceName} · {detail.sourceRef}
          </dd>
          <dt>Type</dt>
          <dd>
            {detail.mediaType}
            {detail.pages ? ` · ${detail.pages} page(s)` : ''} · {detail.chunkCount} passage(s)
          </dd>
          {author ? (
            <>
              <dt>Author</dt>
              <dd>{author}</dd>
            </>
          ) : null}
          <dt>Sensitivity</dt>
          <dd>{detail.sensitivity}</dd>
          <dt>Modified</dt>
          <dd>{detail.sourceModifiedAt ? new Date(detail.sourceModifiedAt).toLocaleString() : 'unknown'}</dd>
          <dt>Indexed</dt>
          <dd>{detail.indexedAt ? new Date(detail.indexedAt).toLocaleString() : 'not yet'}</dd>
        </dl>
      ) : null}
    </div>
  );
}

function Thumb({ down }: { down?: boolean }) {
  // Drawn, not an emoji: servers and kiosks often lack an emoji font.
  return (
    <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" style={down ? { transform: 'rotate(180deg)' } : undefined}>
      <path
        d="M2 10h4v11H2zM8 21h9.3a2 2 0 0 0 2-1.6l1.6-7A2 2 0 0 0 19 10h-5.5l.9-4.2a1.6 1.6 0 0 0-2.9-1.2L8 10z"
        fill="currentColor"
      />
    </svg>
  );
}

function Feedback({ traceId }: { traceId: string }) {
  const [rating, setRating] = useState<1 | -1 | null>(null);
  const [category, setCategory] = useState('');
  const [comment, setComment] = useState('');
  const [state, setState] = useState<'idle' | 'saving' | 'saved' | 'detailed'>('idle');
  const [error, setError] = useState<unknown>(null);
  // Sends go out one after another: a rating still retrying (its trace not stored yet) must not land after
  // the details sent next and replace them.
  const previous = useRef<Promise<void>>(Promise.resolve());

  function send(value: 1 | -1, details?: { category?: string; comment?: string }): Promise<void> {
    const next = previous.current.then(() => sendNow(value, details));
    previous.current = next;
    return next;
  }

  async function sendNow(value: 1 | -1, details?: { category?: string; comment?: string }) {
    setRating(value);
    setState('saving');
    setError(null);
    try {
      const body = {
        traceId,
        rating: value,
        ...(details?.category ? { category: details.category } : {}),
        ...(details?.comment?.trim() ? { comment: details.comment.trim() } : {}),
      };
      // The trace is stored just after the answer arrives; a very quick click may precede it (404): retry briefly.
      for (let attempt = 0; ; attempt++) {
        try {
          await api('/v1/feedback', { method: 'POST', body });
          break;
        } catch (caught) {
          if (!(caught instanceof ApiError && caught.status === 404 && attempt < 6)) throw caught;
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
      setState(details ? 'detailed' : 'saved');
    } catch (caught) {
      setError(caught);
      setState('idle');
    }
  }

  return (
    <div className="feedback">
      <div className="row">
        <span className="muted small">Was this helpful?</span>
        <button
          type="button"
          className={`icon ${rating === 1 ? 'active' : ''}`}
          aria-pressed={rating === 1}
          aria-label="Helpful"
          onClick={() => void send(1)}
        >
          <Thumb /> Yes
        </button>
        <button
          type="button"
          className={`icon ${rating === -1 ? 'active' : ''}`}
          aria-pressed={rating === -1}
          aria-label="Not helpful"
          onClick={() => void send(-1)}
        >
          <Thumb down /> No
        </button>
        {state === 'saved' || state === 'detailed' ? (
          <span className="ok small" role="status">
            Thanks — feedback recorded.
          </span>
        ) : null}
      </div>
      {rating !== null && state !== 'detailed' ? (
        <form
          className="row feedback-details"
          onSubmit={(e) => {
            e.preventDefault();
            void send(rating, { category, comment });
          }}
        >
          <label htmlFor={`fb-cat-${traceId}`} className="small">
            Category
          </label>
          <select id={`fb-cat-${traceId}`} value={category} onChange={(e) => setCategory(e.target.value)}>
            <option value="">(none)</option>
            {feedbackCategories.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
          <label htmlFor={`fb-comment-${traceId}`} className="small">
            Comment
          </label>
          <input id={`fb-comment-${traceId}`} value={comment} onChange={(e) => setComment(e.target.value)} maxLength={4000} />
          <button type="submit" className="secondary">
            Add details
          </button>
        </form>
      ) : null}
      <ErrorBox error={error} />
    </div>
  );
}
