import { usableUseCaseNames } from '../answer/index.ts';
import { type Caller, GroundworkError } from '../core/index.ts';
import { listDatasets, loadDataset } from '../evaluate/index.ts';
import { authorize, hasScope, listFeedback } from '../govern/index.ts';
import { chunkSnippets } from '../ingest/index.ts';
import { getTrace } from '../observe/index.ts';
import { readableDocumentIds } from '../protect/index.ts';
import type { Retriever } from '../retrieve/index.ts';
import { getReview, listReviews } from '../review/index.ts';
import type { Queryable } from '../store/index.ts';

/**
 * Training pairs for fine-tuning an embedding model (`groundwork vocabulary export-pairs --format jsonl`,
 * docs/vocabulary.md): `{query, positive, hardNegatives}` from evaluation datasets (a case's question and a
 * passage of a document judged relevant), graded reviews (a question graded correct and a passage it cited)
 * and positive feedback (a question rated helpful and the first passage its answer cited).
 * Every passage comes from a search run AS the exporting caller, so only documents they may read now appear;
 * hard negatives are the top BM25 hits for the query that are not positives (BM25: the lexical near-misses
 * a dense model most needs to learn to tell apart).
 */

export interface TrainingPair {
  readonly query: string;
  readonly positive: string;
  readonly hardNegatives: readonly string[];
  /** Where the pair came from: `eval:<dataset>/<case>`, `review:<id>` or `feedback:<id>`. */
  readonly origin: string;
  readonly positiveDocumentId: string;
}

export interface ExportPairsOptions {
  /** Only this evaluation dataset (name or name@version); default every dataset. */
  readonly dataset?: string;
  /** Hard negatives per pair (default 3, at most 20). */
  readonly negatives?: number;
  /** Include graded reviews (default true when the caller may read reviews). */
  readonly reviews?: boolean;
  /** Include positive feedback (default true when the caller may read feedback). */
  readonly feedback?: boolean;
  /** Stop after this many pairs (default 10,000). */
  readonly limit?: number;
}

export interface ExportPairsReport {
  readonly pairs: number;
  /** Cases or reviews without a positive passage the caller may read in the top results. */
  readonly skipped: number;
}

/** Yields pairs, then returns counts. Authorized: `vocabulary:write` and `eval:read`. */
export async function* exportTrainingPairs(
  deps: { readonly db: Queryable; readonly retriever: Retriever },
  caller: Caller,
  options: ExportPairsOptions = {},
): AsyncGenerator<TrainingPair, ExportPairsReport> {
  authorize(caller, 'vocabulary:write');
  authorize(caller, 'eval:read');
  const negatives = options.negatives ?? 3;
  if (!Number.isInteger(negatives) || negatives < 0 || negatives > 20) {
    throw new GroundworkError(
      'vocabulary.invalid_option',
      `--negatives must be an integer from 0 to 20 (got ${options.negatives}).`,
      {
        category: 'usage',
        fix: 'e.g. --negatives 3.',
      },
    );
  }
  const limit = options.limit ?? 10_000;
  let pairs = 0;
  let skipped = 0;
  const depth = Math.max(10, negatives + 5);
  const search = (query: string) =>
    deps.retriever.search({ query, caller, k: depth, mode: 'lexical', highlight: false, rerank: false });

  const datasets = options.dataset ? [options.dataset] : (await listDatasets(deps.db)).map((d) => `${d.name}@${d.version}`);
  for (const reference of datasets) {
    const dataset = await loadDataset(deps.db, reference);
    for (const evalCase of dataset.cases) {
      if (pairs >= limit) return { pairs, skipped };
      if (evalCase.expectRefusal || evalCase.question.trim() === '') continue;
      const relevantDocs = new Set(evalCase.relevantDocumentIds);
      const relevantChunks = new Set(evalCase.relevantChunkIds);
      const isPositive = (hit: { documentId: string; chunkId: string }) =>
        relevantChunks.has(hit.chunkId) || relevantDocs.has(hit.documentId);
      const { hits } = await search(evalCase.question);
      const positive = hits.find(isPositive);
      if (!positive) {
        skipped += 1;
        continue;
      }
      pairs += 1;
      yield {
        query: evalCase.question,
        positive: positive.text,
        hardNegatives: hits
          .filter((h) => !isPositive(h))
          .slice(0, negatives)
          .map((h) => h.text),
        origin: `eval:${dataset.name}@${dataset.version}/${evalCase.externalId}`,
        positiveDocumentId: positive.documentId,
      };
    }
  }

  if (options.reviews !== false && hasScope(caller, 'reviews:read')) {
    for (const item of await listReviews(deps.db, caller, { status: 'graded', limit: 1000 })) {
      if (pairs >= limit) break;
      if (item.verdict !== 'correct') continue;
      // Passages the caller may read now only (getReview withholds the rest).
      const review = await getReview(deps.db, caller, item.id);
      const cited = review.passages[0];
      if (!review.question || !cited) {
        skipped += 1;
        continue;
      }
      const citedDocs = new Set(review.passages.map((p) => p.documentId));
      const { hits } = await search(review.question);
      pairs += 1;
      yield {
        query: review.question,
        positive: cited.text,
        hardNegatives: hits
          .filter((h) => !citedDocs.has(h.documentId))
          .slice(0, negatives)
          .map((h) => h.text),
        origin: `review:${item.id}`,
        positiveDocumentId: cited.documentId,
      };
    }
  }

  if (options.feedback !== false && hasScope(caller, 'feedback:read') && pairs < limit) {
    // Other people's feedback only on the use cases the caller may use; their traces as observe shows them.
    const usable = await usableUseCaseNames(deps.db, caller);
    const positives = await listFeedback(deps.db, caller, { scope: 'all', othersOnlyOn: usable, rating: 1, limit: 1000 });
    for (const feedback of positives) {
      if (pairs >= limit) break;
      const trace = await getTrace(deps.db, caller, feedback.traceId, { reviewableUseCases: usable });
      const citations = (trace?.spans ?? []).flatMap((span) => span.citations ?? []).filter((c) => !c.restricted);
      const readable = await readableDocumentIds(
        deps.db,
        caller,
        citations.map((c) => c.documentId),
      );
      const cited = citations.find((c) => readable.has(c.documentId));
      const texts = cited ? await chunkSnippets(deps.db, [cited.chunkId], [...readable], 8000) : new Map<string, string>();
      const positive = cited ? texts.get(cited.chunkId) : undefined;
      if (!trace?.question || !cited || !positive) {
        skipped += 1;
        continue;
      }
      const citedDocs = new Set(citations.map((c) => c.documentId));
      const { hits } = await search(trace.question);
      pairs += 1;
      yield {
        query: trace.question,
        positive,
        hardNegatives: hits
          .filter((h) => !citedDocs.has(h.documentId))
          .slice(0, negatives)
          .map((h) => h.text),
        origin: `feedback:${feedback.id}`,
        positiveDocumentId: cited.documentId,
      };
    }
  }
  return { pairs, skipped };
}
