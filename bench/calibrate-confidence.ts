/**
 * Calibrates answer confidence on the labelled fixture set (src/answer/fixtures/calibration-set.ts) over the
 * fictional insurer corpus, in extractive mode on the embedded store, and proposes the refusal threshold:
 * the midpoint of the widest gap between answerable and unanswerable questions' confidence (the threshold
 * with the best accuracy, ties broken by margin).
 *
 *   node bench/calibrate-confidence.ts [--json]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calibrationSet } from '../src/answer/fixtures/calibration-set.ts';
import { insertInsurerCorpus, staff } from '../src/answer/fixtures/insurer-corpus.ts';
import { createAnswerer, defaultRefusalThreshold } from '../src/answer/index.ts';
import { callerWithPrincipals, configSchema, createEventBus, createTracer } from '../src/core/index.ts';
import { createRetriever } from '../src/retrieve/index.ts';
import { openStore } from '../src/store/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'gw-calibrate-'));
const config = configSchema.parse({ dataDir: dir });
const db = await openStore(config);
try {
  await insertInsurerCorpus(db);
  const tracer = createTracer(createEventBus());
  const retriever = createRetriever({ db, config: config.retrieval, tracer });
  const answerer = createAnswerer({
    db,
    retriever,
    tracer,
    models: {
      defaultChat: undefined,
      chat: () => {
        throw new Error('extractive only');
      },
      describe: () => {
        throw new Error('extractive only');
      },
    },
  });
  await answerer.useCases.create('calibration', { refusalThreshold: 0 });
  const rows = [];
  for (const item of calibrationSet) {
    const answer = await answerer.ask({ question: item.question, caller: callerWithPrincipals([staff]), useCase: 'calibration' });
    rows.push({
      question: item.question,
      answerable: item.answerable,
      confidence: answer.confidence,
      parts: answer.confidenceParts,
      correctCitation: item.chunkId ? answer.citations[0]?.chunkId === item.chunkId : undefined,
      answer: answer.answer.slice(0, 110),
    });
  }
  const pos = rows.filter((r) => r.answerable).map((r) => r.confidence);
  const neg = rows.filter((r) => !r.answerable).map((r) => r.confidence);
  // AUC: probability that an answerable question outscores an unanswerable one.
  let wins = 0;
  for (const p of pos) for (const n of neg) wins += p > n ? 1 : p === n ? 0.5 : 0;
  const auc = wins / (pos.length * neg.length);
  const candidates = [...new Set([...pos, ...neg])].sort((a, b) => a - b);
  let best = { threshold: 0, accuracy: 0, margin: -1 };
  for (let i = 0; i < candidates.length; i++) {
    const lo = candidates[i - 1] ?? 0;
    const hi = candidates[i] as number;
    const threshold = (lo + hi) / 2;
    const correct = pos.filter((c) => c >= threshold).length + neg.filter((c) => c < threshold).length;
    const accuracy = correct / rows.length;
    if (accuracy > best.accuracy || (accuracy === best.accuracy && hi - lo > best.margin))
      best = { threshold, accuracy, margin: hi - lo };
  }
  const at = (t: number) => ({
    threshold: t,
    answeredAnswerable: pos.filter((c) => c >= t).length / pos.length,
    refusedUnanswerable: neg.filter((c) => c < t).length / neg.length,
  });
  const summary = {
    questions: rows.length,
    answerable: pos.length,
    unanswerable: neg.length,
    meanAnswerable: Math.round((pos.reduce((a, b) => a + b, 0) / pos.length) * 1000) / 1000,
    meanUnanswerable: Math.round((neg.reduce((a, b) => a + b, 0) / neg.length) * 1000) / 1000,
    minAnswerable: Math.min(...pos),
    maxUnanswerable: Math.max(...neg),
    auc: Math.round(auc * 1000) / 1000,
    correctTopCitation: rows.filter((r) => r.correctCitation === true).length / pos.length,
    bestThreshold: { ...best, threshold: Math.round(best.threshold * 1000) / 1000 },
    atDefault: at(defaultRefusalThreshold),
  };
  if (process.argv.includes('--json')) console.log(JSON.stringify({ summary, rows }, null, 2));
  else {
    for (const r of rows) {
      console.log(
        `${r.answerable ? 'A' : 'U'} ${r.confidence.toFixed(3)} R=${r.parts.retrieval.toFixed(2)} A=${r.parts.agreement.toFixed(2)} C=${r.parts.citationCoverage.toFixed(2)} G=${r.parts.groundedness.toFixed(2)} ${r.correctCitation === false ? 'WRONG-CITATION ' : ''}${r.question} → ${r.answer}`,
      );
    }
    console.log(JSON.stringify(summary, null, 2));
  }
} finally {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
}
