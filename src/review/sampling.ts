import { createHash } from 'node:crypto';
import type { Clock, EventBus, GroundworkConfig, IdGenerator, Logger } from '../core/index.ts';
import { newId, systemClock } from '../core/index.ts';
import { answerTraceFacts } from '../observe/index.ts';
import type { Database, Queryable } from '../store/index.ts';

/**
 * Statistical sampling of production answers into the review queue (docs/review.md). Each answer is drawn
 * once: `reviewDraw(traceId)` maps its trace id to a number in [0, 1) by hashing, and the answer is sampled
 * when the draw is below the rate of its stratum. The same trace always gets the same draw, so a sample is
 * reproducible, costs one hash on the event (never a query for the answers not sampled), and a stratum with
 * a higher rate always includes what a lower one sampled: negative feedback arriving later enqueues the answer
 * when its draw is below `negativeFeedbackRate`, whatever happened at answer time.
 *
 * Sampling runs in an event subscriber (`answer-end`, `feedback-recorded`), after the answer, never on its path.
 * Nothing is sampled under `observe.textRetention: drop`: a reviewer would see neither question nor answer.
 */

export type ReviewConfig = GroundworkConfig['review'];
export const reviewStrata = ['negative-feedback', 'low-confidence', 'refused', 'base'] as const;
export type ReviewStratum = (typeof reviewStrata)[number];

export interface SamplingRates {
  readonly sampleRate: number;
  readonly lowConfidenceRate: number;
  readonly lowConfidenceBelow: number;
  readonly refusedRate: number;
  readonly negativeFeedbackRate: number;
}

/** The rates of one use case: its overrides over the global ones. */
export function samplingRates(config: ReviewConfig, useCase: string): SamplingRates {
  const own = config.useCases[useCase] ?? {};
  return {
    sampleRate: own.sampleRate ?? config.sampleRate,
    lowConfidenceRate: own.lowConfidenceRate ?? config.lowConfidenceRate,
    lowConfidenceBelow: own.lowConfidenceBelow ?? config.lowConfidenceBelow,
    refusedRate: own.refusedRate ?? config.refusedRate,
    negativeFeedbackRate: own.negativeFeedbackRate ?? config.negativeFeedbackRate,
  };
}

/** The trace's draw in [0, 1): the first 48 bits of sha256("review:" + traceId). */
export function reviewDraw(traceId: string): number {
  const hex = createHash('sha256').update(`review:${traceId}`).digest('hex').slice(0, 12);
  return Number.parseInt(hex, 16) / 2 ** 48;
}

export interface SampleDecision {
  readonly sampled: boolean;
  readonly stratum: ReviewStratum;
  readonly rate: number;
  readonly draw: number;
}

/**
 * Which stratum an answer belongs to (the applicable one with the highest rate; ties in the order of
 * `reviewStrata`) and whether it is sampled.
 */
export function sampleDecision(
  rates: SamplingRates,
  traceId: string,
  answer: { readonly confidence: number | null; readonly refused: boolean; readonly negativeFeedback?: boolean },
): SampleDecision {
  const applicable: Array<[ReviewStratum, number]> = [];
  if (answer.negativeFeedback) applicable.push(['negative-feedback', rates.negativeFeedbackRate]);
  if (answer.confidence !== null && answer.confidence < rates.lowConfidenceBelow) {
    applicable.push(['low-confidence', rates.lowConfidenceRate]);
  }
  if (answer.refused) applicable.push(['refused', rates.refusedRate]);
  applicable.push(['base', rates.sampleRate]);
  let best = applicable[0] as [ReviewStratum, number];
  for (const entry of applicable) if (entry[1] > best[1]) best = entry;
  const draw = reviewDraw(traceId);
  return { sampled: draw < best[1], stratum: best[0], rate: best[1], draw };
}

export interface SampledAnswer {
  readonly traceId: string;
  readonly useCase: string;
  readonly askerId: string;
  readonly stratum: ReviewStratum;
  readonly confidence: number | null;
  readonly refused: boolean;
  readonly at: Date;
}

