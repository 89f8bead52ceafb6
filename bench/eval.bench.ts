/**
 * Evaluation throughput (`npm run bench:eval`; not a test).
 *
 * Generates a corpus (documents of two ~60-word chunks from a Zipf-skewed synthetic vocabulary, each
 * readable by one of 10 groups) and judged cases (a query of 4–6 words drawn from one document, asked as
 * that document's group, relevant = that document), on the embedded store (in memory), and measures in one
 * run:
 *
 *  1. baseline: the bare retriever (document level, same depth) over the cases' questions — the floor;
 *  2. a retrieval-only evaluation of the same cases (metrics, storage of per-case results, the span);
 *  3. an extractive-answer evaluation (the answer feature without a model) of the same cases;
 *  4. a comparison of runs 2 and 3's retrieval metrics (paired bootstrap, 2,000 resamples).
 *
 * Usage: node bench/eval.bench.ts [--docs 2000] [--cases 500] [--depth 10]
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { createAnswerer } from '../src/answer/index.ts';
import { callerWithPrincipals, loadConfig, localOperator, silentLogger } from '../src/core/index.ts';
import { createPlatform } from '../src/create-platform.ts';
import { type CaseInput, compareRuns, importDataset, runEvaluation } from '../src/evaluate/index.ts';
import { createModelResolver } from '../src/models/index.ts';

const { values: args } = parseArgs({
  options: {
    docs: { type: 'string', default: '2000' },
    cases: { type: 'string', default: '500' },
    depth: { type: 'string', default: '10' },
  },
});
const documentCount = Number(args.docs);
const caseCount = Number(args.cases);
const depth = Number(args.depth);
const loadAtStart = os
  .loadavg()
  .map((l) => l.toFixed(1))
  .join(' ');

function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const next = random(7);
const syllables = ['ka', 'lo', 'mi', 'ren', 'tas', 'vor', 'qui', 'bel', 'dun', 'sha', 'tri', 'po', 'gan', 'fel', 'zu', 'mar'];
const vocabulary = Array.from({ length: 4000 }, (_, i) => {
  let n = i + 17;
  let word = '';
  do {
    word += syllables[n % syllables.length];
    n = Math.floor(n / syllables.length);
  } while (n > 0);
  return word;
});
// Zipf-like: low ranks are frequent.
const word = () => vocabulary[Math.floor(vocabulary.length * next() ** 2.2)] as string;
const sentence = (n: number) => `${Array.from({ length: n }, word).join(' ')}.`;
const groups = Array.from({ length: 10 }, (_, i) => `group:g${i}`);

const loaded = loadConfig({ env: {}, flags: { dataDir: 'memory://' }, cwd: '/nonexistent' });
const platform = await createPlatform(loaded, { logger: silentLogger });
const db = platform.db;
const t0 = performance.now();
await db.query(`INSERT INTO sources (id, name, type) VALUES ('bench', 'bench', 'filesystem')`);
const docs = Array.from({ length: documentCount }, (_, d) => ({
  id: `doc${d}`,
  group: groups[d % groups.length] as string,
  chunks: [0, 1].map(() => Array.from({ length: 5 }, () => sentence(12)).join(' ')),
}));
for (let start = 0; start < docs.length; start += 250) {
  const batch = docs.slice(start, start + 250);
  await db.query(
    `INSERT INTO documents (id, source_id, source_ref, uri, title, principals, status, chunk_count, content_hash)
     SELECT d.id, 'bench', d.id || '.txt', 'file:///' || d.id, d.id, ARRAY[d.grp], 'indexed', 2, md5(d.id)
       FROM jsonb_to_recordset($1::jsonb) AS d(id text, grp text)`,
    [JSON.stringify(batch.map((d) => ({ id: d.id, grp: d.group })))],
  );
  await db.query(
    `INSERT INTO chunks (id, document_id, source_id, ordinal, text, token_count, content_hash, principals)
     SELECT c.id, c.doc, 'bench', c.ordinal, c.text, 60, md5(c.text), ARRAY[c.grp]
       FROM jsonb_to_recordset($1::jsonb) AS c(id text, doc text, ordinal integer, text text, grp text)`,
    [
      JSON.stringify(
        batch.flatMap((d) =>
          d.chunks.map((text, ordinal) => ({ id: `${d.id}-c${ordinal}`, doc: d.id, ordinal, text, grp: d.group })),
        ),
      ),
    ],
  );
}
const corpusMs = performance.now() - t0;

const cases: CaseInput[] = Array.from({ length: caseCount }, (_, i) => {
  const doc = docs[Math.floor(next() * docs.length)] as (typeof docs)[number];
  const words = doc.chunks.join(' ').replace(/\./g, '').split(' ');
  const length = 4 + Math.floor(next() * 3);
  const question = Array.from({ length }, () => words[Math.floor(next() * words.length)]).join(' ');
  return { externalId: `q${i}`, question, relevantDocuments: [doc.id], principals: [doc.group], line: i + 1 };
});
await importDataset(db, cases, { name: 'bench', origin: 'jsonl', caller: localOperator });

// Warm-up: builds the lexical index and JIT paths, excluded from every measurement.
for (const c of cases.slice(0, 20)) {
  await platform.retriever.search({
    query: c.question,
    caller: callerWithPrincipals(c.principals ?? []),
    k: depth,
    level: 'document',
    highlight: false,
  });
}

const cpuMs: Record<string, number> = {};
let cpuMark = process.cpuUsage();
const lap = (name: string) => {
  const used = process.cpuUsage(cpuMark);
  cpuMs[name] = (used.user + used.system) / 1000;
  cpuMark = process.cpuUsage();
};
const t1 = performance.now();
for (const c of cases) {
  await platform.retriever.search({
    query: c.question,
    caller: callerWithPrincipals(c.principals ?? []),
    k: depth,
    level: 'document',
    highlight: false,
  });
}
const baselineMs = performance.now() - t1;
lap('baseline');

const deps = { db, tracer: platform.tracer, events: platform.events, clock: platform.clock, search: platform.retriever.search };
const t2 = performance.now();
const retrievalRun = await runEvaluation(deps, { dataset: 'bench', mode: 'retrieval', caller: localOperator, depth });
const retrievalMs = performance.now() - t2;
lap('retrieval');

const answerer = createAnswerer({
  db,
  retriever: platform.retriever,
  models: createModelResolver({ config: platform.config.models, secrets: platform.secrets }),
  tracer: platform.tracer,
  events: platform.events,
});
cpuMark = process.cpuUsage();
const t3 = performance.now();
const answerRun = await runEvaluation(
  {
    ...deps,
    ask: async (request) => {
      const answer = await answerer.ask(request);
      return { answer: answer.answer, citations: answer.citations, refused: answer.refused, traceId: answer.traceId };
    },
  },
  { dataset: 'bench', mode: 'answer', caller: localOperator, depth },
);
const answerMs = performance.now() - t3;
lap('answer');

const t4 = performance.now();
const comparison = await compareRuns(db, retrievalRun.runId, answerRun.runId, {
  viewer: localOperator,
  resamples: 2000,
  seed: 1,
});
const compareMs = performance.now() - t4;

const rate = (n: number, ms: number) => `${((n / ms) * 1000).toFixed(1)} cases/s`;
const cpu = (name: string) => `${Math.round(cpuMs[name] ?? 0)} ms CPU`;
const m = (name: string, run: typeof retrievalRun) => run.metrics[name]?.mean.toFixed(4) ?? '—';
console.log(
  `load average at start ${loadAtStart}; at end ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} (2 shared cores)`,
);
console.log(
  `corpus: ${documentCount} documents, ${documentCount * 2} chunks, ${caseCount} cases (generated in ${Math.round(corpusMs)} ms)`,
);
console.log(
  `store: ${db.mode} (PostgreSQL ${db.capabilities.serverVersion}), lexical ${db.capabilities.pgTextSearch ? 'pg_textsearch' : 'portable'}`,
);
console.log(
  `1. baseline (bare retriever, document level, depth ${depth}): ${Math.round(baselineMs)} ms, ${rate(caseCount, baselineMs)}, ${cpu('baseline')}`,
);
console.log(
  `2. retrieval evaluation: ${Math.round(retrievalMs)} ms, ${rate(caseCount, retrievalMs)}, ${cpu('retrieval')} (wall overhead ${(((retrievalMs - baselineMs) / baselineMs) * 100).toFixed(0)}%); ndcg@10 ${m('ndcg@10', retrievalRun)}, recall@10 ${m('recall@10', retrievalRun)}, mrr@10 ${m('mrr@10', retrievalRun)}`,
);
console.log(
  `3. extractive-answer evaluation: ${Math.round(answerMs)} ms, ${rate(caseCount, answerMs)}, ${cpu('answer')}; refusal_accuracy ${m('refusal_accuracy', answerRun)}, citation_recall ${m('citation_recall', answerRun)}, groundedness ${m('groundedness', answerRun)}`,
);
console.log(
  `4. compare (paired bootstrap, 2000 resamples, ${comparison.metrics.length} metrics, ${comparison.pairedCases} cases): ${Math.round(compareMs)} ms`,
);
await platform.close();
