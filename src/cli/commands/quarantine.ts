import type { Command } from 'commander';
import { GroundworkError, localOperator } from '../../core/index.ts';
import { getSource, listQuarantine, retryQuarantined } from '../../ingest/index.ts';
import type { CliRuntime } from '../context.ts';
import { exitCodes } from '../exit-codes.ts';
import { table } from '../output.ts';

export function registerQuarantineCommands(program: Command, runtime: CliRuntime): void {
  const quarantine = program.command('quarantine').description('files that could not be ingested, and why');

  quarantine
    .command('list')
    .description('list quarantined files with the error code and what to do')
    .option('--source <name>', 'only this source')
    .action(
      runtime.action(async (context, options: { source?: string }) => {
        const { db } = await context.platform();
        const sourceId = options.source ? (await getSource(db, options.source)).id : undefined;
        const entries = await listQuarantine(db, sourceId ? { sourceId } : {});
        context.output.result({ entries }, (r) =>
          r.entries.length === 0
            ? 'Nothing in quarantine.'
            : `${table(
                ['ID', 'SOURCE', 'PATH', 'CODE', 'ATTEMPTS', 'LAST SEEN'],
                r.entries.map((e) => [e.id, e.sourceName, e.sourceRef, e.code, e.attempts, e.lastSeenAt.toISOString()]),
              )}\n\n${r.entries.map((e) => `${e.sourceRef}: ${e.message}`).join('\n')}`,
        );
        return exitCodes.ok;
      }),
    );

  quarantine
    .command('retry [id]')
    .description('re-attempt quarantined files (one by id, or --all) by syncing their sources')
    .option('--all', 'every quarantined file')
    .action(
      runtime.action(async (context, id: string | undefined, options: { all?: boolean }) => {
        if (!id && !options.all) {
          throw new GroundworkError('cli.usage', 'Say which file to retry: an ID from `groundwork quarantine list`, or --all.', {
            category: 'usage',
            fix: 'Run `groundwork quarantine retry ID` or `groundwork quarantine retry --all`.',
          });
        }
        const platform = await context.platform();
        const marked = await retryQuarantined(platform.db, localOperator, id ? { ids: [id] } : {}, { clock: platform.clock });
        const sources = [...new Set(marked.map((entry) => entry.sourceName))];
        const results: { source: string; stillQuarantined: number; status: string }[] = [];
        for (const source of sources) {
          const summary = await platform.ingestion.sync({ source, trigger: 'quarantine-retry' });
          const retried = new Set(marked.filter((e) => e.sourceName === source).map((e) => e.sourceRef));
          results.push({
            source,
            stillQuarantined: summary.quarantined.filter((q) => retried.has(q.path)).length,
            status: summary.status,
          });
        }
        const still = results.reduce((sum, r) => sum + r.stillQuarantined, 0);
        context.output.result({ retried: marked.length, stillQuarantined: still, sources: results }, (r) =>
          r.retried === 0
            ? 'Nothing in quarantine.'
            : `Retried ${r.retried} file(s): ${r.retried - r.stillQuarantined} now indexed, ${r.stillQuarantined} still quarantined.`,
        );
        return still > 0 ? exitCodes.partial : exitCodes.ok;
      }),
    );
}
