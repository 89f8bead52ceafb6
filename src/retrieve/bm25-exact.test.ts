/**
 * Property test of the portable BM25 engine (migration 0080): on random corpora with random ACLs, two
 * analyzers, random filters, deleted documents, ACL and text changes after indexing and statistics drift
 * (long chunks added after short ones, then removed), `retrieval_bm25_topk` — MaxScore and exhaustive —
 * returns exactly the top-k of a BM25 computed from scratch in JavaScript from the chunks' own tsvectors,
 * and never a chunk the caller may not read.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openTestDatabase, testStoreKind } from '../../test/helpers/test-platform.ts';
import { type Caller, callerWithPrincipals, configSchema, localOperator } from '../core/index.ts';
import { type Database, loadMigrations, migrate } from '../store/index.ts';
import { insertDocument, insertSource } from './fixtures/corpus.ts';
import { prng, vocabulary } from './fixtures/generate.ts';
import { portableLexicalSearch } from './lexical.ts';
import type { RetrievalConfig, SearchFilters } from './types.ts';

const config: RetrievalConfig = configSchema.parse({}).retrieval;
const groups = ['group:a', 'group:b', 'group:c', 'group:d', 'group:e'];
const words = vocabulary.slice(0, 70);

interface ChunkFacts {
  id: string;
  documentId: string;
  sourceId: string;
  principals: string[];
  sensitivity: string;
  mediaType: string;
  deleted: boolean;
  region: string;
  terms: Map<string, number>;
}

/** Everything the reference needs, read from the base tables only (never from the index tables). */
async function loadFacts(db: Database): Promise<{ chunks: ChunkFacts[]; analyzers: string[] }> {
  const rows = await db.query<{
    id: string;
    document_id: string;
    source_id: string;
    principals: string[];
    sensitivity: string;
    media_type: string;
    status: string;
    region: string | null;
    terms: Array<{ term: string; tf: number }> | null;
  }>(
    `SELECT c.id, c.document_id, c.source_id, c.principals, c.sensitivity, d.media_type, d.status, d.metadata->>'region' AS region,
       (SELECT json_agg(json_build_object('term', l.lexeme, 'tf', coalesce(array_length(l.positions, 1), 1)))
        FROM unnest(to_tsvector(s.text_config::regconfig, c.text)) l) AS terms
     FROM chunks c JOIN documents d ON d.id = c.document_id JOIN sources s ON s.id = c.source_id`,
  );
  const analyzers = await db.query<{ cfg: string }>(
    `SELECT DISTINCT text_config AS cfg FROM sources UNION SELECT 'english' ORDER BY 1`,
  );
  return {
    analyzers: analyzers.rows.map((r) => r.cfg),
    chunks: rows.rows.map((r) => ({
      id: r.id,
      documentId: r.document_id,
      sourceId: r.source_id,
      principals: r.principals,
      sensitivity: r.sensitivity,
      mediaType: r.media_type,
      deleted: r.status === 'deleted',
      region: r.region ?? '',
      terms: new Map((r.terms ?? []).map((t) => [t.term, t.tf])),
    })),
  };
}

async function queryTerms(db: Database, analyzers: string[], query: string): Promise<Map<string, number>> {
  const result = await db.query<{ term: string; qtf: number }>(
    `SELECT l.lexeme AS term, max(coalesce(array_length(l.positions, 1), 1))::int AS qtf
     FROM unnest($1::text[]) cfg CROSS JOIN LATERAL unnest(to_tsvector(cfg::regconfig, $2)) l GROUP BY l.lexeme`,
    [analyzers, query],
  );
  return new Map(result.rows.map((r) => [r.term, r.qtf]));
}

function visible(chunk: ChunkFacts, caller: Caller, filters: SearchFilters | undefined): boolean {
  if (chunk.deleted) return false;
  if (!caller.seesEverything && !chunk.principals.some((p) => caller.principals.includes(p))) return false;
  if (filters?.sourceIds && !filters.sourceIds.includes(chunk.sourceId)) return false;
  if (filters?.sensitivity && !filters.sensitivity.includes(chunk.sensitivity as never)) return false;
  if (filters?.mediaTypes && !filters.mediaTypes.includes(chunk.mediaType)) return false;
  if (filters?.metadata && chunk.region !== filters.metadata.region) return false;
  return true;
}

