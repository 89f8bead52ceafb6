import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { MockLanguageModelV4 } from 'ai/test';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { callerWithPrincipals, localOperator, type SpanRecord } from '../core/index.ts';
import { listAudit } from '../govern/index.ts';
import { extractiveAsk, seedCorpus } from './fixtures/corpus.ts';
import {
  acceptCandidate,
  checkDrift,
  collectCandidates,
  compareRuns,
  createJudge,
  type EvalSearch,
  importDataset,
  labelRun,
  listAlerts,
  listCandidates,
  listDatasets,
  listRuns,
  loadDataset,
  parseBeirCases,
  parseCsvCases,
  parseJsonlCases,
  registerEvaluationSchedules,
  rejectCandidate,
  resolveRun,
  runEvaluation,
  runScheduledEvaluation,
  type ScheduleQueue,
  showRun,
} from './index.ts';

const staff = ['group:staff'];
const corpus = [
  {
    id: 'home',
    principals: staff,
    chunks: ['Home insurance covers fire damage up to 500000 dollars. Flood damage is not covered by home insurance.'],
  },
  { id: 'motor', principals: staff, chunks: ['Motor insurance covers collision repairs. The motor deductible is 250 dollars.'] },
  {
    id: 'claims',
    principals: ['group:claims'],
    chunks: ['Claims must be reported within 24 hours. The claims adjuster visits within five days.'],
  },
  { id: 'travel', principals: staff, chunks: ['Travel insurance reimburses cancelled flights and lost luggage.'] },
  { id: 'secret', principals: ['group:exec'], chunks: ['The executive bonus pool totals 3 million euros this year.'] },
  ...Array.from({ length: 20 }, (_, i) => ({
    id: `filler${i}`,
    principals: staff,
    chunks: [`Gardening note ${i}: water the tomatoes and prune the roses in spring, season ${i}.`],
  })),
];

const jsonl = [
  {
    id: 'fire',
    question: 'What does home insurance cover for fire damage?',
    reference_answer: 'Fire damage up to 500000 dollars',
    relevant_documents: ['home.txt'],
    principals: staff,
    tags: ['home'],
  },
  {
    id: 'deductible',
    question: 'motor deductible dollars',
    reference_answer: 'The motor deductible is 250 dollars.',
    relevant_documents: ['motor'],
    principals: staff,
  },
  {
    id: 'report',
    question: 'How fast must claims be reported?',
    relevant_documents: ['share:claims.txt'],
    principals: ['group:claims'],
  },
  { id: 'bonus', question: 'executive bonus pool', relevant_documents: ['secret'], principals: ['group:exec'] },
  { id: 'mars', question: 'What is the capital of Mars?', expect_refusal: true, principals: staff },
  { id: 'luggage', question: 'lost luggage cancelled flights', relevant_documents: ['travel'] },
]
  .map((row) => JSON.stringify(row))
  .join('\n');

