import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MockEmbeddingModelV4, MockRerankingModelV4 } from 'ai/test';
import { openTestDatabase, testStoreKind } from '../../test/helpers/test-platform.ts';
import {
  type Caller,
  callerWithPrincipals,
  configSchema,
  createEventBus,
  createTracer,
  localOperator,
  type SpanRecord,
} from '../core/index.ts';
import type { Database } from '../store/index.ts';
import { insertDocument } from './fixtures/corpus.ts';
import { clusteredVectors, prng, randomQuery, sentence, vocabulary } from './fixtures/generate.ts';
import { createRetriever, ensureVectorIndex, type RetrievalConfig, type SearchHit, type SearchRequest } from './index.ts';

const dims = 16;
const baseConfig: RetrievalConfig = configSchema.parse({}).retrieval;

/** Embeds "cluster N …" as centre N; anything else as a hash-derived unit vector (deterministic). */
function embedder(centres: number[][]) {
  return new MockEmbeddingModelV4({
    doEmbed: async ({ values }) => ({
      embeddings: values.map((value) => {
        const match = /cluster (\d+)/.exec(value);
        if (match) return centres[Number(match[1]) % centres.length] as number[];
        const random = prng([...value].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) >>> 0, 7));
        return Array.from({ length: dims }, () => random() - 0.5);
      }),
      usage: { tokens: 7 * values.length },
      warnings: [],
    }),
  });
}