/** Exhaustive BM25 over all indexed chunks (N, df, avgdl over every chunk with a lexeme), then visibility. */
function reference(
  facts: ChunkFacts[],
  qterms: Map<string, number>,
  caller: Caller,
  filters: SearchFilters | undefined,
  k: number,
): Array<{ id: string; score: number }> {
  const indexed = facts.filter((c) => c.terms.size > 0);
  const n = indexed.length;
  const length = (c: ChunkFacts) => [...c.terms.values()].reduce((s, x) => s + x, 0);
  const avgdl = indexed.reduce((s, c) => s + length(c), 0) / Math.max(1, n);
  const scores: Array<{ id: string; score: number }> = [];
  const df = new Map<string, number>();
  for (const term of qterms.keys()) df.set(term, indexed.filter((c) => c.terms.has(term)).length);
  for (const c of indexed) {
    if (!visible(c, caller, filters)) continue;
    let score = 0;
    let matched = false;
    for (const [term, qtf] of qterms) {
      const tf = c.terms.get(term);
      const d = df.get(term) ?? 0;
      if (!tf || d === 0) continue;
      matched = true;
      const idf = Math.log(1 + (n - d + 0.5) / (d + 0.5));
      score += (qtf * idf * tf * (config.k1 + 1)) / (tf + config.k1 * (1 - config.b + (config.b * length(c)) / avgdl));
    }
    if (matched) scores.push({ id: c.id, score });
  }
  return scores.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1)).slice(0, k);
}

function assertSameTopK(
  got: ReadonlyArray<{ id: string; score: number }>,
  want: ReadonlyArray<{ id: string; score: number }>,
  all: Map<string, ChunkFacts>,
  caller: Caller,
  filters: SearchFilters | undefined,
  label: string,
): void {
  for (const hit of got) {
    const chunk = all.get(hit.id);
    assert.ok(chunk && visible(chunk, caller, filters), `${label}: returned ${hit.id}, which the caller may not see`);
  }
  assert.equal(got.length, want.length, `${label}: hit count`);
  const tolerance = (x: number) => 1e-9 + 1e-9 * Math.abs(x);
  got.forEach((hit, i) => {
    const w = want[i] as { id: string; score: number };
    assert.ok(Math.abs(hit.score - w.score) <= tolerance(w.score), `${label}: score at rank ${i + 1} ${hit.score} vs ${w.score}`);
  });
  // Ids: equal wherever the score is not tied with a neighbour (ties may order either way within tolerance).
  const kth = want[want.length - 1]?.score ?? 0;
  const gotIds = new Set(got.map((h) => h.id));
  for (const w of want) {
    if (w.score > kth + tolerance(kth)) assert.ok(gotIds.has(w.id), `${label}: missing ${w.id} (${w.score})`);
  }
}

