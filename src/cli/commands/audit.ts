import type { Command } from 'commander';
import { GroundworkError } from '../../core/index.ts';
import { type AuditEntry, type AuditVerification, listAudit, verifyAuditChain } from '../../govern/index.ts';
import type { CliRuntime } from '../context.ts';
import { exitCodes } from '../exit-codes.ts';
import { table } from '../output.ts';

type EntryJson = Omit<AuditEntry, 'at'> & { at: string };

/** `groundwork audit list|verify`: the tamper-evident audit log. */
export function registerAuditCommands(program: Command, runtime: CliRuntime): void {
  const audit = program.command('audit').description('the append-only, hash-chained audit log');

  audit
    .command('list')
    .description('audit entries, newest first')
    .option('--limit <n>', 'number of entries (default 50, at most 1000)')
    .option('--action <action>', 'only this action, e.g. key.create, access.denied')
    .option('--actor <actor>', 'only this actor, e.g. user:alice@corp.com')
    .option('--before <seq>', 'entries before this sequence number (paging)')
    .action(
      runtime.action(async (context, options: { limit?: string; action?: string; actor?: string; before?: string }) => {
        const limit = options.limit === undefined ? 50 : Number(options.limit);
        const beforeSeq = options.before === undefined ? undefined : Number(options.before);
        if (
          !(Number.isInteger(limit) && limit > 0 && limit <= 1000) ||
          (beforeSeq !== undefined && !Number.isInteger(beforeSeq))
        ) {
          throw new GroundworkError('audit.bad_option', 'Give --limit as 1–1000 and --before as a sequence number.', {
            category: 'usage',
            fix: 'e.g. `groundwork audit list --limit 100 --before 4711`.',
          });
        }
        const filter = {
          limit,
          ...(beforeSeq ? { beforeSeq } : {}),
          ...(options.action ? { action: options.action } : {}),
          ...(options.actor ? { actor: options.actor } : {}),
        };
        const api = context.api();
        const entries: EntryJson[] = api
          ? (await api.get<{ entries: EntryJson[] }>('/v1/audit', { query: filter })).entries
          : (JSON.parse(JSON.stringify(await listAudit((await context.platform()).db, filter))) as EntryJson[]);
        context.output.result({ entries }, (v) =>
          v.entries.length === 0
            ? 'No audit entries.'
            : table(
                ['seq', 'at', 'actor', 'action', 'target', 'request'],
                v.entries.map((e) => [e.seq, e.at.slice(0, 19), e.actor, e.action, e.target ?? '', e.requestId ?? '']),
              ),
        );
        return exitCodes.ok;
      }),
    );

  audit
    .command('verify')
    .description('re-hash the whole chain; names the first edited or deleted entry (exit 1 when broken)')
    .action(
      runtime.action(async (context) => {
        const api = context.api();
        const result = api
          ? await api.get<AuditVerification>('/v1/audit/verify')
          : await verifyAuditChain((await context.platform()).db);
        context.output.result(result, (v) =>
          v.ok
            ? `Audit log intact: ${v.entries} entries, head ${v.headSeq} ${v.headHash}.\nKeep the head hash outside the database (ticket, log archive) to detect a consistent rewrite later.`
            : `AUDIT LOG TAMPERED: ${v.firstBad?.message} (first bad entry: ${v.firstBad?.seq}, ${v.firstBad?.problem}).\nEntries verified before it: ${v.entries}. Restore the log from a backup and investigate who had owner rights on the database.`,
        );
        return result.ok ? exitCodes.ok : exitCodes.failure;
      }),
    );
}
