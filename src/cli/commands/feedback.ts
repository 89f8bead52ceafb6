import type { Command } from 'commander';
import { useCaseCard } from '../../answer/index.ts';
import { GroundworkError, localOperator } from '../../core/index.ts';
import {
  type FeedbackCategory,
  type FeedbackStatus,
  feedbackCategories,
  feedbackStatuses,
  listFeedback,
  updateFeedbackStatus,
} from '../../govern/index.ts';
import { useCaseReleaseNotes } from '../../incidents/index.ts';
import { feedbackViews } from '../../server/index.ts';
import type { CliRuntime } from '../context.ts';
import { exitCodes } from '../exit-codes.ts';
import { table } from '../output.ts';

interface FeedbackJson {
  id: string;
  createdAt: string;
  useCase: string | null;
  rating: number;
  category: string | null;
  status: string;
  statusNote: string | null;
  callerId: string;
  comment: string | null;
  question?: string | null;
}

const invalidOption = (message: string, fix: string) =>
  new GroundworkError('cli.invalid_option', message, { category: 'usage', fix });

function limitOf(value: string | undefined, max: number): number | undefined {
  if (value === undefined) return undefined;
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    throw invalidOption(`--limit ${value} is not a number from 1 to ${max}.`, `Give --limit a whole number from 1 to ${max}.`);
  }
  return limit;
}

function statusesOf(value: string | undefined): FeedbackStatus[] | undefined {
  if (value === undefined) return undefined;
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = list.filter((s) => !(feedbackStatuses as readonly string[]).includes(s));
  if (bad.length > 0 || list.length === 0) {
    throw invalidOption(
      `--status ${value} is not a feedback status.`,
      `Use one or more of: ${feedbackStatuses.join(', ')} (comma-separated).`,
    );
  }
  return list as FeedbackStatus[];
}

function dateOf(flag: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime()))
    throw invalidOption(`${flag} ${value} is not a date.`, `Give ${flag} as a date, e.g. 2026-01-31.`);
  return date;
}

function feedbackTable(list: readonly FeedbackJson[], empty: string): string {
  if (list.length === 0) return empty;
  return table(
    ['ID', 'CREATED', 'USE CASE', 'RATING', 'CATEGORY', 'STATUS', 'NOTE', 'BY', 'COMMENT'],
    list.map((f) => [
      f.id,
      f.createdAt.slice(0, 16),
      f.useCase ?? '—',
      f.rating > 0 ? '+1' : '-1',
      f.category ?? '',
      f.status,
      (f.statusNote ?? '').slice(0, 50),
      f.callerId,
      (f.comment ?? '').slice(0, 50),
    ]),
  );
}

/**
 * `groundwork feedback mine|list|update`: feedback users can see — your own with its status, the triage list
 * with filters, and status changes (one or many ids, all or nothing); `use-cases release-notes|card NAME`.
 */
