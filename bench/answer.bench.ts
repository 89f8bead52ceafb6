/**
 * Answers benchmark: the time Groundwork adds on top of the model call — retrieval, egress policy, context
 * assembly, citation cleaning, groundedness and confidence — on the embedded store, with a generated
 * insurer-like corpus and the loopback OpenAI-compatible model server (real HTTP, streamed).
 *
 *   npm run bench:answer -- [--chunks 100000] [--queries 200] [--json]
 *
 * Overhead per question = `answer` span − `generate` span (the model call, measured around the streamed
 * HTTP request). Extractive answers (no model) are measured end to end. Everything runs in one process on a
 * fresh temporary data directory, so numbers include PGlite's single-connection limits.
 *
 * Quality first (`--quality-only` skips the latency part): the example corpus (examples/corpus) ingested
 * through the real pipeline (parsers, chunker with heading lines), labelled questions asked extractively as
 * the local operator, and the answers checked for what a reader notices: a heading quoted as an answer
 * sentence, a heading glued to the sentence after it, citation numbers that are not 1..n in order of first
 * use, the first citation from the expected document, refusals. Headings are taken from the sources
 * themselves (HTML h1–h6, Markdown # lines, document titles, section paths, all-caps lines), not from the
 * answerer's own heading detection.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  assembleContext,
  buildSystemPrompt,
  buildUserPrompt,
  checkGroundedness,
  cleanCitations,
  createAnswerer,
  extractiveAnswer,
  profileQuestion,
  resolveCitations,
  retrievalEvidence,
} from '../src/answer/index.ts';
import {
  callerWithPrincipals,
  configSchema,
  createEventBus,
  createTracer,
  loadConfig,
  localOperator,
  type SpanRecord,
  silentLogger,
} from '../src/core/index.ts';
import { createPlatform } from '../src/create-platform.ts';
import { addSource } from '../src/ingest/index.ts';
import { createModelResolver } from '../src/models/index.ts';
import { createRedactionSession, decideEgress, redactText } from '../src/protect/index.ts';
import { createRetriever, prepareRetrieval } from '../src/retrieve/index.ts';
import { openStore } from '../src/store/index.ts';
import { startOpenAICompatibleServer } from '../test/helpers/openai-compatible-server.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const totalChunks = arg('chunks', 100_000);
const queryCount = arg('queries', 200);
const json = process.argv.includes('--json');
const qualityOnly = process.argv.includes('--quality-only');
const log = (message: string) => {
  if (!json) console.error(message);
};

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const perils = [
  'water damage',
  'wind',
  'hail',
  'theft',
  'fire',
  'lightning',
  'smoke',
  'vandalism',
  'frozen pipes',
  'falling objects',
  'collapse',
  'glass breakage',
];
const lines = ['HO', 'DP', 'CP', 'BOP', 'CA', 'IM', 'GL', 'WC'];
const filler =
  'the insured must notify us promptly and keep records of all repairs receipts and photographs while coverage applies only to the described location unless an endorsement extends it to other premises owned or rented by the insured during the policy period and all conditions remain in force after any change of ownership or occupancy reported to the underwriter within the time stated in the declarations'.split(
    ' ',
  );

function sentence(random: () => number, words: number): string {
  const start = Math.floor(random() * (filler.length - words));
  const text = filler.slice(start, start + words).join(' ');
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

const groups = Array.from({ length: 20 }, (_, i) => `group:g${i}`);
const formOf = (doc: number) => `${lines[doc % lines.length]}-${Math.floor(doc / lines.length) + 1}`;

/** Questions over examples/corpus and the file that answers each (the first citation should come from it). */
const qualityQuestions: ReadonlyArray<readonly [string, string]> = [
  ['What is the deductible for water damage under policy form HO-3?', 'ho3-policy-form.pdf'],
  ['What are the steps for first notice of loss?', 'claims-procedures.html'],
  ['What is the maximum roof age for a new homeowners policy?', 'homeowners-underwriting-guidelines.md'],
  ['What did the field damage report find?', 'scanned-field-report.pdf'],
  ['What does the water damage deductible endorsement change?', 'ho3-water-damage-endorsement.html'],
  ['When is the water damage deductible endorsement required?', 'ho3-water-damage-endorsement.html'],
  ['When must a field adjuster contact the insured?', 'claims-procedures.html'],
  ['When is an initial reserve set?', 'claims-procedures.html'],
  ['When should a claim be referred to the SIU?', 'claims-procedures.html'],
  ['Which occupancies always require referral for commercial property?', 'commercial-property-referrals.md'],
  ['Which buildings must be fully sprinklered?', 'commercial-property-referrals.md'],
  ['What is the minimum Coverage A limit for homeowners?', 'homeowners-underwriting-guidelines.md'],
  ['What does ACV mean?', 'claims-and-underwriting-glossary.md'],
  ['What is the legacy loss cause code for appliance water damage?', 'legacy-loss-cause-codes.txt'],
  ['What is the personal liability limit under HO-3?', 'ho3-policy-form.pdf'],
  ['Is flood covered under HO-3?', 'ho3-policy-form.pdf'],
  ['What is the wind and hail deductible?', 'ho3-policy-form.pdf'],
  ['What deductible was applied on claim CL-2026-0142?', 'CL-2026-0142'],
  ['When do dwellings built before 1940 need an inspection?', 'homeowners-underwriting-guidelines.md'],
  ['Which protection classes are acceptable for masonry construction?', 'homeowners-underwriting-guidelines.md'],
  ['What is the base rate for frame construction in Springfield?', 'homeowners-rates-2026.xlsx'],
  ['What is the fraud referral rule for claims reported long after the loss?', 'claims-procedures.html'],
];

