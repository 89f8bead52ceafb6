import { z } from 'zod';
import { GroundworkError } from '../../core/index.ts';
import {
  addVocabularyEntry,
  exportTrainingPairs,
  listVocabulary,
  removeVocabularyEntry,
  suggestVocabulary,
  type TrainingPair,
  vocabularyHistory,
} from '../../vocabulary/index.ts';
import { defineRoute, type RouteDefinition } from '../define-route.ts';

const anyJson = z.record(z.string(), z.unknown());
const useCase = z.string().min(1).max(128);
const text = z.string().min(1).max(200);

/** The domain vocabulary (vocabulary/, docs/vocabulary.md). */
export function vocabularyRoutes(): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/vocabulary',
      summary: 'Synonyms and acronyms (of a use case and the global ones, or all), with the current version',
      tags: ['vocabulary'],
      scope: 'vocabulary:read',
      request: { query: z.strictObject({ useCase: useCase.optional() }) },
      responses: { 200: { description: '`{version, entries}`', schema: anyJson } },
      handler: async ({ platform, caller, query }) =>
        listVocabulary(platform.db, caller, query.useCase ? { useCase: query.useCase } : {}),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/vocabulary/history',
      summary: 'Every version of the vocabulary, newest first',
      tags: ['vocabulary'],
      scope: 'vocabulary:read',
      request: { query: z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).optional() }) },
      responses: { 200: { description: '`{versions}`', schema: anyJson } },
      handler: async ({ platform, caller, query }) => ({
        versions: await vocabularyHistory(platform.db, caller, query.limit ? { limit: query.limit } : {}),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/vocabulary',
      summary: 'Add a term with its equivalents (merged into an existing entry); applies to the next query',
      tags: ['vocabulary'],
      scope: 'vocabulary:write',
      request: {
        body: z.strictObject({
          term: text,
          expansions: z.array(text).min(1).max(50),
          kind: z.string().max(16).optional(),
          useCase: useCase.optional(),
        }),
      },
      responses: { 201: { description: 'The entry', schema: anyJson } },
      handler: async ({ platform, caller, body, requestId, c }) =>
        c.json(await addVocabularyEntry(platform.db, caller, body, { requestId }), 201),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/vocabulary/remove',
      summary: 'Remove equivalents from a term (the whole entry without `expansions`)',
      tags: ['vocabulary'],
      scope: 'vocabulary:write',
      request: {
        body: z.strictObject({ term: text, expansions: z.array(text).max(50).optional(), useCase: useCase.optional() }),
      },
      responses: { 200: { description: '`{entry}` (null when removed)', schema: anyJson } },
      handler: async ({ platform, caller, body, requestId }) => ({
        entry: await removeVocabularyEntry(platform.db, caller, body, { requestId }),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/vocabulary/suggestions',
      summary: 'Suggested acronyms (with counts and example documents you may read) and clusters of questions that found nothing',
      tags: ['vocabulary'],
      scope: 'vocabulary:read',
      request: {
        query: z.strictObject({
          useCase: useCase.optional(),
          minCount: z.coerce.number().int().min(1).max(1_000_000).optional(),
          limit: z.coerce.number().int().min(1).max(1000).optional(),
        }),
      },
      responses: { 200: { description: '`{acronyms, queries, scannedChunks}`', schema: anyJson } },
      handler: async ({ platform, caller, query }) =>
        suggestVocabulary(platform.db, caller, {
          ...(query.useCase ? { useCase: query.useCase } : {}),
          ...(query.minCount ? { minCount: query.minCount } : {}),
          ...(query.limit ? { limit: query.limit } : {}),
        }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/vocabulary/export-pairs',
      summary:
        'Training pairs {query, positive, hardNegatives} as JSONL from eval datasets, graded reviews and positive feedback (only passages you may read)',
      tags: ['vocabulary'],
      scope: 'vocabulary:write',
      request: {
        body: z
          .strictObject({
            format: z.string().max(16).optional(),
            dataset: z.string().min(1).max(200).optional(),
            negatives: z.number().int().optional(),
            limit: z.number().int().min(1).max(100_000).optional(),
            reviews: z.boolean().optional(),
            feedback: z.boolean().optional(),
          })
          .default({}),
      },
      responses: {
        200: {
          description: 'With `format: jsonl`: one JSON pair per line (application/x-ndjson); without: `{pairs, count, skipped}`',
          schema: anyJson,
        },
      },
      handler: async ({ platform, caller, body, c }) => {
        if (body.format !== undefined && body.format !== 'jsonl') {
          throw new GroundworkError('vocabulary.invalid_option', `--format ${body.format} is not supported (only jsonl).`, {
            category: 'usage',
            fix: 'Use --format jsonl.',
          });
        }
        const pairs: TrainingPair[] = [];
        const iterator = exportTrainingPairs({ db: platform.db, retriever: platform.retriever }, caller, {
          ...(body.dataset ? { dataset: body.dataset } : {}),
          ...(body.negatives !== undefined ? { negatives: body.negatives } : {}),
          ...(body.limit ? { limit: body.limit } : {}),
          ...(body.reviews !== undefined ? { reviews: body.reviews } : {}),
          ...(body.feedback !== undefined ? { feedback: body.feedback } : {}),
        });
        let step = await iterator.next();
        while (!step.done) {
          pairs.push(step.value);
          step = await iterator.next();
        }
        // `format: jsonl` (the CLI's --format jsonl): one pair per line; without a format: JSON with the counts.
        if (body.format === 'jsonl') {
          return c.body(pairs.map((p) => `${JSON.stringify(p)}\n`).join(''), 200, {
            'content-type': 'application/x-ndjson; charset=utf-8',
          });
        }
        return { pairs, count: step.value.pairs, skipped: step.value.skipped };
      },
    }),
  ];
}