/**
 * Puts a sampled answer in the queue; idempotent per trace. An answer already waiting moves to the
 * negative-feedback stratum when feedback enqueues it again (it is then served first). Not audited: sampling
 * is the platform's own bookkeeping, like the usage rollups; the grade is the audited write.
 */
export async function enqueueSampledAnswer(db: Queryable, answer: SampledAnswer, ids: IdGenerator = newId): Promise<void> {
  await db.query(
    `INSERT INTO review_items (id, trace_id, use_case, asker_id, stratum, confidence, refused, sampled_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (trace_id) DO UPDATE SET stratum = EXCLUDED.stratum
       WHERE review_items.status = 'pending' AND EXCLUDED.stratum = 'negative-feedback'`,
    [ids('rev'), answer.traceId, answer.useCase, answer.askerId, answer.stratum, answer.confidence, answer.refused, answer.at],
  );
}

export interface ReviewSampler {
  /** Resolves when every queue write started so far has finished (tests, shutdown). */
  flush(): Promise<void>;
  /** Stops listening and waits for the writes in flight. */
  close(): Promise<void>;
}

/** Subscribes sampling to answers and negative feedback. A failing write is logged with the trace id only. */
export function createReviewSampler(deps: {
  db: Database;
  events: EventBus;
  logger: Logger;
  config: ReviewConfig;
  /** `observe.textRetention`: under `drop` nothing is sampled. */
  textRetention: 'keep' | 'redact' | 'drop';
  clock?: Clock;
}): ReviewSampler {
  const clock = deps.clock ?? systemClock;
  const pending = new Set<Promise<void>>();
  const track = (traceId: string, work: () => Promise<void>) => {
    const tracked = work()
      .catch((error) => deps.logger.warn('review sampling failed', { traceId, error }))
      .finally(() => pending.delete(tracked));
    pending.add(tracked);
  };
  const unsubscribe =
    deps.textRetention === 'drop'
      ? []
      : [
          deps.events.subscribe('answer-end', (e) => {
            // Answers inside another operation's trace (evaluation cases) are not production answers.
            if (e.nested) return;
            const decision = sampleDecision(samplingRates(deps.config, e.useCase), e.traceId, {
              confidence: e.confidence,
              refused: e.refused,
            });
            if (!decision.sampled) return;
            const at = clock.now();
            track(e.traceId, () =>
              enqueueSampledAnswer(deps.db, {
                traceId: e.traceId,
                useCase: e.useCase,
                askerId: e.callerId,
                stratum: decision.stratum,
                confidence: e.confidence,
                refused: e.refused,
                at,
              }),
            );
          }),
          deps.events.subscribe('feedback-recorded', (e) => {
            if (e.rating >= 0) return;
            // The cheap test first: most traces' draws are above the rate and cost no query.
            if (reviewDraw(e.traceId) >= highestRate(deps.config)) return;
            const at = clock.now();
            track(e.traceId, async () => {
              const facts = (await answerTraceFacts(deps.db, [e.traceId])).get(e.traceId);
              if (!facts || facts.textRetention === 'drop') return;
              const decision = sampleDecision(samplingRates(deps.config, facts.useCase), e.traceId, {
                confidence: facts.confidence,
                refused: facts.refused,
                negativeFeedback: true,
              });
              if (!decision.sampled) return;
              await enqueueSampledAnswer(deps.db, {
                traceId: e.traceId,
                useCase: facts.useCase,
                askerId: facts.callerId,
                stratum: decision.stratum,
                confidence: facts.confidence,
                refused: facts.refused,
                at,
              });
            });
          }),
        ];
  const flush = async () => {
    while (pending.size > 0) await Promise.all([...pending]);
  };
  return {
    flush,
    async close() {
      for (const stop of unsubscribe) stop();
      await flush();
    },
  };
}

/** The highest rate any answer could be sampled at (an upper bound for the cheap test). */
function highestRate(config: ReviewConfig): number {
  const overrides = Object.values(config.useCases).flatMap((own) =>
    [own.negativeFeedbackRate, own.lowConfidenceRate, own.refusedRate, own.sampleRate].filter(
      (r): r is number => r !== undefined,
    ),
  );
  return Math.max(config.negativeFeedbackRate, config.lowConfidenceRate, config.refusedRate, config.sampleRate, ...overrides);
}
