import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openTestDatabase, testStoreKind } from '../../test/helpers/test-platform.ts';
import { callerWithPrincipals, configSchema, createEventBus, createTracer, localOperator } from '../core/index.ts';
import type { Database } from '../store/index.ts';
import { insertChunks, insertDocument } from './fixtures/corpus.ts';
import { prng, randomQuery, sentence } from './fixtures/generate.ts';
import { createRetriever, type RetrievalConfig, reindexLexical } from './index.ts';
import { portableLexicalSearch } from './lexical.ts';

const config: RetrievalConfig = configSchema.parse({}).retrieval;
const tracer = createTracer(createEventBus());

/** Reference BM25 computed in JavaScript from the analyzer's output for the current chunks. */
async function referenceBm25(db: Database, query: string, k1: number, b: number): Promise<Map<string, number>> {
  const docs = await db.query<{ id: string; terms: Array<{ term: string; tf: number }> | null }>(
    `SELECT c.id, (SELECT json_agg(json_build_object('term', l.lexeme, 'tf', array_length(l.positions, 1)))
                   FROM unnest(to_tsvector('english', c.text)) l) AS terms FROM chunks c`,
  );
  const queryTerms = await db.query<{ term: string; qtf: number }>(
    `SELECT lexeme AS term, array_length(positions, 1) AS qtf FROM unnest(to_tsvector('english', $1))`,
    [query],
  );
  const indexed = docs.rows.filter((d) => d.terms && d.terms.length > 0);
  const n = indexed.length;
  const lengths = new Map(indexed.map((d) => [d.id, (d.terms ?? []).reduce((s, t) => s + t.tf, 0)]));
  const avgdl = [...lengths.values()].reduce((s, x) => s + x, 0) / Math.max(1, n);
  const scores = new Map<string, number>();
  for (const { term, qtf } of queryTerms.rows) {
    const postings = indexed.flatMap((d) => (d.terms ?? []).filter((t) => t.term === term).map((t) => ({ id: d.id, tf: t.tf })));
    const df = postings.length;
    if (df === 0) continue;
    const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
    for (const p of postings) {
      const len = lengths.get(p.id) as number;
      const s = (qtf * idf * p.tf * (k1 + 1)) / (p.tf + k1 * (1 - b + (b * len) / avgdl));
      scores.set(p.id, (scores.get(p.id) ?? 0) + s);
    }
  }
  return scores;
}