const normalise = (text: string) =>
  text
    .replace(/\s+/g, ' ')
    .replace(/[.:;,!?\s]+$/, '')
    .trim()
    .toLowerCase();

/** Headings as the sources state them: HTML h1–h6 and Markdown # lines of the corpus files. */
function sourceHeadings(root: string): Set<string> {
  const out = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.html?$/.test(entry.name))
        for (const m of readFileSync(path, 'utf8').matchAll(/<h[1-6][^>]*>([\s\S]*?)<\/h[1-6]>/gi))
          out.add(normalise((m[1] ?? '').replace(/<[^>]+>/g, '')));
      else if (entry.name.endsWith('.md'))
        for (const m of readFileSync(path, 'utf8').matchAll(/^#{1,6}\s+(.+)$/gm)) out.add(normalise(m[1] ?? ''));
    }
  };
  walk(root);
  return out;
}

async function answerQuality() {
  const corpus = join(dirname(fileURLToPath(import.meta.url)), '..', 'examples', 'corpus');
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-quality-'));
  const platform = await createPlatform(loadConfig({ env: {}, cwd: dir, flags: { dataDir: dir } }), { logger: silentLogger });
  try {
    await addSource(platform.db, { name: 'examples', type: 'filesystem', path: corpus });
    await platform.ingestion.sync({ source: 'examples', trigger: 'cli' });
    const headings = sourceHeadings(corpus);
    const { rows } = await platform.db.query<{ title: string; section_path: string[]; text: string }>(
      'SELECT d.title, c.section_path, c.text FROM chunks c JOIN documents d ON d.id = c.document_id',
    );
    for (const row of rows) {
      headings.add(normalise(row.title));
      for (const h of row.section_path) headings.add(normalise(h));
      for (const line of row.text.split('\n'))
        if (/\p{Lu}{2}/u.test(line) && !/\p{Ll}/u.test(line) && !/[.!?]$/.test(line.trim())) headings.add(normalise(line));
    }
    headings.delete('');
    const results = [];
    for (const [question, expected] of qualityQuestions) {
      const answer = await platform.answerer.ask({ question, caller: localOperator });
      const sentences = answer.refused
        ? []
        : answer.answer
            .split(/(?<=\]\s*[.!?:;]?)\s+|\n+/)
            .map((s) => s.replace(/^\s*[-*•]\s+/, '').trim())
            .filter(Boolean);
      const bodies = sentences.map((s) => normalise(s.replace(/\s*\[[\d,\s]+\]/g, '')));
      const headingSentences = bodies.filter((b) => headings.has(b)).length;
      // "Changes to the deductible When this endorsement…": a heading, then a new capitalised sentence.
      const glued = sentences.filter((sentence, i) => {
        const body = bodies[i] ?? '';
        return [...headings].some(
          (h) =>
            body.startsWith(`${h} `) &&
            /^\p{Lu}/u.test(
              sentence
                .replace(/^\s*[-*•]\s+/, '')
                .slice(h.length)
                .trim(),
            ),
        );
      }).length;
      const used: number[] = [];
      for (const m of answer.answer.matchAll(/\[(\d+(?:\s*,\s*\d+)*)\]/g))
        for (const n of (m[1] ?? '').split(',').map((x) => Number(x.trim()))) if (!used.includes(n)) used.push(n);
      const ordered = used.every((n, i) => n === i + 1);
      const first = answer.citations.find((c) => c.n === used[0]);
      results.push({
        question,
        refused: answer.refused,
        confidence: answer.confidence,
        headingSentences,
        glued,
        citationsInOrder: answer.refused || ordered,
        firstCitationExpected: !answer.refused && Boolean(first?.uri.includes(expected)),
        listMarker: sentences.length > 0 && /^\s*[-*•]\s/.test(answer.answer) && !answer.answer.includes('\n'),
        answer: answer.answer.slice(0, 160),
      });
    }
    const answered = results.filter((r) => !r.refused);
    return {
      questions: results.length,
      answered: answered.length,
      firstCitationFromExpectedDocument: results.filter((r) => r.firstCitationExpected).length,
      answersQuotingAHeading: results.filter((r) => r.headingSentences > 0).length,
      answersGluingAHeading: results.filter((r) => r.glued > 0).length,
      answersWithCitationGapsOrOrder: results.filter((r) => !r.citationsInOrder).length,
      conciseAnswersStartingWithAListMarker: results.filter((r) => r.listMarker).length,
      meanConfidenceAnswered:
        Math.round((answered.reduce((a, r) => a + r.confidence, 0) / Math.max(1, answered.length)) * 1000) / 1000,
      perQuestion: results,
    };
  } finally {
    await platform.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const quality = await answerQuality();
  log(JSON.stringify({ ...quality, perQuestion: undefined }, null, 2));
  if (qualityOnly) {
    console.log(JSON.stringify({ quality }, null, 2));
    return;
  }

  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-answer-'));
  const server = await startOpenAICompatibleServer({
    maxRecorded: 10,
    chat: (body) => {
      const user = String(body.messages.at(-1)?.content ?? '');
      const amount = /is (\$[\d,]+) per occurrence/.exec(user)?.[1] ?? '$1,000';
      return {
        text: `The deductible is ${amount} per occurrence [1]. Other conditions of the form apply [2]. See also the declarations [3].`,
        promptTokens: Math.ceil(user.length / 4),
        completionTokens: 30,
      };
    },
  });
  const config = configSchema.parse({
    dataDir: dir,
    models: {
      providers: { loopback: { type: 'openai-compatible', baseUrl: server.baseUrl, trusted: true } },
      chat: 'loopback:bench-model',
    },
  });
  const db = await openStore(config);
  try {
    // Corpus: documents of 4 chunks; chunk 0 states each peril's deductible for the document's form.
    const random = prng(7);
    await db.query(`INSERT INTO sources (id, name, type) VALUES ('bench', 'bench', 'filesystem')`);
    const documents = Math.ceil(totalChunks / 4);
    const started = performance.now();
    const batch = 250;
    for (let first = 0; first < documents; first += batch) {
      const docValues: unknown[] = [];
      const docRows: string[] = [];
      const chunkValues: unknown[] = [];
      const chunkRows: string[] = [];
      for (let d = first; d < Math.min(documents, first + batch); d++) {
        const form = formOf(d);
        const principals = [groups[d % groups.length], groups[(d * 7 + 3) % groups.length]];
        const p = docValues.length;
        docValues.push(`doc${d}`, `Policy form ${form}`, principals);
        docRows.push(
          `($${p + 1}, 'bench', $${p + 1}, 'file:///bench/' || $${p + 1}, $${p + 2}, 'application/pdf', $${p + 3}, 'internal', 'indexed', 4)`,
        );
        for (let c = 0; c < 4; c++) {
          const peril = perils[Math.floor(random() * perils.length)] as string;
          const amount = (Math.floor(random() * 20) + 1) * 250;
          const text =
            c === 0
              ? `The deductible for ${peril} under ${form} is $${amount.toLocaleString('en-US')} per occurrence. ${sentence(random, 18)} ${sentence(random, 14)}`
              : `${sentence(random, 20)} Under ${form} losses from ${peril} are limited to $${(amount * 10).toLocaleString('en-US')}. ${sentence(random, 22)} ${sentence(random, 12)}`;
          const q = chunkValues.length;
          chunkValues.push(`doc${d}-c${c}`, `doc${d}`, c, text, principals);
          chunkRows.push(
            `($${q + 1}, $${q + 2}, 'bench', $${q + 3}, $${q + 4}, ${c + 1}, ${c + 1}, 60, md5($${q + 4}), $${q + 5}, 'internal')`,
          );
        }
      }
      await db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO documents (id, source_id, source_ref, uri, title, media_type, principals, sensitivity, status, chunk_count) VALUES ${docRows.join(', ')}`,
          docValues,
        );
        await tx.query(
          `INSERT INTO chunks (id, document_id, source_id, ordinal, text, page_start, page_end, token_count, content_hash, principals, sensitivity) VALUES ${chunkRows.join(', ')}`,
          chunkValues,
        );
      });
      if ((first / batch) % 20 === 0)
        log(
          `  inserted ${Math.min(documents, first + batch) * 4} chunks (${((performance.now() - started) / 1000).toFixed(0)} s)`,
        );
    }
    const insertSeconds = (performance.now() - started) / 1000;
    const prepareStarted = performance.now();
    await prepareRetrieval(db, config.retrieval);
    const prepareSeconds = (performance.now() - prepareStarted) / 1000;
    log(`corpus: ${documents * 4} chunks in ${insertSeconds.toFixed(0)} s, indexes ${prepareSeconds.toFixed(0)} s`);

    const spans: SpanRecord[] = [];
    const events = createEventBus();
    events.subscribe('span-end', (span) => spans.push(span));
    const tracer = createTracer(events);
    const retriever = createRetriever({ db, config: config.retrieval, tracer });
    const models = createModelResolver({ config: config.models, secrets: () => undefined });
    const answerer = createAnswerer({ db, retriever, models, tracer, events });
    await answerer.useCases.create('bench-extractive', { model: 'extractive' });

    const questions = Array.from({ length: queryCount }, (_, i) => {
      const doc = Math.floor(prng(1000 + i)() * documents);
      return {
        question: `What is the deductible for ${perils[i % perils.length]} under ${formOf(doc)}?`,
        caller: callerWithPrincipals([groups[doc % groups.length] as string, 'group:g_other']),
      };
    });
    const percentile = (values: number[], p: number) => {
      const sorted = [...values].sort((a, b) => a - b);
      return Math.round((sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0) * 100) / 100;
    };
    const run = async (useCase: string) => {
      for (const q of questions.slice(0, 20)) await answerer.ask({ ...q, useCase }); // warm-up
      spans.length = 0;
      const overhead: number[] = [];
      const total: number[] = [];
      const model: number[] = [];
      const retrieve: number[] = [];
      const own: number[] = [];
      const gaps = { beforeRetrieve: [] as number[], betweenRetrieveAndModel: [] as number[], afterModel: [] as number[] };
      let refused = 0;
      for (const q of questions) {
        const answer = await answerer.ask({ ...q, useCase });
        if (answer.refused) refused++;
        const trace = spans.filter((s) => s.traceId === answer.traceId);
        const root = trace.find((s) => s.name === 'answer');
        const generate = trace.find((s) => s.name === 'generate');
        const retrieval = trace.find((s) => s.name === 'retrieve' || s.name === 'search');
        const rootMs = root ? root.endTime - root.startTime : answer.tookMs;
        const modelMs = generate ? generate.endTime - generate.startTime : 0;
        total.push(rootMs);
        model.push(modelMs);
        overhead.push(rootMs - modelMs);
        const retrieveMs = retrieval ? retrieval.endTime - retrieval.startTime : 0;
        if (retrieval) retrieve.push(retrieveMs);
        own.push(rootMs - modelMs - retrieveMs);
        if (root && retrieval && generate) {
          gaps.beforeRetrieve.push(retrieval.startTime - root.startTime);
          gaps.betweenRetrieveAndModel.push(generate.startTime - retrieval.endTime);
          gaps.afterModel.push(root.endTime - generate.endTime);
        }
        spans.length = 0;
      }
      return {
        questions: questions.length,
        refused,
        overheadMs: { p50: percentile(overhead, 50), p95: percentile(overhead, 95) },
        retrieveMs: retrieve.length > 0 ? { p50: percentile(retrieve, 50), p95: percentile(retrieve, 95) } : undefined,
        answerOwnMs: { p50: percentile(own, 50), p95: percentile(own, 95) },
        ...(gaps.afterModel.length > 0
          ? {
              answerOwnBreakdownP50: {
                beforeRetrieve: percentile(gaps.beforeRetrieve, 50),
                betweenRetrieveAndModel: percentile(gaps.betweenRetrieveAndModel, 50),
                afterModel: percentile(gaps.afterModel, 50),
              },
            }
          : {}),
        modelCallMs: { p50: percentile(model, 50), p95: percentile(model, 95) },
        totalMs: { p50: percentile(total, 50), p95: percentile(total, 95) },
      };
    };
    const generative = await run('default');
    const extractive = await run('bench-extractive');

    // Groundwork's own CPU work after retrieval, without the store or the model: egress decision, question
    // redaction, assembly, prompt, citation cleaning, groundedness, confidence evidence, and an extractive
    // answer — over the real hits of each question, repeated to get stable timings.
    const providerConfig = models.describe('loopback:bench-model').providerConfig;
    const external = { ...providerConfig, trusted: false };
    const pipeline: number[] = [];
    for (const q of questions) {
      const { hits } = await retriever.search({ query: q.question, caller: q.caller, k: 8 });
      const reply = 'The deductible is $1,000 per occurrence [1]. Other conditions of the form apply [2].';
      const repeats = 20;
      const started = performance.now();
      for (let r = 0; r < repeats; r++) {
        const session = createRedactionSession();
        const egress = decideEgress({
          provider: external,
          items: hits.map((h) => ({ id: h.chunkId, sensitivity: h.sensitivity, text: h.text, piiSpans: h.pii })),
          session,
        });
        const question = redactText(q.question, { session }).text;
        const sendable = new Map(egress.items.map((i) => [i.id, i.text ?? '']));
        const assembled = assembleContext(hits, { budgetTokens: 15_000, textOf: (h) => sendable.get(h.chunkId) ?? '' });
        buildSystemPrompt(undefined, 'concise');
        buildUserPrompt(assembled.passages, question);
        const profile = profileQuestion(question, assembled.passages);
        retrievalEvidence(profile, assembled.passages);
        extractiveAnswer(profile, assembled.passages, 'concise');
        const cleaned = cleanCitations(reply, (n) => n <= assembled.passages.length);
        checkGroundedness(cleaned.text, assembled.passages);
        resolveCitations(cleaned.used, assembled.passages);
      }
      pipeline.push((performance.now() - started) / repeats);
    }
    const ownCpu = { p50: percentile(pipeline, 50), p95: percentile(pipeline, 95) };
    const result = {
      store: db.mode,
      lexicalEngine: db.capabilities.pgTextSearch ? 'pg_textsearch (auto)' : 'portable',
      chunks: documents * 4,
      callerVisibleShare: 0.1,
      insertSeconds: Math.round(insertSeconds),
      indexSeconds: Math.round(prepareSeconds),
      loadAverage1m: (await import('node:os')).loadavg()[0],
      generative,
      extractive,
      answerPipelineCpuMs: ownCpu,
      quality: { ...quality, perQuestion: undefined },
    };
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await db.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