describe(`retrieve: search (${testStoreKind})`, () => {
  let db: Database;
  const random = prng(42);
  const { vectors, centres } = clusteredVectors(random, 400, dims, 8);
  // Users and groups; each document readable by a random subset (sometimes nobody: operator-only).
  const users = Array.from({ length: 12 }, (_, i) => `user:u${i}@example.com`);
  const groups = Array.from({ length: 6 }, (_, i) => `group:g${i}`);
  const membership = new Map(users.map((u) => [u, [u, ...groups.filter(() => random() < 0.3)]]));
  const acl = new Map<string, string[]>();
  const sensitivityOf = new Map<string, string>();
  let vectorIndex = 0;

  before(async () => {
    db = await openTestDatabase();
    for (let d = 0; d < 160; d++) {
      const principals = [...users, ...groups].filter(() => random() < 0.12);
      const sensitivity = (['public', 'internal', 'confidential', 'restricted'] as const)[d % 4] as string;
      const chunks = Array.from({ length: 1 + (d % 3) }, (_, c) => {
        const id = `d${d}-c${c}`;
        acl.set(id, principals);
        sensitivityOf.set(id, sensitivity);
        return { id, text: sentence(random, 20 + Math.floor(random() * 40)), embedding: vectors[vectorIndex++ % vectors.length] };
      });
      await insertDocument(db, {
        id: `d${d}`,
        sourceId: d % 2 === 0 ? 'share' : 'wiki',
        mediaType: d % 3 === 0 ? 'application/pdf' : 'text/plain',
        principals,
        sensitivity,
        modifiedAt: new Date(Date.UTC(2024, 0, 1 + d)),
        metadata: { department: d % 5 === 0 ? 'claims' : 'finance' },
        chunks,
      });
    }
    await insertDocument(db, {
      id: 'fnol-doc',
      title: 'Claims handbook',
      principals: ['group:g0'],
      chunks: [
        {
          id: 'fnol-c0',
          text: 'The first notice of loss must be recorded within 24 hours. Call the adjuster after the first notice of loss.',
          pageStart: 3,
          sectionPath: ['Claims', 'Intake'],
          pii: [{ type: 'phone', start: 0, end: 3 }],
        },
      ],
    });
    await insertDocument(db, {
      id: 'acronym-doc',
      principals: ['group:g0'],
      chunks: [{ id: 'acronym-c0', text: 'Every FNOL is triaged by the intake desk.' }],
    });
  });
  after(async () => {
    await db.close();
  });

  const visible = (caller: Caller, chunkId: string) =>
    caller.seesEverything || (acl.get(chunkId) ?? ['group:g0']).some((p) => caller.principals.includes(p));

  test('synonyms and acronyms expand the query both ways, with highlights, snippet and metadata', async () => {
    const retriever = createRetriever({
      db,
      config: { ...baseConfig, synonyms: { FNOL: ['first notice of loss'] } },
      tracer: createTracer(createEventBus()),
    });
    const acronym = await retriever.search({ query: 'FNOL', caller: localOperator, mode: 'lexical' });
    assert.deepEqual(acronym.expandedTerms, ['first notice of loss']);
    assert.deepEqual(new Set(acronym.hits.slice(0, 2).map((h) => h.chunkId)), new Set(['fnol-c0', 'acronym-c0']));
    const phrase = await retriever.search({ query: 'first notice of loss', caller: localOperator, mode: 'lexical' });
    assert.deepEqual(phrase.expandedTerms, ['FNOL']);
    assert.ok(phrase.hits.some((h) => h.chunkId === 'acronym-c0'));
    // Without the vocabulary the acronym document is not found by the phrase.
    const plain = createRetriever({ db, config: baseConfig, tracer: createTracer(createEventBus()) });
    const none = await plain.search({ query: 'first notice of loss', caller: localOperator, mode: 'lexical' });
    assert.ok(!none.hits.some((h) => h.chunkId === 'acronym-c0'));
    // Request-level vocabulary (a use case's) merges with the configuration.
    const perUseCase = await plain.search({
      query: 'intake desk',
      caller: localOperator,
      synonyms: { 'intake desk': ['adjuster'] },
    });
    assert.deepEqual(perUseCase.expandedTerms, ['adjuster']);

    const hit = acronym.hits.find((h) => h.chunkId === 'fnol-c0') as SearchHit;
    assert.equal(hit.title, 'Claims handbook');
    assert.equal(hit.uri, 'file:///fnol-doc');
    assert.equal(hit.pageStart, 3);
    assert.deepEqual(hit.sectionPath, ['Claims', 'Intake']);
    assert.deepEqual(hit.pii, [{ type: 'phone', start: 0, end: 3 }]);
    const marked = hit.highlights.map((h) => hit.text.slice(h.start, h.end).toLowerCase());
    assert.ok(marked.includes('first') && marked.includes('notice') && marked.includes('loss'), marked.join(','));
    assert.ok(!marked.includes('of'), 'stop words are not highlighted');
    assert.match(hit.snippet, /«first» «notice» of «loss»/);
    assert.ok(hit.scores.lexical && hit.scores.lexical > 0 && hit.scores.fused === hit.scores.lexical);
  });

  test('filters: source, media type, sensitivity, modified range, metadata; document level', async () => {
    const retriever = createRetriever({ db, config: baseConfig, tracer: createTracer(createEventBus()) });
    const query = vocabulary.slice(0, 6).join(' ');
    const request = { query, caller: localOperator, k: 50, mode: 'lexical' } satisfies SearchRequest;
    const all = await retriever.search(request);
    assert.equal(all.hits.length, 50);
    const bySource = await retriever.search({ ...request, filters: { sourceIds: ['wiki'] } });
    assert.ok(bySource.hits.length > 0 && bySource.hits.every((h) => h.sourceId === 'wiki'));
    const byType = await retriever.search({ ...request, filters: { mediaTypes: ['application/pdf'] } });
    assert.ok(byType.hits.length > 0 && byType.hits.every((h) => h.mediaType === 'application/pdf'));
    const bySensitivity = await retriever.search({ ...request, filters: { sensitivity: ['public', 'internal'] } });
    assert.ok(bySensitivity.hits.length > 0 && bySensitivity.hits.every((h) => ['public', 'internal'].includes(h.sensitivity)));
    const byDate = await retriever.search({
      ...request,
      filters: { modifiedAfter: new Date(Date.UTC(2024, 0, 11)), modifiedBefore: new Date(Date.UTC(2024, 0, 20)) },
    });
    const inRange = new Set(Array.from({ length: 10 }, (_, i) => `d${10 + i}`));
    assert.ok(
      byDate.hits.length > 0 && byDate.hits.every((h) => inRange.has(h.documentId)),
      byDate.hits.map((h) => h.documentId).join(),
    );
    const byMetadata = await retriever.search({ ...request, filters: { metadata: { department: 'claims' } } });
    assert.ok(byMetadata.hits.length > 0 && byMetadata.hits.every((h) => Number(h.documentId.slice(1)) % 5 === 0));

    const documents = await retriever.search({ ...request, k: 20, level: 'document' });
    const ids = documents.hits.map((h) => h.documentId);
    assert.equal(new Set(ids).size, ids.length, 'one hit per document');
    // Each document's hit is its best chunk, and documents are ordered by that score.
    const best = new Map<string, number>();
    for (const h of (await retriever.search({ ...request, k: 1000 })).hits) {
      if (!best.has(h.documentId)) best.set(h.documentId, h.scores.fused);
    }
    const expected = [...best.entries()].slice(0, 20).map(([doc]) => doc);
    assert.deepEqual(ids, expected);
  });

  test('randomized: no result from an unreadable document in any mode, and exact modes are complete', async () => {
    const engines = db.capabilities.pgTextSearch ? (['portable', 'pg_textsearch'] as const) : (['portable'] as const);
    const events = createEventBus();
    const spans: SpanRecord[] = [];
    events.subscribe('span-end', (span) => spans.push(span));
    const retriever = createRetriever({
      db,
      config: baseConfig,
      tracer: createTracer(events),
      embeddingModel: embedder(centres),
      embeddingDimensions: dims,
    });
    const callers: Caller[] = [
      ...users.map((u) => callerWithPrincipals(membership.get(u) as string[])),
      callerWithPrincipals(['group:nobody']),
      callerWithPrincipals([]),
    ];
    let checked = 0;
    for (let round = 0; round < 6; round++) {
      const query = `${randomQuery(random)} cluster ${round}`;
      for (const engine of engines) {
        const everything = await retriever.search({
          query,
          caller: localOperator,
          k: 1000,
          mode: 'lexical',
          lexicalEngine: engine,
          highlight: false,
        });
        for (const caller of callers) {
          const k = 1 + Math.floor(random() * 15);
          const result = await retriever.search({ query, caller, k, mode: 'lexical', lexicalEngine: engine, highlight: false });
          assert.equal(result.lexicalEngine, engine);
          for (const hit of result.hits)
            assert.ok(visible(caller, hit.chunkId), `lexical ${engine} leaked ${hit.chunkId} to ${caller.id}`);
          const expected = everything.hits.filter((h) => visible(caller, h.chunkId)).slice(0, k);
          assert.deepEqual(
            result.hits.map((h) => h.chunkId),
            expected.map((h) => h.chunkId),
            `lexical ${engine} complete for ${caller.id}`,
          );
          checked++;
        }
      }
      const everythingVector = await retriever.search({
        query,
        caller: localOperator,
        k: 1000,
        mode: 'vector',
        highlight: false,
      });
      for (const caller of callers) {
        const k = 1 + Math.floor(random() * 15);
        const vector = await retriever.search({ query, caller, k, mode: 'vector', highlight: false });
        for (const hit of vector.hits) assert.ok(visible(caller, hit.chunkId), `vector leaked ${hit.chunkId}`);
        const expected = everythingVector.hits.filter((h) => visible(caller, h.chunkId)).slice(0, k);
        assert.deepEqual(
          vector.hits.map((h) => h.chunkId),
          expected.map((h) => h.chunkId),
          `vector (exact) complete for ${caller.id}`,
        );
        const hybrid = await retriever.search({ query, caller, k, mode: 'hybrid', highlight: false });
        for (const hit of hybrid.hits) assert.ok(visible(caller, hit.chunkId), `hybrid leaked ${hit.chunkId}`);
        const visibleCount = [...acl.keys()].filter((id) => visible(caller, id)).length;
        assert.equal(hybrid.hits.length, Math.min(k, visibleCount), 'hybrid fills k from visible chunks');
        checked += 2;
      }
    }
    assert.ok(checked > 100);
    // Spans: retrieve with its children, ids and scores only (never chunk text).
    const names = new Set(spans.map((s) => s.name));
    for (const name of ['retrieve', 'retrieve.lexical', 'retrieve.vector', 'retrieve.fusion']) assert.ok(names.has(name), name);
    const text = JSON.stringify(spans.map((s) => s.attributes));
    assert.ok(!text.includes('first notice'), 'no chunk text in spans');
    const root = spans.find((s) => s.name === 'retrieve' && s.attributes['groundwork.mode'] === 'hybrid') as SpanRecord;
    assert.ok(Array.isArray(root.attributes['groundwork.retrieved']));
  });

  test('HNSW with iterative scan returns k visible rows under a selective ACL; clustered recall is high', async () => {
    vectorIndex = 0;
    await ensureVectorIndex(db, dims);
    const events = createEventBus();
    const strategies: unknown[] = [];
    events.subscribe('span-end', (span) => {
      if (span.name === 'retrieve.vector') strategies.push(span.attributes['groundwork.vector.strategy']);
    });
    const retriever = createRetriever({
      db,
      // Force the index path even on this small corpus.
      config: { ...baseConfig, exactVectorBelow: 1 },
      tracer: createTracer(events),
      embeddingModel: embedder(centres),
      embeddingDimensions: dims,
    });
    const exact = createRetriever({
      db,
      config: baseConfig,
      tracer: createTracer(createEventBus()),
      embeddingModel: embedder(centres),
    });
    let overlap = 0;
    let total = 0;
    for (let c = 0; c < 8; c++) {
      for (const caller of [localOperator, callerWithPrincipals(membership.get(users[c] as string) as string[])]) {
        const ann = await retriever.search({ query: `cluster ${c}`, caller, k: 10, mode: 'vector', highlight: false });
        const truth = await exact.search({ query: `cluster ${c}`, caller, k: 10, mode: 'vector', highlight: false });
        for (const hit of ann.hits) assert.ok(visible(caller, hit.chunkId), 'no leak through HNSW');
        assert.equal(ann.hits.length, truth.hits.length, 'iterative scan fills k under the ACL');
        const truthIds = new Set(truth.hits.map((h) => h.chunkId));
        overlap += ann.hits.filter((h) => truthIds.has(h.chunkId)).length;
        total += truth.hits.length;
      }
    }
    assert.ok(overlap / total >= 0.9, `recall@10 ${overlap / total}`);
    assert.ok(strategies.length > 0 && strategies.every((s) => s === 'hnsw'), strategies.join());
  });

  test('hybrid fusion (rrf and weighted) and reranking through the AI SDK rerank', async () => {
    const events = createEventBus();
    const spans: SpanRecord[] = [];
    events.subscribe('span-end', (span) => spans.push(span));
    // Reranker: prefers texts containing "hurricane", otherwise keeps the order.
    const reranker = new MockRerankingModelV4({
      doRerank: async ({ documents, topN }) => {
        const values = documents.type === 'text' ? documents.values : [];
        const ranking = values
          .map((text, index) => ({ index, relevanceScore: (text.includes('hurricane') ? 1 : 0) + 0.5 / (index + 1) }))
          .sort((a, b) => b.relevanceScore - a.relevanceScore)
          .slice(0, topN ?? values.length);
        return { ranking, warnings: [] };
      },
    });
    for (const fusion of ['rrf', 'weighted'] as const) {
      const retriever = createRetriever({
        db,
        config: { ...baseConfig, fusion },
        tracer: createTracer(events),
        embeddingModel: embedder(centres),
        rerankModel: reranker,
      });
      const plain = await retriever.search({ query: 'claim policy cluster 2', caller: localOperator, k: 10, rerank: false });
      assert.equal(plain.mode, 'hybrid', 'hybrid is the default with an embedder and embeddings');
      assert.ok(plain.hits.some((h) => h.scores.lexical !== undefined) && plain.hits.some((h) => h.scores.vector !== undefined));
      for (let i = 1; i < plain.hits.length; i++) {
        assert.ok((plain.hits[i - 1] as SearchHit).scores.fused >= (plain.hits[i] as SearchHit).scores.fused);
      }
      const reranked = await retriever.search({ query: 'claim policy hurricane cluster 2', caller: localOperator, k: 10 });
      assert.ok(reranked.hits.every((h) => h.scores.rerank !== undefined));
      const firstWithout = reranked.hits.findIndex((h) => !h.text.includes('hurricane'));
      const lastWith = reranked.hits.map((h) => h.text.includes('hurricane')).lastIndexOf(true);
      assert.ok(firstWithout === -1 || lastWith < firstWithout, 'reranked order puts the preferred texts first');
    }
    // Query embeddings and reranking are model calls the observe feature prices: they name operation and model.
    const rerankSpan = spans.find((s) => s.name === 'retrieve.rerank');
    assert.equal(rerankSpan?.attributes['gen_ai.operation.name'], 'rerank');
    assert.equal(typeof rerankSpan?.attributes['gen_ai.request.model'], 'string');
    const vectorSpan = spans.find((s) => s.name === 'retrieve.vector');
    assert.equal(vectorSpan?.attributes['gen_ai.operation.name'], 'embeddings');
    assert.equal(vectorSpan?.attributes['gen_ai.usage.input_tokens'], 7, 'the provider-reported tokens of the query');
  });

  test('usage errors are typed', async () => {
    const retriever = createRetriever({ db, config: baseConfig, tracer: createTracer(createEventBus()) });
    await assert.rejects(retriever.search({ query: 'claim', caller: localOperator, mode: 'vector' }), {
      code: 'retrieve.no_embedding_model',
    });
    await assert.rejects(retriever.search({ query: '  ', caller: localOperator }), { code: 'retrieve.empty_query' });
    await assert.rejects(retriever.search({ query: 'claim', caller: localOperator, k: 0 }), { code: 'retrieve.invalid_k' });
  });

  test('randomized after ACL changes: revoked, granted, deleted and restored documents never leak; lexical stays complete', async () => {
    const engines = db.capabilities.pgTextSearch ? (['portable', 'pg_textsearch'] as const) : (['portable'] as const);
    const retriever = createRetriever({
      db,
      config: baseConfig,
      tracer: createTracer(createEventBus()),
      embeddingModel: embedder(centres),
      embeddingDimensions: dims,
    });
    const deleted = new Set<string>();
    const documentOf = (chunkId: string) => chunkId.slice(0, chunkId.indexOf('-'));
    const readable = (caller: Caller, chunkId: string) => !deleted.has(documentOf(chunkId)) && visible(caller, chunkId);
    const callers: Caller[] = [
      ...users.slice(0, 6).map((u) => callerWithPrincipals(membership.get(u) as string[])),
      callerWithPrincipals(['group:nobody']),
    ];
    const chunkIds = [...acl.keys()].filter((id) => /^d\d+-c\d+$/.test(id));
    let checked = 0;
    for (let round = 0; round < 5; round++) {
      // Change who can read what, through every path that changes a chunk's readers.
      for (let i = 0; i < 25; i++) {
        const id = chunkIds[Math.floor(random() * chunkIds.length)] as string;
        const principals = [...users, ...groups].filter(() => random() < 0.15);
        await db.query('UPDATE chunks SET principals = $2 WHERE id = $1', [id, principals]);
        acl.set(id, principals);
      }
      const doc = `d${Math.floor(random() * 160)}`;
      const principals = [...users, ...groups].filter(() => random() < 0.15);
      await db.query('UPDATE chunks SET principals = $2 WHERE document_id = $1', [doc, principals]);
      for (const id of chunkIds.filter((c) => documentOf(c) === doc)) acl.set(id, principals);
      const gone = `d${Math.floor(random() * 160)}`;
      await db.query(`UPDATE documents SET status = 'deleted' WHERE id = $1`, [gone]);
      deleted.add(gone);
      if (round % 2 === 1) {
        const back = [...deleted][0] as string;
        await db.query(`UPDATE documents SET status = 'indexed' WHERE id = $1`, [back]);
        deleted.delete(back);
      }
      const query = `${randomQuery(random)} ${randomQuery(random)} cluster ${round}`;
      for (const engine of engines) {
        const everything = await retriever.search({
          query,
          caller: localOperator,
          k: 1000,
          mode: 'lexical',
          lexicalEngine: engine,
          highlight: false,
        });
        for (const hit of everything.hits)
          assert.ok(!deleted.has(hit.documentId), `lexical ${engine} returned deleted ${hit.chunkId}`);
        for (const caller of callers) {
          const k = 1 + Math.floor(random() * 30);
          const result = await retriever.search({ query, caller, k, mode: 'lexical', lexicalEngine: engine, highlight: false });
          for (const hit of result.hits)
            assert.ok(readable(caller, hit.chunkId), `lexical ${engine} leaked ${hit.chunkId} to ${caller.id}`);
          const expected = everything.hits.filter((h) => readable(caller, h.chunkId)).slice(0, k);
          assert.deepEqual(
            result.hits.map((h) => h.chunkId),
            expected.map((h) => h.chunkId),
            `lexical ${engine} complete for ${caller.id} after ACL changes`,
          );
          const hybrid = await retriever.search({ query, caller, k, mode: 'hybrid', highlight: false });
          for (const hit of hybrid.hits) assert.ok(readable(caller, hit.chunkId), `hybrid leaked ${hit.chunkId}`);
          checked += 2;
        }
      }
    }
    assert.ok(checked >= 70);
  });
});