describe(`evaluate (${testStoreKind})`, () => {
  let platform: Awaited<ReturnType<typeof createTestPlatform>>;
  let search: EvalSearch;
  const spans: SpanRecord[] = [];

  before(async () => {
    platform = await createTestPlatform();
    platform.events.subscribe('span-end', (span) => spans.push(span));
    await seedCorpus(platform.db, corpus);
    search = (request) => platform.retriever.search(request);
  });
  after(async () => {
    await platform?.close();
  });

  test('imports JSONL, resolving references by id, path and source:path; a new import is a new version', async () => {
    const parsed = parseJsonlCases(jsonl);
    assert.deepEqual(parsed.problems, []);
    const first = await importDataset(platform.db, parsed.cases, { name: 'policies', origin: 'jsonl', caller: localOperator });
    assert.equal(first.version, 1);
    assert.equal(first.caseCount, 6);
    const second = await importDataset(platform.db, parsed.cases.slice(0, 5), {
      name: 'policies',
      origin: 'jsonl',
      caller: localOperator,
    });
    assert.equal(second.version, 2);
    const latest = await loadDataset(platform.db, 'policies');
    assert.equal(latest.version, 2);
    const v1 = await loadDataset(platform.db, 'policies@1');
    assert.deepEqual(
      v1.cases.map((c) => c.relevantDocumentIds),
      [['home'], ['motor'], ['claims'], ['secret'], [], ['travel']],
    );
    assert.equal(v1.cases[4]?.expectRefusal, true);
    assert.deepEqual(v1.cases[0]?.principals, ['group:staff']);
    assert.deepEqual(
      (await listDatasets(platform.db)).map((d) => `${d.name}@${d.version}`),
      ['policies@2', 'policies@1'],
    );
  });

  test('a bad file reports every problem with its line and imports nothing', async () => {
    const text = [
      JSON.stringify({ question: 'ok', relevant_documents: ['home'] }),
      '{not json',
      JSON.stringify({ question: '' }),
      JSON.stringify({ question: 'unknown doc', relevant_documents: ['nope.pdf'] }),
      JSON.stringify({ question: 'extra', colour: 'red' }),
    ].join('\n');
    const parsed = parseJsonlCases(text);
    await assert.rejects(
      importDataset(platform.db, parsed.cases, {
        name: 'broken',
        origin: 'jsonl',
        caller: localOperator,
        parseProblems: parsed.problems,
      }),
      (error: Error & { code: string; details: { problems: Array<{ line: number }> } }) => {
        assert.equal(error.code, 'evaluate.invalid_dataset');
        assert.deepEqual(
          error.details.problems.map((p) => p.line),
          [2, 3, 4, 5],
        );
        assert.match(error.message, /line 4: relevant document "nope.pdf" matches no document/);
        return true;
      },
    );
    assert.equal((await listDatasets(platform.db)).filter((d) => d.name === 'broken').length, 0);
  });

  test('imports CSV (quoted multi-line fields keep line numbers) and BEIR (corpus ids resolve by path stem)', async () => {
    const csv =
      'id,question,relevant_documents,expect_refusal,principals\nq1,"fire damage\ncovered?",home|motor,no,group:staff\nq2,bad flag,,maybe,\nq3,luggage,travel,false,\n';
    const parsed = parseCsvCases(csv);
    assert.deepEqual(parsed.problems, [{ line: 4, reason: 'expect_refusal must be true/false/yes/no/1/0, got "maybe"' }]);
    assert.equal(parsed.cases[0]?.question, 'fire damage\ncovered?');
    assert.deepEqual(parsed.cases[0]?.relevantDocuments, ['home', 'motor']);
    assert.equal(parsed.cases[1]?.line, 5);
    const beir = parseBeirCases(
      '{"_id": "1", "text": "fire damage"}\n{"_id": "2", "text": "no judgments"}\n',
      'query-id\tcorpus-id\tscore\n1\thome\t2\n1\tmotor\t0\n9\thome\t1\n',
    );
    assert.deepEqual(beir.qrelsProblems, [{ line: 4, reason: 'qrels: query "9" is not in queries.jsonl' }]);
    const dataset = await importDataset(platform.db, beir.cases, { name: 'beir-tiny', origin: 'beir', caller: localOperator });
    const loaded = await loadDataset(platform.db, dataset.id);
    assert.deepEqual(
      loaded.cases.map((c) => [c.externalId, c.relevantDocumentIds, c.relevance]),
      [['1', ['home'], { home: 2 }]],
    );
  });

  test('a retrieval run measures each case as its principals, snapshots the index, and is an evaluation trace', async () => {
    spans.length = 0;
    const run = await runEvaluation(
      { db: platform.db, tracer: platform.tracer, events: platform.events, clock: platform.clock, search },
      {
        dataset: 'policies@1',
        mode: 'retrieval',
        caller: localOperator,
        depth: 20,
        metrics: ['ndcg@3'],
        snapshot: { retrieval: platform.config.retrieval },
      },
    );
    assert.equal(run.errors, 0);
    assert.equal(run.indexState.documentCount, corpus.length);
    assert.match(run.indexState.fingerprint, /^[0-9a-f]{32}$/);
    const byCase = new Map(run.results.map((r) => [r.externalId, r]));
    assert.equal(byCase.get('fire')?.metrics['ndcg@10'], 1);
    assert.equal(byCase.get('fire')?.retrievedDocumentIds[0], 'home');
    assert.equal(byCase.get('report')?.metrics['recall@10'], 1, 'asked as group:claims, finds the claims document');
    assert.equal(byCase.get('mars')?.metrics['ndcg@10'], undefined, 'no relevant documents: not applicable');
    assert.ok(run.metrics['ndcg@3']);
    assert.equal(run.metrics['ndcg@10']?.n, 5);
    assert.equal(run.metrics['ndcg@10']?.mean, 1);
    const evaluationSpan = spans.find((s) => s.name === 'evaluation');
    assert.equal(evaluationSpan?.attributes['groundwork.operation'], 'evaluation');
    assert.equal(evaluationSpan?.traceId, run.traceId);
    // A case asked as the wrong principals cannot retrieve what it may not read.
    const stored = await resolveRun(platform.db, run.runId);
    assert.equal(stored.status, 'succeeded');
    assert.equal(stored.config.k, 20);
  });

  test('cases in parallel give the same results in dataset order', async () => {
    const deps = { db: platform.db, tracer: platform.tracer, events: platform.events, clock: platform.clock, search };
    const serial = await runEvaluation(deps, { dataset: 'policies@1', mode: 'retrieval', caller: localOperator, depth: 20 });
    const parallel = await runEvaluation(deps, {
      dataset: 'policies@1',
      mode: 'retrieval',
      caller: localOperator,
      depth: 20,
      concurrency: 4,
    });
    const strip = (r: (typeof serial.results)[number]) => ({
      id: r.externalId,
      retrieved: r.retrievedDocumentIds,
      ndcg: r.metrics['ndcg@10'],
    });
    assert.deepEqual(parallel.results.map(strip), serial.results.map(strip));
  });

  test('viewers see only the cases whose principals they hold; aggregates stay visible', async () => {
    const [latest] = await listRuns(platform.db, { dataset: 'policies' });
    assert.ok(latest);
    const admin = await showRun(platform.db, latest.id, localOperator);
    assert.equal(admin.cases.length, 6);
    const staffViewer = await showRun(platform.db, latest.id, callerWithPrincipals(['user:ann', 'group:staff']));
    assert.deepEqual(staffViewer.cases.map((c) => c.externalId).sort(), ['deductible', 'fire', 'mars']);
    assert.equal(staffViewer.hiddenCases, 3);
    assert.ok(staffViewer.metrics['ndcg@10']);
    const outsider = await showRun(platform.db, latest.id, callerWithPrincipals(['user:eve']));
    assert.equal(outsider.cases.length, 0);
  });

  test('answer runs: refusal accuracy, citations, correctness, groundedness, and the spread of --repeat', async () => {
    const chunkText = async (id: string) =>
      (await platform.db.query<{ text: string }>('SELECT text FROM chunks WHERE id = $1', [id])).rows[0]?.text ?? '';
    let calls = 0;
    const base = extractiveAsk(search, chunkText);
    const run = await runEvaluation(
      {
        db: platform.db,
        tracer: platform.tracer,
        events: platform.events,
        clock: platform.clock,
        search,
        // Non-deterministic on purpose: every other call refuses.
        ask: async (request) => (calls++ % 2 === 1 ? { answer: '', citations: [], refused: true } : base(request)),
      },
      { dataset: 'policies@1', mode: 'answer', caller: localOperator, repeat: 2, depth: 10 },
    );
    assert.equal(run.results.length, 12);
    const first = run.results.filter((r) => r.sample === 0);
    const fire = first.find((r) => r.externalId === 'fire');
    assert.equal(fire?.metrics.citation_precision, 1);
    assert.equal(fire?.metrics.citation_recall, 1);
    assert.equal(fire?.metrics.groundedness, 1);
    assert.ok((fire?.metrics.token_f1 ?? 0) > 0.5);
    const deductible = first.find((r) => r.externalId === 'deductible');
    assert.ok(deductible);
    assert.equal(
      first.find((r) => r.externalId === 'mars')?.metrics.refusal_accuracy,
      1,
      'nothing matches: refused, as expected',
    );
    const refusal = run.metrics.refusal_accuracy;
    assert.ok(refusal?.samples, 'spread over samples is reported');
    assert.ok((refusal?.samples?.max ?? 0) > (refusal?.samples?.min ?? 0));
  });

  test('a judge model grades correctness and faithfulness through structured output', async () => {
    const prompts: string[] = [];
    const model = new MockLanguageModelV4({
      provider: 'mock',
      modelId: 'judge-1',
      doGenerate: async (options) => {
        prompts.push(JSON.stringify(options.prompt));
        return {
          content: [{ type: 'text', text: '{"correctness": 0.5, "faithfulness": 1, "reason": "partly"}' }],
          finishReason: { unified: 'stop', raw: 'stop' },
          usage: {
            inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 },
            outputTokens: { total: 5, text: 5, reasoning: 0 },
          },
          warnings: [],
        };
      },
    });
    const chunkText = async (id: string) =>
      (await platform.db.query<{ text: string }>('SELECT text FROM chunks WHERE id = $1', [id])).rows[0]?.text ?? '';
    const run = await runEvaluation(
      {
        db: platform.db,
        tracer: platform.tracer,
        events: platform.events,
        clock: platform.clock,
        search,
        ask: extractiveAsk(search, chunkText),
        judge: createJudge(model),
      },
      { dataset: 'policies@1', mode: 'answer', caller: localOperator, depth: 10 },
    );
    const fire = run.results.find((r) => r.externalId === 'fire');
    assert.equal(fire?.metrics.judge_correctness, 0.5);
    assert.equal(fire?.metrics.judge_faithfulness, 1);
    assert.equal(run.results.find((r) => r.externalId === 'luggage')?.metrics.judge_correctness, undefined, 'no reference');
    assert.ok(
      prompts.some((p) => p.includes('500000 dollars')),
      'the cited text reaches the judge',
    );
  });

  test('cost per case comes from the priced answer trace when the answerer does not report it', async () => {
    await platform.db.query(
      `INSERT INTO traces (id, operation, name, started_at, ended_at, duration_ms, status, outcome, cost_usd)
       VALUES ('trc_cost', 'answer', 'answer', now(), now(), 5, 'ok', 'answered', 0.0025)`,
    );
    let flushed = 0;
    const run = await runEvaluation(
      {
        db: platform.db,
        tracer: platform.tracer,
        events: platform.events,
        clock: platform.clock,
        flushTraces: async () => {
          flushed++;
        },
        ask: async () => ({
          answer: 'Travel insurance reimburses lost luggage.',
          citations: [],
          refused: false,
          traceId: 'trc_cost',
        }),
      },
      { dataset: 'policies@1', mode: 'answer', caller: localOperator },
    );
    assert.equal(flushed, 1);
    assert.ok(run.results.every((r) => r.costUsd === 0.0025 && r.metrics.cost_usd === 0.0025));
    assert.equal(run.metrics.cost_usd?.mean, 0.0025);
    const stored = await showRun(platform.db, run.runId, localOperator);
    assert.equal(stored.cases[0]?.costUsd, 0.0025);
  });

  test('compare: a worse retriever is significantly worse; labels name baselines', async () => {
    const good = await runEvaluation(
      { db: platform.db, tracer: platform.tracer, events: platform.events, clock: platform.clock, search },
      { dataset: 'policies@1', mode: 'retrieval', caller: localOperator, depth: 10, labels: ['baseline'] },
    );
    // Drops the best hit: every relevant document falls out of first place.
    const worse: EvalSearch = async (request) => {
      const result = await search(request);
      return { hits: result.hits.slice(1) };
    };
    const bad = await runEvaluation(
      { db: platform.db, tracer: platform.tracer, events: platform.events, clock: platform.clock, search: worse },
      { dataset: 'policies@1', mode: 'retrieval', caller: localOperator, depth: 10 },
    );
    assert.equal((await resolveRun(platform.db, 'baseline')).id, good.runId);
    const comparison = await compareRuns(platform.db, 'baseline', bad.runId, { viewer: localOperator, resamples: 1000, seed: 7 });
    const ndcg = comparison.metrics.find((m) => m.metric === 'ndcg@10');
    assert.ok(ndcg);
    assert.equal(ndcg.significance, 'worse');
    assert.ok(ndcg.high < 0);
    assert.equal(ndcg.losses, 5);
    assert.equal(comparison.regressed, true);
    assert.equal(comparison.changedCases.length, 5);
    const again = await compareRuns(platform.db, 'baseline', bad.runId, { viewer: localOperator, resamples: 1000, seed: 7 });
    assert.deepEqual(again.metrics, comparison.metrics, 'seeded: identical intervals');
    const staffView = await compareRuns(platform.db, good.runId, bad.runId, { viewer: callerWithPrincipals(['group:staff']) });
    assert.deepEqual(staffView.changedCases.map((c) => c.externalId).sort(), ['deductible', 'fire']);
    assert.equal(staffView.hiddenChangedCases, 3);
    // Moving a label.
    await labelRun(platform.db, localOperator, bad.runId, 'baseline');
    assert.equal((await resolveRun(platform.db, 'baseline')).id, bad.runId);
    assert.deepEqual((await resolveRun(platform.db, good.runId)).labels, []);
  });

  test('scheduled runs: a drop beyond the threshold records an alert and posts it to the webhook', async () => {
    const received: unknown[] = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (data) => {
        body += data;
      });
      request.on('end', () => {
        received.push(JSON.parse(body));
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const schedule = {
        name: 'monthly',
        dataset: 'policies@1',
        cron: '0 3 1 * *',
        mode: 'retrieval' as const,
        metrics: ['ndcg@10', 'recall@10'],
        dropThreshold: 0.05,
      };
      const alertEvents: unknown[] = [];
      platform.events.subscribe('evaluation-drift-alert', (alert) => alertEvents.push(alert));
      const deps = {
        db: platform.db,
        tracer: platform.tracer,
        events: platform.events,
        clock: platform.clock,
        webhookUrl: `http://127.0.0.1:${port}/hook`,
      };
      const first = await runScheduledEvaluation({ ...deps, search }, schedule);
      assert.deepEqual(first.alerts, []);
      const second = await runScheduledEvaluation({ ...deps, search: async () => ({ hits: [] }) }, schedule);
      assert.deepEqual(second.alerts.map((a) => a.metric).sort(), ['ndcg@10', 'recall@10']);
      assert.ok(second.alerts.every((a) => a.delivery === 'delivered' && a.previousRunId === first.run.runId));
      assert.equal(received.length, 2);
      assert.equal((received[0] as { type: string }).type, 'evaluation.drift');
      assert.equal(alertEvents.length, 2);
      assert.equal((await listAlerts(platform.db, { scheduleName: 'monthly' })).length, 2);
      // Without a reachable webhook the alert is still recorded, with the delivery error.
      const failed = await checkDrift({ ...deps, webhookUrl: 'http://127.0.0.1:1/none' }, schedule, second.run.runId);
      assert.ok(failed.every((a) => a.delivery === 'failed' && a.deliveryError));
    } finally {
      server.close();
    }
  });

  test('schedules register with the queue and run due jobs', async () => {
    const scheduled: Array<[string, string, object, { key: string }]> = [];
    let worker: ((jobs: Array<{ data: unknown }>) => Promise<unknown>) | undefined;
    const queue: ScheduleQueue = {
      createQueue: async () => undefined,
      schedule: async (...args) => {
        scheduled.push(args);
      },
      work: async (_name, handler) => {
        worker = handler;
      },
    };
    const executed: string[] = [];
    const schedules = [
      {
        name: 'monthly',
        dataset: 'policies',
        cron: '0 3 1 * *',
        mode: 'retrieval' as const,
        metrics: ['ndcg@10'],
        dropThreshold: 0.05,
      },
    ];
    await registerEvaluationSchedules(queue, schedules, async (s) => {
      executed.push(s.name);
    });
    assert.deepEqual(scheduled, [['evaluation-scheduled-run', '0 3 1 * *', { schedule: 'monthly' }, { key: 'monthly' }]]);
    await worker?.([{ data: { schedule: 'monthly' } }, { data: { schedule: 'removed' } }]);
    assert.deepEqual(executed, ['monthly']);
  });

  test('schedules run on the real job queue (pg-boss)', async () => {
    const boss = await platform.jobs.boss();
    const executed: string[] = [];
    const schedules = [
      {
        name: 'nightly',
        dataset: 'policies',
        cron: '0 2 * * *',
        mode: 'retrieval' as const,
        metrics: ['ndcg@10'],
        dropThreshold: 0.05,
      },
    ];
    await registerEvaluationSchedules(boss, schedules, async (s) => {
      executed.push(s.name);
    });
    const stored = await boss.getSchedules();
    assert.deepEqual(
      stored.map((s) => [s.name, s.cron, s.key]),
      [['evaluation-scheduled-run', '0 2 * * *', 'nightly']],
    );
    // What the cron monitor sends when the schedule is due.
    await boss.send('evaluation-scheduled-run', { schedule: 'nightly' });
    const deadline = Date.now() + 20_000;
    while (executed.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(executed, ['nightly']);
  });

  test('production candidates from negative feedback: list by principals, accept into a new version, reject', async () => {
    const db = platform.db;
    const trace = async (id: string, question: string, principals: string[]) => {
      await db.query(
        `INSERT INTO traces (id, operation, name, started_at, ended_at, duration_ms, status, outcome, question, answer, attributes)
         VALUES ($1, 'answer', 'answer', now(), now(), 5, 'ok', 'answered', $2, 'some answer', $3)`,
        [id, question, JSON.stringify({ 'groundwork.caller.principals': principals })],
      );
    };
    await trace('trc_1', 'Is flood damage covered by home insurance?', ['user:ann', 'group:staff']);
    await trace('trc_2', 'Who gets the executive bonus?', ['group:exec']);
    await trace('trc_3', 'A liked answer', ['group:staff']);
    await db.query(
      `INSERT INTO feedback (id, trace_id, caller_id, rating, category, comment) VALUES
         ('fb1', 'trc_1', 'user:ann', -1, 'wrong', 'flood is excluded'), ('fb2', 'trc_2', 'user:boss', -1, 'incomplete', NULL),
         ('fb3', 'trc_3', 'user:ann', 1, NULL, NULL)`,
    );
    assert.equal(await collectCandidates(db), 2);
    assert.equal(await collectCandidates(db), 0, 'idempotent');
    const visible = await listCandidates(db, callerWithPrincipals(['user:ann', 'group:staff']));
    assert.deepEqual(
      visible.map((c) => c.traceId),
      ['trc_1'],
    );
    assert.equal((await listCandidates(db, localOperator)).length, 2);
    const flood = visible[0];
    assert.ok(flood);
    const dataset = await acceptCandidate(db, flood.id, {
      dataset: 'policies',
      referenceAnswer: 'No, flood damage is not covered.',
      relevantDocuments: ['home'],
      caller: localOperator,
    });
    assert.equal(dataset.version, 3);
    assert.equal(dataset.caseCount, 6);
    const loaded = await loadDataset(db, 'policies');
    const added = loaded.cases.at(-1);
    assert.equal(added?.question, 'Is flood damage covered by home insurance?');
    assert.deepEqual(added?.tags, ['production', 'wrong']);
    assert.deepEqual(added?.principals, ['group:staff', 'user:ann']);
    await assert.rejects(acceptCandidate(db, flood.id, { dataset: 'policies', caller: localOperator }), /already accepted/);
    const bonus = (await listCandidates(db, localOperator))[0];
    assert.ok(bonus);
    await assert.rejects(rejectCandidate(db, bonus.id, callerWithPrincipals(['group:staff'], 'builder')), /No candidate/);
    await assert.rejects(
      rejectCandidate(db, bonus.id, callerWithPrincipals(['group:exec'])),
      (error: { code?: string }) => error.code === 'auth.forbidden',
      'deciding candidates needs eval:run',
    );
    await rejectCandidate(db, bonus.id, localOperator);
    assert.equal((await listCandidates(db, localOperator)).length, 0);
    // Each decision is audited in its transaction; the accepted version's import too.
    const actions = (await listAudit(db, { limit: 100 })).map((e) => e.action);
    for (const action of ['eval.candidate.accept', 'eval.candidate.reject', 'eval.dataset.import']) {
      assert.ok(actions.includes(action), `${action} audited`);
    }
  });
});
