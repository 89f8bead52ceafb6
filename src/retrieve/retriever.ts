import { embed, rerank } from 'ai';
import { type ActiveSpan, GroundworkError, type SensitivityLabel } from '../core/index.ts';
import type { Queryable } from '../store/index.ts';
import { type FusedCandidate, reciprocalRankFusion, weightedFusion } from './fusion.ts';
import { distinctWords, highlightSpans, makeSnippet } from './highlight.ts';
import {
  analyzersInUse,
  ensureLexicalIndex,
  pgTextSearchLexicalSearch,
  portableLexicalSearch,
  type RankedChunk,
} from './lexical.ts';
import { expandQuery, mergeSynonyms } from './synonyms.ts';
import type { LexicalEngine, Retriever, RetrieverDeps, SearchHit, SearchMode, SearchRequest, SearchResult } from './types.ts';
import { vectorIndexExists, vectorSearch } from './vector.ts';

const maxK = 1000;
/** How many chunk candidates per requested document at document level (documents have several chunks). */
const documentDepthFactor = 4;

interface ChunkRow {
  id: string;
  document_id: string;
  ordinal: number;
  text: string;
  section_path: string[];
  page_start: number | null;
  page_end: number | null;
  sensitivity: SensitivityLabel;
  pii: Array<{ type: string; start: number; end: number }>;
  injection_spans: Array<{ category: string; start: number; end: number }> | null;
  source_id: string;
  title: string;
  uri: string;
  media_type: string;
}

function usageError(code: string, message: string, fix: string): GroundworkError {
  return new GroundworkError(code, message, { category: 'usage', fix });
}

function traced(list: ReadonlyArray<{ id: string; documentId?: string; score: number }>, byId?: Map<string, string>) {
  return list.slice(0, 100).map((c) => ({ chunkId: c.id, documentId: c.documentId ?? byId?.get(c.id) ?? '', score: c.score }));
}

/**
 * The retriever: BM25 (pg_textsearch or portable postings), vector (pgvector), hybrid fusion, optional
 * rerank, chunk or document level — every path filtered by the caller's principals and the filters in SQL.
 */
