import type { Command } from 'commander';
import { purgeUsageAnswers } from '../../adoption/index.ts';
import { GroundworkError, localOperator } from '../../core/index.ts';
import {
  getTrace,
  listTraces,
  purgeTraces,
  retentionCutoff,
  type SpanView,
  type TraceDetail,
  type TraceSummary,
} from '../../observe/index.ts';
import type { CliRuntime } from '../context.ts';
import { table } from '../output.ts';

/** `7d`, `12h`, `30m`, `2w` or an ISO date → the instant that far back (or that date). */
export function parseSince(text: string, now: Date = new Date()): Date {
  const match = /^(\d+(?:\.\d+)?)([smhdw])$/.exec(text.trim());
  if (match) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[match[2] as 's' | 'm' | 'h' | 'd' | 'w'];
    return new Date(now.getTime() - Number(match[1]) * unit);
  }
  const date = new Date(text);
  if (/^\d{4}-\d{2}-\d{2}/.test(text) && !Number.isNaN(date.getTime())) return date;
  throw new GroundworkError('cli.bad_since', `--since ${text} is neither a duration nor a date.`, {
    category: 'usage',
    fix: 'Use a duration such as 30m, 24h, 7d, 2w, or a date such as 2026-11-01.',
  });
}

export function parseLimit(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new GroundworkError('cli.bad_limit', `--limit ${text} is not a positive whole number.`, {
      category: 'usage',
      fix: 'Give a number such as --limit 20.',
    });
  }
  return value;
}

