import type { Command } from 'commander';
import { localOperator } from '../../core/index.ts';
import type { Candidate } from '../../evaluate/index.ts';
import {
  getReview,
  gradeReview,
  listReviews,
  nextReview,
  type ReviewDetail,
  type ReviewItem,
  reviewToCandidate,
} from '../../review/index.ts';
import type { CliRuntime } from '../context.ts';
import { exitCodes } from '../exit-codes.ts';
import { table } from '../output.ts';
import { parseLimit } from './traces.ts';

type Json<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K] };

/** Dates as ISO text: local results and API replies print the same JSON. */
const asJson = <T>(value: T): Json<T> => JSON.parse(JSON.stringify(value)) as Json<T>;

function describeItem(item: Json<ReviewDetail>): string {
  const lines = [
    `Review ${item.id} — ${item.useCase}, ${item.stratum}${item.confidence === null ? '' : `, confidence ${item.confidence.toFixed(2)}`}${item.refused ? ', refused' : ''}`,
    `status ${item.status}${item.claimedBy ? ` (claimed by ${item.claimedBy} until ${item.leaseUntil})` : ''}  trace ${item.traceId}`,
    '',
    `Question: ${item.question ?? '[not kept]'}`,
    `Answer:   ${item.answer ?? (item.answerWithheld === 'restricted' ? '[withheld: it used a document you may not read now]' : '[not kept]')}`,
    '',
  ];
  if (item.passages.length === 0) lines.push('No cited passages you may read.');
  for (const p of item.passages) lines.push(`[${p.n ?? '-'}] ${p.title}`, `    ${p.text}`);
  if (item.withheldPassages > 0)
    lines.push(`${item.withheldPassages} cited passage(s) withheld (documents you may not read now)`);
  if (item.status === 'graded') {
    lines.push(
      '',
      `Graded ${item.verdict}${item.grounded === null ? '' : item.grounded ? ', grounded' : ', not grounded'} by ${item.gradedBy}${item.overridden ? ' (override)' : ''}`,
    );
    if (item.correctedAnswer) lines.push(`Corrected: ${item.correctedAnswer}`);
    if (item.reason) lines.push(`Reason: ${item.reason}`);
    if (item.candidateId) lines.push(`Evaluation candidate: ${item.candidateId}`);
  } else if (item.ownAnswer) {
    lines.push('', 'You asked this question: another reviewer grades it (four eyes).');
  } else {
    lines.push('', `Grade it: groundwork review grade ${item.id} --verdict correct|partially|wrong [--grounded yes|no]`);
  }
  return lines.join('\n');
}