export function createRetriever(deps: RetrieverDeps): Retriever {
  const { db, config, tracer } = deps;
  // Ranking and row fetches are read-only: on the read replica when one is configured (DATABASE_READ_URL).
  // Index creation stays on the primary.
  const reader = db.read;
  let lexicalIndex: Promise<string | undefined> | undefined;
  let vectorIndexed: Promise<boolean> | undefined;
  const ensureIndex = () => {
    lexicalIndex ??= ensureLexicalIndex(db, config).catch((error) => {
      lexicalIndex = undefined;
      throw error;
    });
    return lexicalIndex;
  };
  const hasVectorIndex = (dims: number) => {
    vectorIndexed ??= vectorIndexExists(db, dims);
    return vectorIndexed;
  };

  // The analyzers in use change only when a source is added or re-configured: re-read at most every 5 s.
  let analyzerCache: { at: number; value: Promise<string[]> } | undefined;
  const currentAnalyzers = () => {
    const now = Date.now();
    if (!analyzerCache || now - analyzerCache.at > 5_000) {
      analyzerCache = { at: now, value: analyzersInUse(db, config.textConfig) };
      analyzerCache.value.catch(() => {
        analyzerCache = undefined;
      });
    }
    return analyzerCache.value;
  };
  deps.changes?.subscribe('sources', () => {
    analyzerCache = undefined;
  });
  deps.changes?.subscribe('retrieval_indexes', () => {
    vectorIndexed = undefined;
    lexicalIndex = undefined;
  });

  async function chooseEngine(requested: SearchRequest['lexicalEngine'], analyzers: readonly string[]): Promise<LexicalEngine> {
    const wanted = requested ?? config.lexicalEngine;
    if (wanted === 'portable') return 'portable';
    if (wanted === 'pg_textsearch') {
      if (!db.capabilities.pgTextSearch) {
        throw usageError(
          'retrieve.pg_textsearch_unavailable',
          'retrieval.lexicalEngine is pg_textsearch, but this PostgreSQL does not have the pg_textsearch extension.',
          'Set retrieval.lexicalEngine to auto or portable (same analyzer and BM25 parameters), or install pg_textsearch.',
        );
      }
      return 'pg_textsearch';
    }
    // auto: the pg_textsearch index has one analyzer; sources with another analyzer need the portable path.
    const sameAnalyzer = analyzers.length === 1 && analyzers[0] === config.textConfig;
    return db.capabilities.pgTextSearch && sameAnalyzer ? 'pg_textsearch' : 'portable';
  }

  async function lexical(
    engine: LexicalEngine,
    analyzers: readonly string[],
    text: string,
    request: SearchRequest,
    limit: number,
    parent: ActiveSpan,
  ): Promise<RankedChunk[]> {
    return tracer.inSpan(
      'retrieve.lexical',
      parent.context,
      async (span) => {
        const query = { text, caller: request.caller, filters: request.filters, limit };
        const chunks =
          engine === 'pg_textsearch'
            ? await pgTextSearchLexicalSearch(reader, (await ensureIndex()) as string, query)
            : await portableLexicalSearch(reader, config, analyzers, query);
        span.setAttributes({ 'groundwork.retrieved': traced(chunks), 'groundwork.lexical.engine': engine });
        return chunks;
      },
      { 'groundwork.lexical.engine': engine },
    );
  }

  async function vector(text: string, request: SearchRequest, limit: number, parent: ActiveSpan): Promise<RankedChunk[]> {
    const model = deps.embeddingModel;
    if (!model) return [];
    return tracer.inSpan('retrieve.vector', parent.context, async (span) => {
      const { embedding, usage } = await embed({ model, value: text, maxRetries: 1 });
      // The query embedding is a priced model call (observe costs spans that name their operation and model).
      span.setAttributes({
        'gen_ai.operation.name': 'embeddings',
        ...modelAttributes(model),
        'gen_ai.usage.input_tokens': usage?.tokens ?? 0,
      });
      const indexed = deps.embeddingDimensions === embedding.length ? await hasVectorIndex(embedding.length) : false;
      const result = await vectorSearch(reader, {
        embedding,
        caller: request.caller,
        filters: request.filters,
        limit,
        exactBelow: config.exactVectorBelow,
        indexed,
      });
      span.setAttributes({ 'groundwork.retrieved': traced(result.chunks), 'groundwork.vector.strategy': result.strategy });
      return result.chunks;
    });
  }

  async function fetchRows(q: Queryable, ids: readonly string[]): Promise<Map<string, ChunkRow>> {
    if (ids.length === 0) return new Map();
    const result = await q.query<ChunkRow & Record<string, unknown>>(
      `SELECT c.id, c.document_id, c.ordinal, c.text, c.section_path, c.page_start, c.page_end, c.sensitivity, c.pii,
              c.injection_spans, c.source_id, d.title, d.uri, d.media_type
       FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id = ANY($1::text[])`,
      [ids],
    );
    return new Map(result.rows.map((row) => [row.id, row]));
  }

  async function matchingWords(analyzers: readonly string[], query: string, texts: readonly string[]): Promise<Set<string>> {
    // Only words that can stem to a query term are analyzed: stemming strips suffixes, so a word and its
    // lexeme share their first two letters (y/i folded: "dying" → "die"). Exact matching stays in SQL.
    const key = (word: string) => word.slice(0, 2).replace(/y/g, 'i');
    const queryKeys = new Set(distinctWords([query]).map(key));
    const candidates = distinctWords(texts).filter((word) => queryKeys.has(key(word)));
    if (candidates.length === 0) return new Set();
    const result = await reader.query<{ w: string }>(
      `WITH ql AS (
         SELECT DISTINCT l.lexeme FROM unnest($1::text[]) cfg CROSS JOIN LATERAL unnest(to_tsvector(cfg::regconfig, $2)) l
       )
       SELECT w FROM unnest($3::text[]) w
       WHERE EXISTS (
         SELECT 1 FROM unnest($1::text[]) cfg CROSS JOIN LATERAL unnest(to_tsvector(cfg::regconfig, w)) l
         JOIN ql ON ql.lexeme = l.lexeme)`,
      [analyzers, query, candidates],
    );
    return new Set(result.rows.map((row) => row.w));
  }

  return {
    async search(request) {
      const started = performance.now();
      const k = request.k ?? 10;
      if (!Number.isInteger(k) || k < 1 || k > maxK) {
        throw usageError('retrieve.invalid_k', `k must be an integer from 1 to ${maxK}, got ${k}.`, 'Pass a smaller k.');
      }
      if (request.query.trim() === '') {
        throw usageError('retrieve.empty_query', 'The search query is empty.', 'Pass the words to search for.');
      }
      return tracer.inSpan(
        'retrieve',
        request.trace,
        async (span): Promise<SearchResult> => {
          // The managed vocabulary (use case + global) is read while the mode and engine are decided.
          const managedVocabulary = deps.vocabulary?.(request.useCase);
          managedVocabulary?.catch(() => {});
          let mode: SearchMode;
          if (request.mode) {
            mode = request.mode;
            if (mode !== 'lexical' && !deps.embeddingModel) {
              throw usageError(
                'retrieve.no_embedding_model',
                `Search mode ${mode} needs an embedding model, and none is configured.`,
                'Configure models.embedding (and re-ingest so chunks have embeddings), or use --mode lexical.',
              );
            }
          } else if (deps.embeddingModel) {
            const any = await reader.query('SELECT 1 FROM chunks WHERE embedding IS NOT NULL LIMIT 1');
            mode = any.rowCount > 0 ? 'hybrid' : 'lexical';
          } else {
            mode = 'lexical';
          }
          const analyzers = await currentAnalyzers();
          const engine = await chooseEngine(request.lexicalEngine, analyzers);
          // Configured synonyms, then the managed vocabulary, then the use case's own.
          const expanded = expandQuery(
            request.query,
            mergeSynonyms(config.synonyms, managedVocabulary ? await managedVocabulary : undefined, request.synonyms),
          );
          const useRerank = Boolean(deps.rerankModel) && request.rerank !== false;
          const documentLevel = request.level === 'document';
          const wanted = Math.min(maxK * documentDepthFactor, documentLevel ? k * documentDepthFactor : k);
          const depthFor = (configured: number) => (mode === 'hybrid' ? Math.max(configured, wanted) : wanted);
          const needed = useRerank ? Math.max(wanted, config.rerankDepth) : wanted;

          const [lexicalHits, vectorHits] = await Promise.all([
            mode === 'vector'
              ? Promise.resolve([] as RankedChunk[])
              : lexical(engine, analyzers, expanded.text, request, Math.max(depthFor(config.lexicalDepth), needed), span),
            mode === 'lexical'
              ? Promise.resolve([] as RankedChunk[])
              : vector(expanded.text, request, Math.max(depthFor(config.vectorDepth), needed), span),
          ]);
          const documentOf = new Map<string, string>();
          for (const c of [...lexicalHits, ...vectorHits]) documentOf.set(c.id, c.documentId);

          let ranked: FusedCandidate[];
          if (mode === 'hybrid') {
            ranked = await tracer.inSpan('retrieve.fusion', span.context, async (fusionSpan) => {
              const fused =
                config.fusion === 'weighted'
                  ? weightedFusion(lexicalHits, vectorHits, config.lexicalWeight)
                  : reciprocalRankFusion(lexicalHits, vectorHits, config.rrfK, {
                      lexical: 2 * config.lexicalWeight,
                      vector: 2 * (1 - config.lexicalWeight),
                    });
              fusionSpan.setAttributes({
                'groundwork.fusion': config.fusion,
                'groundwork.retrieved': traced(
                  fused.map((f) => ({ id: f.id, score: f.fused })),
                  documentOf,
                ),
              });
              return fused;
            });
          } else if (mode === 'lexical') {
            ranked = lexicalHits.map((c) => ({ id: c.id, fused: c.score, lexical: c.score }));
          } else {
            ranked = vectorHits.map((c) => ({ id: c.id, fused: c.score, vector: c.score }));
          }

          let rows = new Map<string, ChunkRow>();
          const rerankScores = new Map<string, number>();
          if (useRerank && deps.rerankModel && ranked.length > 0) {
            const model = deps.rerankModel;
            const top = ranked.slice(0, config.rerankDepth);
            rows = await fetchRows(
              reader,
              top.map((c) => c.id),
            );
            const present = top.filter((c) => rows.has(c.id));
            ranked = await tracer.inSpan('retrieve.rerank', span.context, async (rerankSpan) => {
              // Priced per search (observe/prices.ts `perSearch`).
              rerankSpan.setAttributes({
                'gen_ai.operation.name': 'rerank',
                ...modelAttributes(model),
              });
              const result = await rerank({
                model,
                query: request.query,
                documents: present.map((c) => (rows.get(c.id) as ChunkRow).text),
                topN: present.length,
                maxRetries: 1,
              });
              const reordered = result.ranking.map((r) => {
                const candidate = present[r.originalIndex] as FusedCandidate;
                rerankScores.set(candidate.id, r.score);
                return candidate;
              });
              rerankSpan.setAttributes({
                'groundwork.retrieved': traced(
                  reordered.map((c) => ({ id: c.id, score: rerankScores.get(c.id) ?? 0 })),
                  documentOf,
                ),
              });
              return reordered;
            });
          }

          // Document level: one hit per document, its best chunk (document score = best chunk score).
          let final = ranked;
          if (documentLevel) {
            const seen = new Set<string>();
            final = ranked.filter((c) => {
              const doc = documentOf.get(c.id) ?? c.id;
              if (seen.has(doc)) return false;
              seen.add(doc);
              return true;
            });
          }
          final = final.slice(0, k);
          const missing = final.map((c) => c.id).filter((id) => !rows.has(id));
          for (const [id, row] of await fetchRows(reader, missing)) rows.set(id, row);
          const present = final.filter((c) => rows.has(c.id));
          const withHighlights = request.highlight !== false;
          const matching = withHighlights
            ? await matchingWords(
                analyzers,
                expanded.text,
                present.map((c) => (rows.get(c.id) as ChunkRow).text),
              )
            : new Set<string>();
          const hits: SearchHit[] = present.map((c, index) => {
            const row = rows.get(c.id) as ChunkRow;
            const highlights = withHighlights ? highlightSpans(row.text, matching) : [];
            const rerankScore = rerankScores.get(c.id);
            return {
              rank: index + 1,
              chunkId: row.id,
              documentId: row.document_id,
              ordinal: row.ordinal,
              text: row.text,
              highlights,
              snippet: makeSnippet(row.text, highlights),
              title: row.title,
              uri: row.uri,
              sourceId: row.source_id,
              mediaType: row.media_type,
              pageStart: row.page_start,
              pageEnd: row.page_end,
              sectionPath: row.section_path,
              sensitivity: row.sensitivity,
              pii: Array.isArray(row.pii) ? row.pii : [],
              injection: Array.isArray(row.injection_spans) ? row.injection_spans : null,
              scores: {
                ...(c.lexical === undefined ? {} : { lexical: c.lexical }),
                ...(c.vector === undefined ? {} : { vector: c.vector }),
                fused: c.fused,
                ...(rerankScore === undefined ? {} : { rerank: rerankScore }),
              },
            };
          });
          span.setAttributes({
            'groundwork.mode': mode,
            'groundwork.lexical.engine': engine,
            'groundwork.retrieved': hits.map((h) => ({
              chunkId: h.chunkId,
              documentId: h.documentId,
              score: h.scores.rerank ?? h.scores.fused,
            })),
          });
          return {
            hits,
            mode,
            lexicalEngine: engine,
            tookMs: Math.round((performance.now() - started) * 100) / 100,
            ...(expanded.added.length > 0 ? { expandedTerms: expanded.added } : {}),
          };
        },
        {
          'groundwork.operation': 'search',
          'groundwork.caller': request.caller.id,
          'groundwork.caller.sees_everything': request.caller.seesEverything,
        },
      );
    },
  };
}

/**
 * Provider and model of an AI SDK model for its span; the SDK names a provider `<provider>.<kind>`
 * (`openai.embedding` → `openai`). A model given as a bare id string has no provider.
 */
function modelAttributes(model: string | { readonly provider: string; readonly modelId: string }): Record<string, string> {
  if (typeof model === 'string') return { 'gen_ai.request.model': model };
  return { 'gen_ai.provider.name': model.provider.split('.')[0] ?? model.provider, 'gen_ai.request.model': model.modelId };
}
