import { type FormEvent, type ReactNode, useEffect, useState } from 'react';
import { api } from '../api.ts';
import { Empty, ErrorBox, markedSnippet } from '../components.tsx';

interface Hit {
  rank: number;
  chunkId: string;
  documentId: string;
  title: string;
  uri: string;
  sourceId: string;
  mediaType: string;
  text: string;
  snippet: string;
  highlights: Array<{ start: number; end: number }>;
  pageStart: number | null;
  sectionPath: string[];
  sensitivity: string;
  scores: { fused: number };
}

const mediaTypes: Array<[string, string]> = [
  ['', 'any type'],
  ['application/pdf', 'PDF'],
  ['text/html', 'HTML'],
  ['text/markdown', 'Markdown'],
  ['text/plain', 'Text'],
  ['message/rfc822', 'E-mail'],
  ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'Spreadsheet'],
];

/** Marks, in the snippet, the words the server highlighted in the chunk text. */
function highlighted(hit: Hit): ReactNode[] {
  if (hit.snippet.includes('«')) return markedSnippet(hit.snippet);
  const words = new Set(hit.highlights.map((h) => hit.text.slice(h.start, h.end).toLowerCase()).filter((w) => w.length > 1));
  if (words.size === 0) return [hit.snippet];
  const escaped = [...words].map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const pattern = new RegExp(`(${escaped.join('|')})`, 'gi');
  const nodes: ReactNode[] = [];
  let offset = 0;
  for (const [i, part] of hit.snippet.split(pattern).entries()) {
    nodes.push(i % 2 === 1 ? <mark key={offset}>{part}</mark> : part);
    offset += part.length;
  }
  return nodes;
}

export function SearchPage() {
  const [text, setText] = useState('');
  const [sources, setSources] = useState<Array<{ id: string; name: string }>>([]);
  const [source, setSource] = useState('');
  const [mediaType, setMediaType] = useState('');
  const [sensitivity, setSensitivity] = useState('');
  const [after, setAfter] = useState('');
  const [hits, setHits] = useState<Hit[] | null>(null);
  const [tookMs, setTookMs] = useState(0);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    api<{ sources: Array<{ id: string; name: string }> }>('/v1/sources')
      .then((r) => setSources(r.sources))
      .catch(() => setSources([]));
  }, []);

  async function search(event: FormEvent) {
    event.preventDefault();
    setError(null);
    const filters = {
      ...(source ? { sourceIds: [source] } : {}),
      ...(mediaType ? { mediaTypes: [mediaType] } : {}),
      ...(sensitivity ? { sensitivity: [sensitivity] } : {}),
      ...(after ? { modifiedAfter: after } : {}),
    };
    try {
      const result = await api<{ hits: Hit[]; tookMs: number }>('/v1/search', {
        method: 'POST',
        body: { query: text, k: 20, ...(Object.keys(filters).length ? { filters } : {}) },
      });
      setHits(result.hits);
      setTookMs(result.tookMs);
    } catch (caught) {
      setError(caught);
      setHits(null);
    }
  }

  const sourceName = (id: string) => sources.find((s) => s.id === id)?.name ?? id;

  return (
    <section aria-labelledby="search-title">
      <h1 id="search-title">Search</h1>
      <form className="card filters" onSubmit={search}>
        <div className="grow">
          <label htmlFor="search-q">Search the documents you can access</label>
          <input id="search-q" type="search" value={text} onChange={(e) => setText(e.target.value)} required />
        </div>
        <div>
          <label htmlFor="search-source">Source</label>
          <select id="search-source" value={source} onChange={(e) => setSource(e.target.value)}>
            <option value="">all sources</option>
            {sources.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="search-type">Type</label>
          <select id="search-type" value={mediaType} onChange={(e) => setMediaType(e.target.value)}>
            {mediaTypes.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="search-sens">Sensitivity</label>
          <select id="search-sens" value={sensitivity} onChange={(e) => setSensitivity(e.target.value)}>
            <option value="">any</option>
            {['public', 'internal', 'confidential', 'restricted'].map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="search-after">Modified after</label>
          <input id="search-after" type="date" value={after} onChange={(e) => setAfter(e.target.value)} />
        </div>
        <button type="submit" disabled={!text.trim()}>
          Search
        </button>
      </form>
      <ErrorBox error={error} />
      {hits?.length === 0 ? (
        <Empty>Nothing found in the documents you can access. Try other words or fewer filters.</Empty>
      ) : null}
      {hits && hits.length > 0 ? (
        <>
          <p className="muted small">
            {hits.length} results in {tookMs} ms
          </p>
          <ol className="hits">
            {hits.map((hit) => (
              <li key={hit.chunkId} className="card">
                <div className="row between">
                  <strong>{hit.title}</strong>
                  <span className="pill">{hit.sensitivity}</span>
                </div>
                <p className="muted small">
                  {sourceName(hit.sourceId)} · {mediaTypes.find(([t]) => t === hit.mediaType)?.[1] ?? hit.mediaType}
                  {hit.pageStart ? ` · page ${hit.pageStart}` : ''}
                  {hit.sectionPath.length ? ` · ${hit.sectionPath.join(' › ')}` : ''}
                </p>
                <p>{highlighted(hit)}</p>
              </li>
            ))}
          </ol>
        </>
      ) : null}
    </section>
  );
}
