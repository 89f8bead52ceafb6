/**
 * BEIR quality benchmark: imports a BEIR dataset and reports nDCG@10, Recall@100, MRR@10, MAP@1000 and P@10
 * for each lexical engine available on the store (portable postings everywhere; pg_textsearch on PGlite).
 *
 *   node bench/beir.bench.ts [--dir /work/shared/data/cacm] [--split test] [--database-url URL] [--k1 0.9] [--b 0.4]
 *
 * Without --database-url it uses a fresh in-memory embedded store.
 */
import { parseArgs } from 'node:util';
import { configSchema, createEventBus, createTracer } from '../src/core/index.ts';
import { evaluateBeir, type LexicalEngine } from '../src/retrieve/index.ts';
import { openStore } from '../src/store/index.ts';

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: '/work/shared/data/cacm' },
    split: { type: 'string', default: 'test' },
    'database-url': { type: 'string' },
    k1: { type: 'string' },
    b: { type: 'string' },
    engines: { type: 'string' },
  },
});

const retrieval = configSchema.parse({
  retrieval: {
    ...(values.k1 ? { k1: Number(values.k1) } : {}),
    ...(values.b ? { b: Number(values.b) } : {}),
  },
}).retrieval;
const db = await openStore(
  values['database-url']
    ? { dataDir: 'unused', databaseUrl: values['database-url'] }
    : { dataDir: 'memory://', databaseUrl: undefined },
);
try {
  const engines: LexicalEngine[] = values.engines
    ? (values.engines.split(',') as LexicalEngine[])
    : db.capabilities.pgTextSearch
      ? ['portable', 'pg_textsearch']
      : ['portable'];
  const tracer = createTracer(createEventBus());
  const rows = [];
  for (const engine of engines) {
    const report = await evaluateBeir(db, retrieval, tracer, { dir: values.dir, split: values.split, lexicalEngine: engine });
    const m = report.metrics;
    rows.push({
      store: `${db.mode} (PostgreSQL ${db.capabilities.serverVersion})`,
      engine: report.lexicalEngine,
      k1: report.k1,
      b: report.b,
      analyzer: report.textConfig,
      documents: report.import.documents,
      queries: report.queries,
      'nDCG@10': m.ndcg10.toFixed(4),
      'Recall@100': m.recall100.toFixed(4),
      'MRR@10': m.mrr10.toFixed(4),
      MAP: m.map.toFixed(4),
      'P@10': m.p10.toFixed(4),
      'query p50 ms': report.searchMs.p50,
      'query p95 ms': report.searchMs.p95,
      'import ms': report.import.importMs,
    });
  }
  console.table(rows);
  console.log(JSON.stringify(rows));
} finally {
  await db.close();
}