const money = (usd: number): string => (usd === 0 ? '$0' : usd < 0.01 ? `$${usd.toFixed(6)}` : `$${usd.toFixed(4)}`);
const ms = (value: number): string => (value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(1)} ms`);

function summaryTable(traces: readonly TraceSummary[]): string {
  if (traces.length === 0) return 'No traces match.';
  return table(
    ['ID', 'STARTED (UTC)', 'OPERATION', 'USE CASE', 'CALLER', 'OUTCOME', 'DURATION', 'TOKENS IN/OUT', 'COST'],
    traces.map((t) => [
      t.id,
      t.startedAt.toISOString().slice(0, 19).replace('T', ' '),
      t.operation,
      t.useCase ?? '',
      t.callerId ?? '',
      `${t.outcome}${t.contextNearLimit ? ' (ctx!)' : ''}`,
      ms(t.durationMs),
      `${t.inputTokens}/${t.outputTokens}`,
      money(t.costUsd),
    ]),
  );
}

/** The span tree with timings: `├─ retrieve  12.3 ms  +0.4 ms`. */
export function renderSpanTree(spans: readonly SpanView[]): string[] {
  const children = new Map<string | null, SpanView[]>();
  const ids = new Set(spans.map((s) => s.spanId));
  for (const span of spans) {
    const parent = span.parentSpanId && ids.has(span.parentSpanId) ? span.parentSpanId : null;
    children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  const lines: string[] = [];
  const shown = new Set<string>();
  const maxChunks = 5;
  const walk = (parent: string | null, prefix: string) => {
    const list = children.get(parent) ?? [];
    list.forEach((span, index) => {
      const last = index === list.length - 1;
      const branch = parent === null ? '' : last ? '└─ ' : '├─ ';
      const details: string[] = [];
      if (span.model) details.push(`${span.provider ? `${span.provider}:` : ''}${span.model}`);
      if (span.inputTokens || span.outputTokens) details.push(`${span.inputTokens} in / ${span.outputTokens} out`);
      if (span.embeddingTokens) details.push(`${span.embeddingTokens} embedded`);
      if (span.costUsd > 0) details.push(money(span.costUsd));
      if (span.contextNearLimit) details.push('CONTEXT NEAR LIMIT');
      const ref = span.attributes['groundwork.source_ref'];
      if (typeof ref === 'string') details.push(ref);
      const pages = span.attributes['groundwork.pages'];
      if (typeof pages === 'number' && pages > 0) details.push(`${pages} page(s)`);
      const ocrPages = span.attributes['groundwork.ocr.pages'] ?? span.attributes['groundwork.parse.ocr_pages'];
      if (typeof ocrPages === 'number' && ocrPages > 0) details.push(`${ocrPages} OCR page(s)`);
      if (span.status === 'error')
        details.push(`ERROR ${span.errorCode ?? ''}${span.errorMessage ? `: ${span.errorMessage}` : ''}`);
      lines.push(
        `${prefix}${branch}${span.name.padEnd(Math.max(1, 22 - prefix.length - branch.length))} ${ms(span.durationMs).padStart(10)}  +${ms(span.offsetMs)}${details.length > 0 ? `  ${details.join(', ')}` : ''}`,
      );
      const inner = `${prefix}${parent === null ? '' : last ? '   ' : '│  '}`;
      // The same list is often on a span and its parent (answer ← retrieve ← retrieve.lexical): show it once.
      const retrieved = span.retrieved ?? [];
      const key = retrieved.map((chunk) => chunk.chunkId).join(',');
      if (retrieved.length > 0 && !shown.has(key)) {
        shown.add(key);
        for (const chunk of retrieved.slice(0, maxChunks)) {
          const snippet = chunk.snippet ? ` — "${chunk.snippet.replace(/\s+/g, ' ').trim().slice(0, 60)}…"` : '';
          lines.push(
            `${inner}   · ${chunk.score === undefined ? '' : `${chunk.score.toFixed(3)} `}${chunk.title}${snippet} (${chunk.chunkId})`,
          );
        }
        if (retrieved.length > maxChunks) lines.push(`${inner}   · … ${retrieved.length - maxChunks} more (--json shows all)`);
      }
      for (const citation of span.citations ?? [])
        lines.push(`${inner}   [${citation.n ?? '?'}] ${citation.title} (${citation.chunkId})`);
      walk(span.spanId, inner);
    });
  };
  walk(null, '');
  return lines;
}

function detailText(trace: TraceDetail): string {
  const lines = [
    `Trace ${trace.id}  ${trace.operation}  ${trace.outcome}${trace.errorCode ? ` (${trace.errorCode})` : ''}`,
    `  started   ${trace.startedAt.toISOString()}  duration ${ms(trace.durationMs)}`,
    `  caller    ${trace.callerId ?? '-'}${trace.callerSeesEverything ? ' (sees everything)' : ''}`,
    `  use case  ${trace.useCase ?? '-'}   prompt ${trace.promptVersion ?? '-'}   model ${trace.provider ? `${trace.provider}:` : ''}${trace.model ?? '-'}`,
    `  tokens    ${trace.inputTokens} in / ${trace.outputTokens} out / ${trace.embeddingTokens} embedded   cost ${money(trace.costUsd)}${trace.confidence === null ? '' : `   confidence ${trace.confidence.toFixed(2)}`}`,
  ];
  if (trace.contextNearLimit) lines.push('  context   NEAR THE MODEL CONTEXT LIMIT');
  const a = trace.attributes;
  if (typeof a['groundwork.egress.provider'] === 'string') {
    const redacted = Object.entries((a['groundwork.egress.redacted'] as Record<string, number> | undefined) ?? {})
      .map(([type, n]) => `${n} ${type}`)
      .join(', ');
    lines.push(
      `  egress    to ${a['groundwork.egress.provider']}: ${Number(a['groundwork.egress.blocked'] ?? 0)} passage(s) blocked, redacted ${redacted || 'nothing'}`,
    );
  }
  if (trace.outcome === 'refused' && typeof a['groundwork.refusal.reason'] === 'string') {
    lines.push(`  refusal   ${a['groundwork.refusal.reason']}`);
  }
  if (typeof a['groundwork.budget.state'] === 'string') lines.push(`  budget    ${a['groundwork.budget.state']}`);
  if (trace.question !== null) lines.push(`  question  ${trace.question}`);
  if (trace.answer !== null) lines.push(`  answer    ${trace.answer.replace(/\n/g, '\n            ')}`);
  else if (trace.answerWithheld === 'restricted')
    lines.push('  answer    [withheld: no longer readable — it used documents you may not read now]');
  else if (trace.answerWithheld === 'retention') lines.push(`  answer    [not kept: text retention ${trace.textRetention}]`);
  lines.push('', ...renderSpanTree(trace.spans));
  return lines.join('\n');
}

/** `groundwork traces list|show|purge`. The CLI on the store acts as the local operator (sees every trace). */
export function registerTracesCommands(program: Command, runtime: CliRuntime): void {
  const traces = program.command('traces').description('request traces: spans, timings, tokens, cost (observe)');

  traces
    .command('list')
    .description('recent traces, newest first')
    .option('--use-case <name>', 'only this use case')
    .option('--user <id>', 'only this caller (e.g. user:alice@example.com)')
    .option('--outcome <outcome>', 'answered, refused, blocked, aborted, error or ok')
    .option('--operation <operation>', 'answer, search, sync, evaluation')
    .option('--since <when>', 'duration back (30m, 24h, 7d) or a date', '7d')
    .option('--limit <n>', 'at most this many (default 50, max 500)')
    .action(
      runtime.action(
        async (
          context,
          options: { useCase?: string; user?: string; outcome?: string; operation?: string; since: string; limit?: string },
        ) => {
          const since = parseSince(options.since);
          const limit = parseLimit(options.limit, 50);
          const platform = await context.platform();
          const rows = await listTraces(platform.db, localOperator, {
            since,
            limit,
            ...(options.useCase ? { useCase: options.useCase } : {}),
            ...(options.user ? { user: options.user } : {}),
            ...(options.outcome ? { outcome: options.outcome } : {}),
            ...(options.operation ? { operation: options.operation } : {}),
          });
          context.output.result({ traces: rows }, (value) => summaryTable(value.traces));
          return 0;
        },
      ),
    );

  traces
    .command('show')
    .description('one trace as a span tree with timings, tokens, cost, retrieved chunks and citations')
    .argument('<id>', 'trace id (trc_…)')
    .action(
      runtime.action(async (context, id: string) => {
        const platform = await context.platform();
        const trace = await getTrace(platform.db, localOperator, id);
        if (!trace) {
          throw new GroundworkError('trace.not_found', `No trace ${id}.`, {
            category: 'not_found',
            fix: `List recent traces with: groundwork traces list (traces older than observe.retentionDays, ${platform.config.observe.retentionDays} days, are purged).`,
          });
        }
        context.output.result(trace, detailText);
        return 0;
      }),
    );

  traces
    .command('purge')
    .description('delete traces older than observe.retentionDays (the server and worker also do this hourly)')
    .option('--older-than <days>', 'override observe.retentionDays for this run')
    .action(
      runtime.action(async (context, options: { olderThan?: string }) => {
        const platform = await context.platform();
        const days = options.olderThan === undefined ? platform.config.observe.retentionDays : Number(options.olderThan);
        if (!Number.isFinite(days) || days < 0) {
          throw new GroundworkError('cli.bad_days', `--older-than ${options.olderThan} is not a number of days.`, {
            category: 'usage',
            fix: 'Give days, e.g. --older-than 30.',
          });
        }
        const cutoff = retentionCutoff(platform.clock.now(), days);
        const purged = await purgeTraces(platform.db, localOperator, cutoff, {
          clock: platform.clock,
          alsoPurge: [purgeUsageAnswers],
        });
        context.output.result(
          { ...purged, olderThan: cutoff.toISOString() },
          (v) =>
            `Purged ${v.traces} trace(s), ${v.spans} span(s) and ${purged.usageAnswers ?? 0} per-answer usage row(s) older than ${v.olderThan}.`,
        );
        return 0;
      }),
    );
}