/** `groundwork review next|grade|list|show|candidate` (local store or --server). */
export function registerReviewCommands(program: Command, runtime: CliRuntime): void {
  const review = program
    .command('review')
    .description('the human review queue: sampled production answers to grade (docs/review.md)');

  review
    .command('next')
    .description('claim the next sampled answer (with a lease) and show it with the cited passages you may read')
    .option('--use-case <name>', 'only this use case')
    .action(
      runtime.action(async (context, options: { useCase?: string }) => {
        const api = context.api();
        let item: Json<ReviewDetail> | null;
        if (api) {
          item = (
            await api.post<{ item: Json<ReviewDetail> | null }>(
              '/v1/reviews/next',
              options.useCase ? { useCase: options.useCase } : {},
            )
          ).item;
        } else {
          const platform = await context.platform();
          const found = await nextReview(platform.db, localOperator, {
            ...(options.useCase ? { useCase: options.useCase } : {}),
            clock: platform.clock,
            leaseMinutes: platform.config.review.leaseMinutes,
          });
          item = found ? asJson(found) : null;
        }
        context.output.result({ item }, (r) => (r.item ? describeItem(r.item) : 'Nothing waiting for review.'));
        return exitCodes.ok;
      }),
    );

  review
    .command('grade <id>')
    .description('grade a review item (audited; publishes answer-reviewed for the override rate)')
    .requiredOption('--verdict <verdict>', 'correct | partially | wrong')
    .option('--grounded <yes|no>', 'whether the answer is supported by its passages')
    .option('--corrected <text>', 'the corrected answer')
    .option('--reason <text>', 'why')
    .option('--to-eval', 'also propose it as an evaluation candidate (the corrected answer as expected answer)')
    .action(
      runtime.action(
        async (
          context,
          id: string,
          options: { verdict: string; grounded?: string; corrected?: string; reason?: string; toEval?: boolean },
        ) => {
          const input = {
            verdict: options.verdict,
            ...(options.grounded === undefined ? {} : { grounded: options.grounded }),
            ...(options.corrected === undefined ? {} : { correctedAnswer: options.corrected }),
            ...(options.reason === undefined ? {} : { reason: options.reason }),
            ...(options.toEval ? { toEval: true } : {}),
          };
          const api = context.api();
          let graded: Json<ReviewDetail & { candidate?: Candidate }>;
          if (api) graded = await api.post(`/v1/reviews/${encodeURIComponent(id)}/grade`, input);
          else {
            const platform = await context.platform();
            graded = asJson(
              await gradeReview(platform.db, localOperator, id, input, { clock: platform.clock, events: platform.events }),
            );
          }
          context.output.result(
            graded,
            (g) =>
              `Graded ${g.id}: ${g.verdict}${g.overridden ? ' (counts as an override)' : ''}.${g.candidate ? ` Evaluation candidate ${g.candidate.id} proposed.` : ''}`,
          );
          return exitCodes.ok;
        },
      ),
    );

  review
    .command('list')
    .description('the review queue of the use cases you review, newest first')
    .option('--use-case <name>', 'only this use case')
    .option('--status <status>', 'pending | graded')
    .option('--limit <n>', 'at most this many (default 100)')
    .action(
      runtime.action(async (context, options: { useCase?: string; status?: string; limit?: string }) => {
        const limit = parseLimit(options.limit, 100);
        const api = context.api();
        let reviews: Json<ReviewItem>[];
        if (api) {
          const query = new URLSearchParams({ limit: String(limit) });
          if (options.useCase) query.set('useCase', options.useCase);
          if (options.status) query.set('status', options.status);
          reviews = (await api.get<{ reviews: Json<ReviewItem>[] }>(`/v1/reviews?${query}`)).reviews;
        } else {
          const platform = await context.platform();
          reviews = (
            await listReviews(platform.db, localOperator, {
              ...(options.useCase ? { useCase: options.useCase } : {}),
              ...(options.status ? { status: options.status } : {}),
              limit,
              clock: platform.clock,
            })
          ).map(asJson);
        }
        context.output.result({ reviews }, (r) =>
          r.reviews.length === 0
            ? 'No review items. Answers are sampled as they are asked (review.sampleRate).'
            : table(
                ['ID', 'USE CASE', 'STRATUM', 'STATUS', 'VERDICT', 'SAMPLED (UTC)'],
                r.reviews.map((i) => [
                  i.id,
                  i.useCase,
                  i.stratum,
                  i.claimedBy ? `${i.status} (claimed)` : i.status,
                  i.verdict ?? '',
                  i.sampledAt.slice(0, 19).replace('T', ' '),
                ]),
              ),
        );
        return exitCodes.ok;
      }),
    );

  review
    .command('show <id>')
    .description('one review item with the cited passages you may read')
    .action(
      runtime.action(async (context, id: string) => {
        const api = context.api();
        const item = api
          ? await api.get<Json<ReviewDetail>>(`/v1/reviews/${encodeURIComponent(id)}`)
          : asJson(await getReview((await context.platform()).db, localOperator, id));
        context.output.result(item, describeItem);
        return exitCodes.ok;
      }),
    );

  review
    .command('candidate <id>')
    .description('turn a graded review into a pending evaluation candidate (accept it with `groundwork eval candidates accept`)')
    .action(
      runtime.action(async (context, id: string) => {
        const api = context.api();
        const candidate = api
          ? (await api.post<{ candidate: Json<Candidate> }>(`/v1/reviews/${encodeURIComponent(id)}/candidate`, {})).candidate
          : asJson(await reviewToCandidate((await context.platform()).db, localOperator, id));
        context.output.result(candidate, (c) => `Evaluation candidate ${c.id} (pending) from review ${id}.`);
        return exitCodes.ok;
      }),
    );
}