function topFromReference(scores: Map<string, number>, k: number): Array<{ id: string; score: number }> {
  return [...scores.entries()]
    .map(([id, score]) => ({ id, score }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
    .slice(0, k);
}

async function assertExact(db: Database, queries: readonly string[]): Promise<void> {
  const retriever = createRetriever({ db, config, tracer });
  for (const query of queries) {
    const expected = topFromReference(await referenceBm25(db, query, config.k1, config.b), 10);
    const result = await retriever.search({ query, caller: localOperator, k: 10, lexicalEngine: 'portable', highlight: false });
    assert.equal(result.hits.length, expected.length, `hit count for "${query}"`);
    result.hits.forEach((hit, i) => {
      const want = expected[i] as { id: string; score: number };
      assert.ok(Math.abs((hit.scores.lexical ?? 0) - want.score) < 1e-6, `score of rank ${i + 1} for "${query}"`);
      // Equal scores may swap places; ids must match where scores differ.
      if (
        i + 1 < expected.length &&
        Math.abs(want.score - (expected[i + 1]?.score ?? 0)) > 1e-9 &&
        i > 0 &&
        Math.abs(want.score - (expected[i - 1]?.score ?? 0)) > 1e-9
      ) {
        assert.equal(hit.chunkId, want.id, `rank ${i + 1} for "${query}"`);
      }
    });
  }
}

describe(`retrieve: lexical BM25 (${testStoreKind})`, () => {
  let db: Database;
  before(async () => {
    db = await openTestDatabase();
  });
  after(async () => {
    await db.close();
  });

  test('portable postings stay exact through inserts, replacements, updates and deletes in plain SQL', async () => {
    const random = prng(7);
    for (let d = 0; d < 40; d++) {
      await insertDocument(db, {
        id: `doc${d}`,
        chunks: Array.from({ length: 1 + (d % 3) }, (_, c) => ({
          id: `doc${d}-c${c}`,
          text: sentence(random, 20 + Math.floor(random() * 60)),
        })),
      });
    }
    const queries = Array.from({ length: 12 }, () => randomQuery(random));
    await assertExact(db, queries);

    // Ingestion's re-index of a document: delete old chunks, insert new ones, update the document — one transaction.
    await db.transaction(async (tx) => {
      await tx.query(`DELETE FROM chunks WHERE document_id = 'doc3'`);
      await insertChunks(tx, 'doc3', 'src', ['group:all'], 'internal', [
        { id: 'doc3-new0', text: 'hurricane hurricane flood claim for the roof' },
        { id: 'doc3-new1', text: sentence(random, 40) },
      ]);
      await tx.query(`UPDATE documents SET chunk_count = 2 WHERE id = 'doc3'`);
    });
    // A text update in place, an update that does not touch text, and a cascaded delete of a document.
    await db.query(`UPDATE chunks SET text = 'wildfire drought wildfire report' WHERE id = 'doc5-c0'`);
    await db.query(`UPDATE chunks SET principals = '{group:other}' WHERE id = 'doc6-c0'`);
    await db.query(`DELETE FROM documents WHERE id = 'doc7'`);
    // A rolled-back write leaves no trace.
    await db
      .transaction(async (tx) => {
        await insertChunks(tx, 'doc8', 'src', ['group:all'], 'internal', [{ id: 'ghost', text: 'hurricane ghost' }], 100);
        throw new Error('rollback');
      })
      .catch(() => {});
    await assertExact(db, [...queries, 'hurricane flood roof', 'wildfire drought', 'ghost']);

    const stats = await db.query<{ chunk_count: number; total_length: number }>(
      'SELECT chunk_count, total_length FROM retrieval_lexical_stats',
    );
    const recount = await db.query<{ n: number; total: number }>(
      `SELECT count(*)::int AS n, sum(len)::int AS total FROM (
         SELECT (SELECT sum(array_length(positions, 1)) FROM unnest(to_tsvector('english', text))) AS len FROM chunks) s WHERE len > 0`,
    );
    assert.equal(Number(stats.rows[0]?.chunk_count), recount.rows[0]?.n);
    assert.equal(Number(stats.rows[0]?.total_length), recount.rows[0]?.total);

    // A full rebuild gives the same statistics (the triggers left nothing stale).
    const lexicon = 'SELECT term, df FROM retrieval_lexicon WHERE df > 0 ORDER BY term';
    const postings = `SELECT r.chunk_id, l.term, p.acl FROM retrieval_impacts p JOIN retrieval_docs r ON r.doc = p.doc
                      JOIN retrieval_lexicon l ON l.id = p.term ORDER BY 1, 2`;
    const before = await db.query(lexicon);
    const beforePostings = await db.query(postings);
    await reindexLexical(db);
    assert.deepEqual((await db.query(lexicon)).rows, before.rows);
    assert.deepEqual((await db.query(postings)).rows.length, beforePostings.rows.length);
  });

  test('pruned (MaxScore-style) portable search equals exhaustive BM25 for every caller', async () => {
    const random = prng(23);
    const callers = [
      localOperator,
      callerWithPrincipals(['group:all']),
      callerWithPrincipals(['group:other']),
      callerWithPrincipals(['group:none']),
    ];
    let compared = 0;
    for (let i = 0; i < 25; i++) {
      // Mix rare and common terms: long queries exercise the pruning most.
      const query = `${randomQuery(random)} ${randomQuery(random)}`;
      for (const caller of callers) {
        for (const limit of [1, 5, 20]) {
          const lexicalQuery = { text: query, caller, filters: undefined, limit };
          const pruned = await portableLexicalSearch(db, config, ['english'], lexicalQuery, 'pruned');
          const exhaustive = await portableLexicalSearch(db, config, ['english'], lexicalQuery, 'exhaustive');
          assert.equal(pruned.length, exhaustive.length, `count for "${query}"`);
          pruned.forEach((hit, r) => {
            const want = exhaustive[r];
            assert.ok(want && Math.abs(hit.score - want.score) < 1e-9, `score at ${r + 1} for "${query}"`);
            assert.equal(hit.id, want?.id, `id at ${r + 1} for "${query}"`);
          });
          compared++;
        }
      }
    }
    assert.equal(compared, 300);
  });

  test('portable and pg_textsearch engines agree on a fixture corpus (same analyzer, k1, b)', async (t) => {
    if (!db.capabilities.pgTextSearch) {
      t.skip('pg_textsearch is not available on this PostgreSQL');
      return;
    }
    const other = await openTestDatabase();
    try {
      const random = prng(11);
      for (let d = 0; d < 150; d++) {
        await insertDocument(other, {
          id: `p${d}`,
          principals: [d % 2 === 0 ? 'group:even' : 'group:odd'],
          chunks: [{ id: `p${d}-c0`, text: sentence(random, 15 + Math.floor(random() * 80)) }],
        });
      }
      const retriever = createRetriever({ db: other, config, tracer });
      let compared = 0;
      let agreeing = 0;
      for (let i = 0; i < 30; i++) {
        const query = randomQuery(random);
        for (const caller of [localOperator, callerWithPrincipals(['group:even'])]) {
          const portable = await retriever.search({ query, caller, k: 10, lexicalEngine: 'portable', highlight: false });
          const native = await retriever.search({ query, caller, k: 10, lexicalEngine: 'pg_textsearch', highlight: false });
          assert.equal(native.lexicalEngine, 'pg_textsearch');
          assert.equal(portable.hits.length, native.hits.length, `hit count for "${query}"`);
          // Same formula and statistics; pg_textsearch stores document lengths lossily (1-byte norms, as
          // Lucene), so a score may differ by up to ~2%.
          const nativeScore = new Map(native.hits.map((h) => [h.chunkId, h.scores.lexical ?? 0]));
          for (const hit of portable.hits) {
            const other = nativeScore.get(hit.chunkId);
            if (other === undefined) continue;
            assert.ok(
              Math.abs((hit.scores.lexical ?? 0) - other) <= 0.02 * (hit.scores.lexical ?? 0),
              `score of ${hit.chunkId} for "${query}"`,
            );
          }
          compared++;
          const ids = (hits: typeof portable.hits, n: number) => new Set(hits.slice(0, n).map((h) => h.chunkId));
          const nativeTop = ids(native.hits, 10);
          const overlap = [...ids(portable.hits, 10)].filter((id) => nativeTop.has(id)).length;
          agreeing += overlap / Math.max(1, nativeTop.size);
          assert.equal(
            portable.hits[0]?.chunkId === native.hits[0]?.chunkId ||
              Math.abs((portable.hits[0]?.scores.lexical ?? 0) - (portable.hits[1]?.scores.lexical ?? 0)) <
                0.05 * (portable.hits[0]?.scores.lexical ?? 1),
            true,
            `top hit for "${query}"`,
          );
        }
      }
      // Mean top-10 overlap: near-ties may swap at the boundary because of the length quantisation.
      assert.ok(agreeing / compared >= 0.95, `mean top-10 overlap ${agreeing / compared}`);
    } finally {
      await other.close();
    }
  });
});
