/**
 * Scores PII detections against a labelled set the way presidio-research does (notebook 4): span-level,
 * entity-agnostic — a gold span counts as found when some predicted span of any type overlaps it with a
 * character intersection-over-union of at least 0.9 — and F2 (recall weighted twice as much as precision).
 * Per-type figures are added: recall per gold type, precision per predicted type (entity-agnostic too: a
 * `location` span that matches a gold STREET_ADDRESS counts as correct).
 *
 * Usable as a module (the benchmark) or on files: `node bench/pii-score.ts GOLD.jsonl PREDICTED.jsonl`,
 * where GOLD holds `{id, text, spans: [{type, start, end}]}` and PREDICTED is the output of
 * `groundwork pii scan GOLD.jsonl --jsonl --json` (`{id, spans: [{type, start, end, score}]}`).
 */
import { readFileSync } from 'node:fs';

export interface ScoredSpan {
  readonly type: string;
  readonly start: number;
  readonly end: number;
}

export interface LabelledCase {
  readonly id: string;
  readonly text: string;
  readonly spans: readonly ScoredSpan[];
}

export interface TypeCounts {
  matched: number;
  total: number;
}

export interface PiiScore {
  readonly precision: number;
  readonly recall: number;
  readonly f2: number;
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly falseNegatives: number;
  /**
   * False positives that lie inside a gold span of any type — found PII at another granularity (a city inside
   * a gold whole-address span), not text without PII. A diagnostic; the figures above count them as wrong.
   */
  readonly falsePositivesInsideGold: number;
  /** Gold type → how many of its spans were found. */
  readonly recallByType: Record<string, TypeCounts>;
  /** Predicted type → how many of its spans matched a gold span. */
  readonly precisionByType: Record<string, TypeCounts>;
}

export const minimumIou = 0.9;

export function iou(a: ScoredSpan, b: ScoredSpan): number {
  const intersection = Math.max(0, Math.min(a.end, b.end) - Math.max(a.start, b.start));
  const union = a.end - a.start + (b.end - b.start) - intersection;
  return union <= 0 ? 0 : intersection / union;
}

function countsFor(table: Record<string, TypeCounts>, type: string): TypeCounts {
  let counts = table[type];
  if (!counts) {
    counts = { matched: 0, total: 0 };
    table[type] = counts;
  }
  return counts;
}

/** Scores predictions (by case id) against the gold cases; a case without predictions predicted nothing. */
export function scorePii(gold: readonly LabelledCase[], predicted: ReadonlyMap<string, readonly ScoredSpan[]>): PiiScore {
  let truePositives = 0;
  let falsePositives = 0;
  let falseNegatives = 0;
  let falsePositivesInsideGold = 0;
  const recallByType: Record<string, TypeCounts> = {};
  const precisionByType: Record<string, TypeCounts> = {};
  for (const item of gold) {
    const predictions = predicted.get(item.id) ?? [];
    // One-to-one: each prediction may match one gold span (the best-overlapping one still free).
    const used = new Set<number>();
    for (const span of item.spans) {
      let best = -1;
      let bestIou = 0;
      predictions.forEach((prediction, index) => {
        if (used.has(index)) return;
        const value = iou(span, prediction);
        if (value >= minimumIou && value > bestIou) {
          best = index;
          bestIou = value;
        }
      });
      const counts = countsFor(recallByType, span.type);
      counts.total++;
      if (best >= 0) {
        used.add(best);
        counts.matched++;
        truePositives++;
      } else falseNegatives++;
    }
    predictions.forEach((prediction, index) => {
      const counts = countsFor(precisionByType, prediction.type);
      counts.total++;
      if (used.has(index)) counts.matched++;
      else {
        falsePositives++;
        if (item.spans.some((span) => span.start <= prediction.start && prediction.end <= span.end)) falsePositivesInsideGold++;
      }
    });
  }
  const precision = truePositives + falsePositives === 0 ? 1 : truePositives / (truePositives + falsePositives);
  const recall = truePositives + falseNegatives === 0 ? 1 : truePositives / (truePositives + falseNegatives);
  const f2 = precision + recall === 0 ? 0 : (5 * precision * recall) / (4 * precision + recall);
  return {
    precision,
    recall,
    f2,
    truePositives,
    falsePositives,
    falseNegatives,
    falsePositivesInsideGold,
    recallByType,
    precisionByType,
  };
}

export function readJsonl<T>(path: string): T[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as T);
}

if (import.meta.main) {
  const [goldPath, predictedPath] = process.argv.slice(2);
  if (!goldPath || !predictedPath) {
    console.error('usage: node bench/pii-score.ts GOLD.jsonl PREDICTED.jsonl');
    process.exit(2);
  }
  const gold = readJsonl<LabelledCase>(goldPath);
  const predicted = new Map(readJsonl<{ id: string; spans: ScoredSpan[] }>(predictedPath).map((row) => [row.id, row.spans]));
  console.log(JSON.stringify(scorePii(gold, predicted), null, 2));
}