describe(`retrieve: portable BM25 is exactly exhaustive BM25 (${testStoreKind})`, () => {
  let db: Database;
  before(async () => {
    db = await openTestDatabase();
  });
  after(async () => {
    await db.close();
  });

  test('random corpora, ACLs, filters, deletions, ACL changes and statistics drift: MaxScore = exhaustive = reference', async () => {
    const random = prng(2024);
    const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)] as T;
    const zipf = () => words[Math.min(words.length - 1, Math.floor(words.length * random() ** 2.5))] as string;
    const text = (length: number) => Array.from({ length }, zipf).join(' ');
    const acl = () => (random() < 0.08 ? [] : groups.filter(() => random() < 0.3).concat(random() < 0.5 ? [pick(groups)] : []));
    await insertSource(db, 'src');
    await insertSource(db, 'plain', 'simple');
    let docCount = 0;
    const addDocs = async (count: number, minWords: number, spread: number, prefix: string) => {
      for (let i = 0; i < count; i++, docCount++) {
        const principals = [...new Set(acl())];
        await insertDocument(db, {
          id: `${prefix}${docCount}`,
          sourceId: random() < 0.2 ? 'plain' : 'src',
          mediaType: random() < 0.5 ? 'text/plain' : 'application/pdf',
          sensitivity: pick(['public', 'internal', 'confidential']),
          metadata: { region: pick(['north', 'south']) },
          principals,
          chunks: Array.from({ length: 1 + Math.floor(random() * 3) }, (_, c) => ({
            id: `${prefix}${docCount}-c${c}`,
            // A chunk may carry its own ACL (page-level permissions); some chunks have no lexeme at all.
            ...(random() < 0.15 ? { principals: [...new Set(acl())] } : {}),
            text: random() < 0.02 ? 'the of and' : text(minWords + Math.floor(random() * spread)),
          })),
        });
      }
    };
    const callers = (): Caller[] => [
      localOperator,
      callerWithPrincipals([pick(groups)]),
      callerWithPrincipals([pick(groups), pick(groups)]),
      callerWithPrincipals(['group:nobody']),
    ];
    const randomFilters = (): SearchFilters | undefined => {
      const r = random();
      if (r < 0.7) return undefined;
      if (r < 0.78) return { sourceIds: ['src'] };
      if (r < 0.86) return { sensitivity: ['public', 'internal'] };
      if (r < 0.93) return { mediaTypes: ['application/pdf'] };
      return { metadata: { region: 'north' } };
    };
    let compared = 0;
    const check = async (phase: string, queries: number) => {
      const facts = await loadFacts(db);
      const all = new Map(facts.chunks.map((c) => [c.id, c]));
      for (let q = 0; q < queries; q++) {
        const query =
          Array.from({ length: 1 + Math.floor(random() * 5) }, zipf).join(' ') + (random() < 0.2 ? ' unknownword' : '');
        const qterms = await queryTerms(db, facts.analyzers, query);
        for (const caller of callers()) {
          const filters = randomFilters();
          const k = pick([1, 3, 10, 25]);
          const want = reference(facts.chunks, qterms, caller, filters, k);
          // MaxScore with the default seed, with a one-posting seed (the bounds must find the rest), exhaustive.
          for (const [strategy, seed] of [
            ['auto', undefined],
            ['pruned', 1],
            ['exhaustive', undefined],
          ] as const) {
            const lexicalQuery = { text: query, caller, filters, limit: k };
            const got = await portableLexicalSearch(db, config, facts.analyzers, lexicalQuery, strategy, seed ? { seed } : {});
            const label = `${phase} ${strategy}${seed ? ` seed ${seed}` : ''} "${query}" k=${k} ${caller.id} ${JSON.stringify(filters)}`;
            assertSameTopK(got, want, all, caller, filters, label);
            compared++;
          }
        }
      }
    };

    await addDocs(140, 8, 30, 'd');
    await check('indexed', 12);

    // Statistics drift without re-quantizing: long chunks raise avgdl far above the impacts' avgdl.
    await addDocs(30, 120, 80, 'long');
    await check('after long chunks', 10);

    // Who can read what changes after indexing: chunk ACL updates, documents deleted (status) and restored,
    // documents removed, text rewritten in place, an analyzer change of a source.
    const ids = (await db.query<{ id: string }>('SELECT id FROM chunks ORDER BY id')).rows.map((r) => r.id);
    for (let i = 0; i < 40; i++) {
      await db.query('UPDATE chunks SET principals = $2 WHERE id = $1', [pick(ids), [...new Set(acl())]]);
    }
    await db.query(`UPDATE chunks SET principals = '{group:e}' WHERE document_id IN ('d3', 'd4', 'd5')`);
    await db.query(`UPDATE documents SET status = 'deleted' WHERE id IN ('d10', 'd11', 'd12', 'long150', 'long151')`);
    await db.query(`UPDATE documents SET status = 'deleted' WHERE id = 'd20'`);
    await db.query(`UPDATE documents SET status = 'indexed' WHERE id = 'd20'`);
    await db.query(`DELETE FROM documents WHERE id IN ('d30', 'd31', 'long155')`);
    await db.query(`UPDATE chunks SET text = $2, principals = '{group:a}' WHERE id = $1`, [pick(ids), text(15)]);
    await db.query(`UPDATE chunks SET text = $2 WHERE id = $1`, [pick(ids), text(40)]);
    await check('after ACL and text changes', 12);

    // Remove the long chunks again (avgdl falls below the impacts' average) and change an analyzer.
    await db.query(`DELETE FROM documents WHERE id LIKE 'long%'`);
    await db.query(`UPDATE sources SET text_config = 'english' WHERE id = 'plain'`);
    await check('after removals and an analyzer change', 10);

    // Rebuild (re-quantizes with the current statistics): same results.
    await db.query('SELECT retrieval_rebuild()');
    await check('after rebuild', 6);
    assert.ok(compared >= 400, `compared ${compared}`);

    // The forward rows and postings agree with the chunks' own ACLs after all of the above.
    const stale = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM retrieval_impacts p JOIN retrieval_docs r ON r.doc = p.doc
       JOIN chunks c ON c.id = r.chunk_id JOIN documents d ON d.id = c.document_id
       JOIN retrieval_acls a ON a.id = abs(p.acl)
       WHERE a.principals <> c.principals OR (p.acl < 0) <> (d.status = 'deleted') OR p.acl <> r.acl`,
    );
    assert.equal(stale.rows[0]?.n, 0, 'no posting carries a stale ACL');
  });

  test('an existing store migrates: the 0080 backfill indexes chunks, ACLs and deleted documents exactly', async () => {
    const old = await openTestDatabase({ migrate: false });
    try {
      await migrate(
        old.transaction,
        loadMigrations().filter((m) => m.version < 80),
      );
      const random = prng(99);
      const zipf = () => words[Math.min(words.length - 1, Math.floor(words.length * random() ** 2.5))] as string;
      for (let d = 0; d < 60; d++) {
        await insertDocument(old, {
          id: `m${d}`,
          principals: groups.filter(() => random() < 0.4),
          chunks: Array.from({ length: 1 + (d % 2) }, (_, c) => ({
            id: `m${d}-c${c}`,
            text: Array.from({ length: 10 + Math.floor(random() * 40) }, zipf).join(' '),
          })),
        });
      }
      // Written before 0080 existed: an ACL change, a deleted document, a removed one.
      await old.query(`UPDATE chunks SET principals = '{group:e}' WHERE document_id = 'm1'`);
      await old.query(`UPDATE documents SET status = 'deleted' WHERE id = 'm2'`);
      await old.query(`DELETE FROM documents WHERE id = 'm3'`);
      const applied = await migrate(old.transaction);
      assert.deepEqual(
        applied.map((m) => m.version).filter((v) => v === 80),
        [80],
      );
      const facts = await loadFacts(old);
      const all = new Map(facts.chunks.map((c) => [c.id, c]));
      let compared = 0;
      for (let q = 0; q < 15; q++) {
        const query = Array.from({ length: 1 + Math.floor(random() * 4) }, zipf).join(' ');
        const qterms = await queryTerms(old, facts.analyzers, query);
        for (const caller of [localOperator, callerWithPrincipals(['group:e']), callerWithPrincipals(['group:a', 'group:b'])]) {
          for (const strategy of ['auto', 'exhaustive'] as const) {
            const want = reference(facts.chunks, qterms, caller, undefined, 10);
            const got = await portableLexicalSearch(
              old,
              config,
              facts.analyzers,
              { text: query, caller, filters: undefined, limit: 10 },
              strategy,
            );
            assertSameTopK(got, want, all, caller, undefined, `migrated ${strategy} "${query}" ${caller.id}`);
            compared++;
          }
        }
      }
      assert.equal(compared, 90);
      // The deleted document is indexed but invisible to everyone, and m1's chunks carry their new ACL.
      const labels = await old.query<{ chunk_id: string; acl: number; principals: string[] }>(
        `SELECT r.chunk_id, r.acl, a.principals FROM retrieval_docs r JOIN retrieval_acls a ON a.id = abs(r.acl)
         WHERE r.chunk_id LIKE 'm1-%' OR r.chunk_id LIKE 'm2-%' ORDER BY 1`,
      );
      for (const row of labels.rows) {
        if (row.chunk_id.startsWith('m2-')) assert.ok(row.acl < 0, 'deleted document: negative class');
        else assert.deepEqual(row.principals, ['group:e']);
      }
    } finally {
      await old.close();
    }
  });
});