export function registerFeedbackCommands(program: Command, runtime: CliRuntime): void {
  const feedback = program
    .command('feedback')
    .description('feedback on answers: your own, triage (open, planned, fixed, wont_fix)');

  feedback
    .command('mine')
    .description('your own feedback with its status and the triager’s note (with --server: as the key’s person)')
    .option('--status <status>', `only this status: ${feedbackStatuses.join(', ')}`)
    .option('--use-case <name>', 'only feedback on answers of this use case')
    .option('--limit <n>', 'at most this many (1–200, default 100)')
    .action(
      runtime.action(async (context, options: { status?: string; useCase?: string; limit?: string }) => {
        const status = statusesOf(options.status)?.[0];
        const limit = limitOf(options.limit, 200);
        const api = context.api();
        const query = new URLSearchParams({
          ...(status ? { status } : {}),
          ...(options.useCase ? { useCase: options.useCase } : {}),
          ...(limit ? { limit: String(limit) } : {}),
        }).toString();
        const result = api
          ? await api.get<{ feedback: FeedbackJson[] }>(`/v1/feedback/mine${query ? `?${query}` : ''}`)
          : await (async () => {
              const platform = await context.platform();
              const list = await listFeedback(platform.db, localOperator, {
                scope: 'own',
                ...(status ? { status: [status] } : {}),
                ...(options.useCase ? { useCase: options.useCase } : {}),
                ...(limit ? { limit } : {}),
              });
              return { feedback: (await feedbackViews(platform, localOperator, list)) as unknown as FeedbackJson[] };
            })();
        context.output.result(result, (r) => feedbackTable(r.feedback, 'You have given no feedback.'));
        return exitCodes.ok;
      }),
    );

  feedback
    .command('list')
    .description('feedback to triage, newest first, with filters (--inbox: only the use cases you own or approve)')
    .option('--use-case <name>', 'only this use case')
    .option('--status <list>', `comma-separated: ${feedbackStatuses.join(', ')}`)
    .option('--rating <r>', '1 (helpful) or -1 (not helpful)')
    .option('--category <c>', `one of: ${feedbackCategories.join(', ')}`)
    .option('--since <date>', 'created at or after')
    .option('--until <date>', 'created before')
    .option('--text <words>', 'in the comment or the triager’s note')
    .option('--inbox', 'only the use cases you triage (owner or approver; admins all), with the question')
    .option('--limit <n>', 'at most this many (1–1000, default 100)')
    .action(
      runtime.action(
        async (
          context,
          options: {
            useCase?: string;
            status?: string;
            rating?: string;
            category?: string;
            since?: string;
            until?: string;
            text?: string;
            inbox?: boolean;
            limit?: string;
          },
        ) => {
          const status = statusesOf(options.status);
          if (options.rating !== undefined && options.rating !== '1' && options.rating !== '-1') {
            throw invalidOption(
              `--rating ${options.rating} is not a rating.`,
              'Use --rating 1 (helpful) or --rating -1 (not helpful).',
            );
          }
          if (options.category !== undefined && !(feedbackCategories as readonly string[]).includes(options.category)) {
            throw invalidOption(
              `--category ${options.category} is not a category.`,
              `Use one of: ${feedbackCategories.join(', ')}.`,
            );
          }
          const since = dateOf('--since', options.since);
          const until = dateOf('--until', options.until);
          const limit = limitOf(options.limit, 1000);
          const api = context.api();
          let result: { feedback: FeedbackJson[] };
          if (api) {
            const query = new URLSearchParams({
              ...(options.useCase ? { useCase: options.useCase } : {}),
              ...(status ? { status: status.join(',') } : {}),
              ...(options.rating ? { rating: options.rating } : {}),
              ...(options.category ? { category: options.category } : {}),
              ...(since ? { since: since.toISOString() } : {}),
              ...(until ? { until: until.toISOString() } : {}),
              ...(options.text ? { q: options.text } : {}),
              ...(options.inbox ? { inbox: 'true' } : {}),
              ...(limit ? { limit: String(limit) } : {}),
            }).toString();
            result = await api.get<{ feedback: FeedbackJson[] }>(`/v1/feedback${query ? `?${query}` : ''}`);
          } else {
            const platform = await context.platform();
            const list = await listFeedback(platform.db, localOperator, {
              scope: 'all',
              ...(options.useCase ? { useCase: options.useCase } : {}),
              ...(status ? { status } : {}),
              ...(options.rating ? { rating: options.rating === '1' ? 1 : -1 } : {}),
              ...(options.category ? { category: options.category as FeedbackCategory } : {}),
              ...(since ? { since } : {}),
              ...(until ? { until } : {}),
              ...(options.text ? { text: options.text } : {}),
              ...(limit ? { limit } : {}),
            });
            result = {
              feedback: (options.inbox
                ? await feedbackViews(platform, localOperator, list)
                : JSON.parse(JSON.stringify(list))) as FeedbackJson[],
            };
          }
          context.output.result(result, (r) => feedbackTable(r.feedback, 'No feedback matches.'));
          return exitCodes.ok;
        },
      ),
    );

  feedback
    .command('update')
    .description('set the status of one or more feedback entries, with a note for the reporter (all or nothing)')
    .argument('<ids...>', 'feedback ids (fb_…)')
    .requiredOption('--status <status>', feedbackStatuses.join(', '))
    .option('--note <text>', 'for the reporter (required for wont_fix; at most 2,000 characters)')
    .action(
      runtime.action(async (context, ids: string[], options: { status: string; note?: string }) => {
        const api = context.api();
        const body = { status: options.status, ...(options.note !== undefined ? { note: options.note } : {}) };
        const updated = api
          ? ids.length === 1
            ? [await api.request<FeedbackJson>('PATCH', `/v1/feedback/${encodeURIComponent(ids[0] as string)}`, { body })]
            : (await api.post<{ feedback: FeedbackJson[] }>('/v1/feedback/bulk', { ids, ...body })).feedback
          : await (async () => {
              const platform = await context.platform();
              const list = await updateFeedbackStatus(
                platform.db,
                localOperator,
                { ids, ...body },
                { ownershipOf: platform.governance.ownershipOf, events: platform.events, clock: platform.clock },
              );
              return JSON.parse(JSON.stringify(list)) as FeedbackJson[];
            })();
        context.output.result({ updated: updated.length, feedback: updated }, (r) =>
          [
            `${r.updated} feedback entr${r.updated === 1 ? 'y' : 'ies'} now ${options.status}.`,
            feedbackTable(r.feedback, ''),
          ].join('\n'),
        );
        return exitCodes.ok;
      }),
    );

  const useCases = program.commands.find((command) => command.name() === 'use-cases');
  if (!useCases) {
    throw new GroundworkError('cli.missing_command', 'The use-cases command is not registered.', { category: 'internal' });
  }
  useCases
    .command('release-notes <name>')
    .description('what changed in the use case, for its users: versions going live, settings, sources, incidents, fixes')
    .option('--limit <n>', 'at most this many entries (1–500, default 50)')
    .action(
      runtime.action(async (context, name: string, options: { limit?: string }) => {
        const limit = limitOf(options.limit, 500);
        const api = context.api();
        type Notes = { useCase: string; entries: Array<{ at: string; kind: string; title: string; details?: string }> };
        const notes = api
          ? await api.get<Notes>(`/v1/use-cases/${encodeURIComponent(name)}/release-notes${limit ? `?limit=${limit}` : ''}`)
          : await (async () => {
              const platform = await context.platform();
              const result = await useCaseReleaseNotes(platform.db, localOperator, name, {
                governance: platform.governance,
                ...(limit ? { limit } : {}),
              });
              return JSON.parse(JSON.stringify(result)) as Notes;
            })();
        context.output.result(notes, (n) =>
          n.entries.length === 0
            ? `Nothing has changed in ${n.useCase} yet.`
            : n.entries.map((e) => `${e.at.slice(0, 10)}  ${e.title}${e.details ? ` — ${e.details}` : ''}`).join('\n'),
        );
        return exitCodes.ok;
      }),
    );
  useCases
    .command('card <name>')
    .description('what this assistant can and cannot do, the sources it searches, when to verify')
    .action(
      runtime.action(async (context, name: string) => {
        const api = context.api();
        type Card = {
          useCase: string;
          canDo: string[];
          cannotDo: string[];
          verifyWhen: string[];
          sources: string[];
          derived: boolean;
        };
        const card = api
          ? await api.get<Card>(`/v1/use-cases/${encodeURIComponent(name)}/card`)
          : await (async () => {
              const platform = await context.platform();
              return JSON.parse(JSON.stringify(await useCaseCard(platform.db, localOperator, name))) as Card;
            })();
        context.output.result(card, (c) =>
          [
            `${c.useCase}${c.derived ? ' (default card: no card written yet)' : ''}`,
            'Can do:',
            ...c.canDo.map((l) => `  - ${l}`),
            'Cannot do:',
            ...c.cannotDo.map((l) => `  - ${l}`),
            'Verify when:',
            ...c.verifyWhen.map((l) => `  - ${l}`),
            `Sources: ${c.sources.join(', ') || '—'}`,
          ].join('\n'),
        );
        return exitCodes.ok;
      }),
    );
}
