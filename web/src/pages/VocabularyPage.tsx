import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { api, type UseCase } from '../api.ts';
import { Empty, ErrorBox, formatDate } from '../components.tsx';

interface VocabularyEntry {
  useCase: string;
  term: string;
  kind: 'synonym' | 'acronym';
  expansions: string[];
  version: number;
  updatedBy: string;
  updatedAt: string;
}

interface Suggestions {
  acronyms: Array<{ term: string; expansion: string; count: number; exampleDocumentIds: string[] }>;
  queries: Array<{ terms: string[]; count: number; examples: string[] }> | null;
  scannedChunks: number;
}

const shown = (entry: VocabularyEntry) => (entry.kind === 'acronym' ? entry.term.toUpperCase() : entry.term);

/**
 * Domain vocabulary (docs/vocabulary.md): synonyms and acronyms applied to every query (of a use case or all),
 * with suggestions found in the documents you may read and in questions that found nothing.
 */
export function VocabularyPage({ canWrite }: { canWrite: boolean }) {
  const [useCases, setUseCases] = useState<UseCase[]>([]);
  const [useCase, setUseCase] = useState('');
  const [listed, setListed] = useState<{ version: number; entries: VocabularyEntry[] } | null>(null);
  const [suggestions, setSuggestions] = useState<Suggestions | null>(null);
  const [term, setTerm] = useState('');
  const [equivalents, setEquivalents] = useState('');
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async () => {
    try {
      setListed(await api(`/v1/vocabulary${useCase ? `?useCase=${encodeURIComponent(useCase)}` : ''}`));
      setError(null);
    } catch (caught) {
      setError(caught);
    }
  }, [useCase]);

  useEffect(() => {
    void load();
  }, [load]);
  useEffect(() => {
    api<{ useCases: UseCase[] }>('/v1/use-cases')
      .then((r) => setUseCases(r.useCases))
      .catch(() => setUseCases([]));
  }, []);

  async function add(termText: string, expansions: string[]) {
    try {
      await api('/v1/vocabulary', {
        method: 'POST',
        body: { term: termText, expansions, ...(useCase ? { useCase } : {}) },
      });
      setError(null);
      await load();
    } catch (caught) {
      setError(caught);
    }
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    const expansions = equivalents
      .split('|')
      .map((e) => e.trim())
      .filter(Boolean);
    await add(term, expansions);
    setTerm('');
    setEquivalents('');
  }

  async function remove(entry: VocabularyEntry) {
    try {
      await api('/v1/vocabulary/remove', {
        method: 'POST',
        body: { term: entry.term, ...(entry.useCase ? { useCase: entry.useCase } : {}) },
      });
      await load();
    } catch (caught) {
      setError(caught);
    }
  }

  async function suggest() {
    try {
      setSuggestions(await api(`/v1/vocabulary/suggestions${useCase ? `?useCase=${encodeURIComponent(useCase)}` : ''}`));
      setError(null);
    } catch (caught) {
      setError(caught);
    }
  }

  return (
    <section aria-labelledby="vocabulary-title">
      <div className="row between">
        <h1 id="vocabulary-title">Vocabulary</h1>
        <button type="button" className="secondary" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      <p className="muted">
        Synonyms and acronyms added to every search and question (BM25 sees the original words and their equivalents). An entry
        applies to the next query.
      </p>
      <div className="row">
        <label>
          Use case{' '}
          <select value={useCase} onChange={(e) => setUseCase(e.target.value)}>
            <option value="">Every use case</option>
            {useCases.map((u) => (
              <option key={u.name} value={u.name}>
                {u.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorBox error={error} />
      {canWrite ? (
        <form className="row" onSubmit={(e) => void submit(e)} aria-label="Add a term">
          <label>
            Term <input value={term} onChange={(e) => setTerm(e.target.value)} placeholder="FNOL" required />
          </label>
          <label>
            Equivalents (separate with |){' '}
            <input
              value={equivalents}
              onChange={(e) => setEquivalents(e.target.value)}
              placeholder="first notice of loss"
              required
            />
          </label>
          <button type="submit">Add</button>
        </form>
      ) : null}
      {listed === null ? <p className="loading">Loading…</p> : null}
      {listed?.entries.length === 0 ? <Empty>The vocabulary is empty.</Empty> : null}
      {listed && listed.entries.length > 0 ? (
        <table aria-label="Vocabulary">
          <thead>
            <tr>
              <th>Term</th>
              <th>Equivalents</th>
              <th>Kind</th>
              <th>Use case</th>
              <th>Version</th>
              <th>Changed</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {listed.entries.map((entry) => (
              <tr key={`${entry.useCase}/${entry.term}`}>
                <td>{shown(entry)}</td>
                <td>{entry.expansions.join(' | ')}</td>
                <td>{entry.kind}</td>
                <td>{entry.useCase || 'every use case'}</td>
                <td>{entry.version}</td>
                <td>
                  {formatDate(entry.updatedAt)} by {entry.updatedBy}
                </td>
                <td>
                  {canWrite ? (
                    <button type="button" className="secondary" onClick={() => void remove(entry)}>
                      Remove {shown(entry)}
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {listed ? <p className="muted">Vocabulary version {listed.version}.</p> : null}
      <h2>Suggestions</h2>
      <button type="button" className="secondary" onClick={() => void suggest()}>
        Find suggestions
      </button>
      {suggestions ? (
        <>
          <p className="muted">Acronyms found in {suggestions.scannedChunks} passages you may read.</p>
          {suggestions.acronyms.length === 0 ? <Empty>No new acronyms found.</Empty> : null}
          <ul aria-label="Suggested acronyms">
            {suggestions.acronyms.map((a) => (
              <li key={`${a.term}/${a.expansion}`}>
                <strong>{a.term}</strong> = {a.expansion} ({a.count}×){' '}
                {canWrite ? (
                  <button type="button" className="secondary" onClick={() => void add(a.term, [a.expansion])}>
                    Add {a.term}
                  </button>
                ) : null}
              </li>
            ))}
          </ul>
          {suggestions.queries === null ? (
            <p className="muted">Questions that found nothing are shown to administrators only.</p>
          ) : (
            <ul aria-label="Questions that found nothing">
              {suggestions.queries.map((q) => (
                <li key={q.terms.join(' ')}>
                  <strong>{q.terms.join(' ')}</strong> ({q.count}×): {q.examples.join(' / ')}
                </li>
              ))}
            </ul>
          )}
        </>
      ) : null}
    </section>
  );
}
