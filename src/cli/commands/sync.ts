import { basename, isAbsolute, resolve } from 'node:path';
import type { Command } from 'commander';
import { GroundworkError, localOperator, toGroundworkError } from '../../core/index.ts';
import {
  findSource,
  findSourceByPath,
  getSource,
  listSources,
  type QuarantinedFile,
  readablePrincipals,
  requestSourceAclMap,
  requestSourceAdd,
  type SyncSummary,
  setSourceReadableBy,
} from '../../ingest/index.ts';
import { type JobName, jobNames } from '../../jobs/index.ts';
import { parseJobTypes, startWorker } from '../../worker.ts';
import type { CliRuntime, CommandContext } from '../context.ts';
import { exitCodes } from '../exit-codes.ts';
import { printChangeOutcome } from './changes.ts';

/** The `--json` shape of `groundwork sync` and `groundwork ingest`: totals over the synced sources. */
interface SyncReport {
  added: number;
  updated: number;
  deleted: number;
  unchanged: number;
  renamed: number;
  quarantined: QuarantinedFile[];
  chunks: number;
  durationMs: number;
  /** Wall time in seconds (the same as durationMs / 1000). */
  duration: number;
  sources: SyncSummary[];
  failed: { source: string; code: string; message: string }[];
}

async function syncSources(context: CommandContext, names: readonly string[]): Promise<number> {
  const platform = await context.platform();
  const started = performance.now();
  const report: SyncReport = {
    added: 0,
    updated: 0,
    deleted: 0,
    unchanged: 0,
    renamed: 0,
    quarantined: [],
    chunks: 0,
    durationMs: 0,
    duration: 0,
    sources: [],
    failed: [],
  };
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (const name of names) {
      const progress = context.output.progress(`sync ${name}`);
      try {
        const summary = await platform.ingestion.sync({
          source: name,
          trigger: 'cli',
          signal: controller.signal,
          onProgress: (p) => progress.update(p.done, p.total, p.current),
        });
        progress.finish();
        report.sources.push(summary);
        report.added += summary.added;
        report.updated += summary.updated;
        report.deleted += summary.deleted;
        report.unchanged += summary.unchanged;
        report.renamed += summary.renamed;
        report.chunks += summary.chunks;
        report.quarantined.push(...summary.quarantined.map((q) => (names.length > 1 ? { ...q, path: `${name}:${q.path}` } : q)));
      } catch (error) {
        progress.finish();
        const failure = toGroundworkError(error);
        report.failed.push({ source: name, code: failure.code, message: failure.message });
        context.output.error(`${name}: ${failure.toHuman()}\n(code: ${failure.code})`);
        if (controller.signal.aborted) break;
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  report.durationMs = Math.round(performance.now() - started);
  report.duration = report.durationMs / 1000;
  context.output.result(report, (r) => {
    const lines = [
      `Synced ${r.sources.length} source(s) in ${(r.durationMs / 1000).toFixed(1)} s: ${r.added} added, ${r.updated} updated, ` +
        `${r.renamed} renamed, ${r.deleted} deleted, ${r.unchanged} unchanged, ${r.quarantined.length} quarantined; ${r.chunks} chunks written.`,
    ];
    for (const q of r.quarantined.slice(0, 20)) lines.push(`  quarantined ${q.path} [${q.code}]: ${q.message}`);
    if (r.quarantined.length > 20) lines.push(`  … and ${r.quarantined.length - 20} more (groundwork quarantine list)`);
    for (const summary of r.sources) lines.push(...accessWarnings(summary));
    return lines.join('\n');
  });
  if (report.failed.length > 0) return exitCodes.failure;
  return report.quarantined.length > 0 ? exitCodes.partial : exitCodes.ok;
}

/** Loud lines for documents nobody can read through the server and for ACL rules that never decide. */
export function accessWarnings(
  summary: Pick<SyncSummary, 'source' | 'unreadableDocuments' | 'aclWarnings' | 'aclMapDrift'>,
): string[] {
  const lines: string[] = [];
  if (summary.unreadableDocuments > 0)
    lines.push(
      `WARNING ${summary.source}: ${summary.unreadableDocuments} document${summary.unreadableDocuments === 1 ? ' is' : 's are'} readable by no one through the server — no API key, admin keys included, finds ${summary.unreadableDocuments === 1 ? 'it' : 'them'} (no ACL map rule, default, sidecar or --readable-by decided who may read ${summary.unreadableDocuments === 1 ? 'it' : 'them'}; only this local CLI sees ${summary.unreadableDocuments === 1 ? 'it' : 'them'}).`,
      `  Fix: groundwork ingest PATH --readable-by group:staff (principals for documents nothing else decides), or --acl-map FILE with rules or a default (docs/permissions.md); \`groundwork documents list --undetermined\` lists them.`,
    );
  for (const warning of summary.aclWarnings) lines.push(`WARNING ${summary.source}: ACL map ${warning.message}`);
  if (summary.aclMapDrift) lines.push(`WARNING ${summary.source}: ACL map ${summary.aclMapDrift.message}`);
  return lines;
}

export function registerSyncCommands(program: Command, runtime: CliRuntime): void {
  program
    .command('sync [name]')
    .description('sync one source (or all): index new and changed files, remove deleted ones')
    .option('--enqueue', 'only enqueue sync jobs for a running `groundwork worker` (server mode)')
    .action(
      runtime.action(async (context, name: string | undefined, options: { enqueue?: boolean }) => {
        const platform = await context.platform();
        const names = name ? [name] : (await listSources(platform.db)).map((s) => s.name);
        if (name && !(await findSource(platform.db, name))) {
          throw new GroundworkError('ingest.source_not_found', `There is no source named "${name}".`, {
            category: 'not_found',
            fix: 'List sources with `groundwork sources list`.',
          });
        }
        if (names.length === 0) {
          context.output.result(
            { sources: [] },
            () => 'No sources to sync. Add one with `groundwork sources add` or `groundwork ingest PATH`.',
          );
          return exitCodes.ok;
        }
        if (options.enqueue) {
          const jobs: { source: string; jobId: string | null }[] = [];
          for (const source of names) {
            jobs.push({
              source,
              jobId: await platform.jobs.send('sync-source', { source, trigger: 'cli' }, { singletonKey: source }),
            });
          }
          context.output.result({ enqueued: jobs }, (r) =>
            r.enqueued.map((j) => `enqueued sync of ${j.source} (${j.jobId ?? 'already queued'})`).join('\n'),
          );
          return exitCodes.ok;
        }
        return syncSources(context, names);
      }),
    );

  program
    .command('ingest <path>')
    .description('ingest a folder: adds (or reuses) a filesystem source for PATH and syncs it')
    .option('--source <name>', 'source name (default: the folder name)')
    .option('--acl-map <file>', 'ACL map (JSON or YAML) for the source')
    .option(
      '--readable-by <principals>',
      'principals (comma-separated) who may read documents no ACL map rule, default or sidecar decides, e.g. group:staff',
    )
    .action(
      runtime.action(async (context, path: string, options: { source?: string; aclMap?: string; readableBy?: string }) => {
        const readableBy = options.readableBy === undefined ? undefined : readablePrincipals([options.readableBy]);
        const platform = await context.platform();
        const root = isAbsolute(path) ? path : resolve(context.io.cwd, path);
        let source = await findSourceByPath(platform.db, root);
        if (options.source && source && source.name !== options.source) {
          throw new GroundworkError('ingest.invalid_source', `${root} is already the source "${source.name}".`, {
            category: 'usage',
            fix: `Run \`groundwork ingest ${path} --source ${source.name}\` (or without --source).`,
          });
        }
        if (!source && options.source) {
          const named = await findSource(platform.db, options.source);
          if (named) {
            throw new GroundworkError(
              'ingest.source_exists',
              `The source "${options.source}" has another path (${named.settings.path}).`,
              {
                category: 'conflict',
                fix: 'Choose another --source name, or sync that source with `groundwork sync NAME`.',
              },
            );
          }
        }
        if (!source) {
          const base =
            (options.source ??
              basename(root)
                .replace(/[^A-Za-z0-9_.-]+/g, '-')
                .replace(/^[^A-Za-z0-9]+/, '')) ||
            'files';
          let name = base.slice(0, 60);
          for (let n = 2; !options.source && (await findSource(platform.db, name)); n++) name = `${base.slice(0, 56)}-${n}`;
          // The governed write path: audited, and a change request when the local operator files requests.
          const added = await requestSourceAdd(platform.governance, platform.db, localOperator, {
            name,
            type: 'filesystem',
            path: root,
            cwd: context.io.cwd,
            ...(options.aclMap ? { aclMapPath: options.aclMap } : {}),
            ...(readableBy ? { readableBy } : {}),
          });
          if (added.status === 'pending') return printChangeOutcome(context, added, { json: (r) => r, text: String });
          source = await getSource(platform.db, name);
          context.output.info(`Added source ${source.name} for ${root}.`);
        } else {
          if (options.aclMap) {
            const changed = await requestSourceAclMap(
              platform.governance,
              platform.db,
              localOperator,
              source.id,
              options.aclMap,
              {
                cwd: context.io.cwd,
              },
            );
            if (changed.status === 'pending') return printChangeOutcome(context, changed, { json: (r) => r, text: String });
            source = await getSource(platform.db, source.id);
          }
          if (readableBy) source = await setSourceReadableBy(platform.db, source.id, readableBy);
        }
        return syncSources(context, [source.name]);
      }),
    );

  program
    .command('worker')
    .description(
      'run queued background jobs (source syncs, scheduled syncs and evaluations) until Ctrl-C / SIGTERM, then shut down gracefully',
    )
    .option('--batch-size <n>', 'jobs fetched per poll by each concurrent slot (default 1)', (v) =>
      positiveInteger('--batch-size', v),
    )
    .option(
      '--concurrency <n|type=n,…>',
      'jobs run at once: one number for every type, or per type (e.g. sync-source=4); default jobs.types.<type>.concurrency',
    )
    .option('--only <types>', `consume only these job types (comma-separated: ${jobNames.join(', ')})`)
    .action(
      runtime.action(async (context, options: { batchSize?: number; concurrency?: string; only?: string }) => {
        const only = options.only ? parseJobTypes(options.only) : undefined;
        const concurrency = options.concurrency ? parseConcurrency(options.concurrency, only ?? jobNames) : undefined;
        const platform = await context.platform();
        let handled = 0;
        let failed = 0;
        const worker = await startWorker(platform, {
          ...(only ? { only } : {}),
          ...(concurrency ? { concurrency } : {}),
          ...(options.batchSize ? { batchSize: options.batchSize } : {}),
          onJob: (event) => {
            if (event.outcome === 'completed') handled += 1;
            else failed += 1;
            context.output.info(
              `job ${event.id} (${event.type}, attempt ${event.retryCount + 1}): ${event.outcome}${event.code ? ` [${event.code}]` : ''} in ${(event.durationMs / 1000).toFixed(1)} s`,
            );
          },
        });
        context.output.info(`worker started for ${worker.types.join(', ')}; waiting for jobs (Ctrl-C to stop)`);
        await new Promise<void>((resolveStop) => {
          const stop = () => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            resolveStop();
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
        context.output.info(
          `stopping: no new jobs; ${worker.running()} running job(s) get ${platform.config.jobs.shutdownTimeoutSeconds} s to finish, then are released for a retry`,
        );
        await worker.stop();
        context.output.result(
          { handled, failed },
          (r) => `worker stopped after ${r.handled} job(s) (${r.failed} failed attempt(s))`,
        );
        return exitCodes.ok;
      }),
    );
}

function positiveInteger(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new GroundworkError('cli.invalid_option', `${flag} ${value} is not a positive integer.`, {
      category: 'usage',
      fix: `Give ${flag} a whole number of at least 1.`,
    });
  }
  return n;
}

/** `--concurrency 3` (every type) or `--concurrency sync-source=4,evaluation-scheduled-run=1`. */
function parseConcurrency(value: string, types: readonly JobName[]): Partial<Record<JobName, number>> {
  if (/^\d+$/.test(value.trim())) {
    const n = positiveInteger('--concurrency', value.trim());
    return Object.fromEntries(types.map((type) => [type, n]));
  }
  const out: Partial<Record<JobName, number>> = {};
  for (const part of value.split(',')) {
    const [type, count] = part.split('=').map((s) => s.trim());
    const [name] = parseJobTypes(type ?? '');
    if (!name || count === undefined) {
      throw new GroundworkError('cli.invalid_option', `--concurrency ${value}: "${part}" is not TYPE=N.`, {
        category: 'usage',
        fix: 'Give one number, or TYPE=N pairs separated by commas, e.g. sync-source=4.',
      });
    }
    out[name] = positiveInteger('--concurrency', count);
  }
  return out;
}
