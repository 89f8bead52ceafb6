import type { Command } from 'commander';
import { isGroundworkError, toGroundworkError } from '../../core/index.ts';
import { migrationStatus } from '../../store/index.ts';
import type { CliRuntime } from '../context.ts';
import { exitCodes } from '../exit-codes.ts';

const minimumNode = [22, 18] as const;

interface Check {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

export function registerDoctorCommand(program: Command, runtime: CliRuntime): void {
  program
    .command('doctor')
    .description('check the runtime, configuration, store, extensions and migrations')
    .action(
      runtime.action(async (context) => {
        const checks: Check[] = [];
        const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
        const nodeOk = major > minimumNode[0] || (major === minimumNode[0] && minor >= minimumNode[1]);
        checks.push({
          name: 'node',
          ok: nodeOk,
          detail: `Node.js ${process.versions.node}`,
          ...(nodeOk ? {} : { fix: 'Install Node.js 22.18 or newer (24 LTS recommended); scripts/ensure-node.sh does it.' }),
        });
        const report: Record<string, unknown> = { version: program.version(), checks };
        try {
          const loaded = context.config();
          checks.push({
            name: 'config',
            ok: true,
            detail: loaded.configFile ? `loaded ${loaded.configFile}` : 'defaults and environment (no config file)',
          });
          const platform = await context.platform({ migrate: false });
          const { db } = platform;
          const status = await migrationStatus(db);
          report.store = {
            mode: db.mode,
            location: db.location,
            serverVersion: db.capabilities.serverVersion,
            extensions: { vector: db.capabilities.vectorVersion ?? null, pgTextSearch: db.capabilities.pgTextSearch },
            lexicalRanking: db.capabilities.pgTextSearch ? 'bm25 (pg_textsearch index)' : 'bm25 (portable postings)',
            migrations: { applied: status.applied.length, pending: status.pending.map((m) => `${m.version}_${m.name}`) },
          };
          checks.push({
            name: 'store',
            ok: true,
            detail: `${db.mode} store at ${db.location} (PostgreSQL ${db.capabilities.serverVersion})`,
          });
          checks.push({
            name: 'pgvector',
            ok: db.capabilities.vector,
            detail: `vector ${db.capabilities.vectorVersion ?? 'missing'}`,
          });
          checks.push({
            name: 'pg_textsearch',
            ok: true,
            detail: db.capabilities.pgTextSearch
              ? 'present: BM25 through its index'
              : 'absent: BM25 through portable postings (same analyzer, same ranking)',
          });
          checks.push({
            name: 'migrations',
            ok: true,
            detail:
              status.pending.length === 0
                ? `${status.applied.length} applied, schema up to date`
                : `${status.applied.length} applied, ${status.pending.length} pending (applied by \`groundwork db migrate\` or at the next start of any command)`,
          });
        } catch (error) {
          const failure = toGroundworkError(error);
          checks.push({
            name: failure.code.startsWith('config') ? 'config' : 'store',
            ok: false,
            detail: failure.message,
            ...(isGroundworkError(failure) && failure.fix ? { fix: failure.fix } : {}),
          });
        }
        const ok = checks.every((check) => check.ok);
        report.ok = ok;
        context.output.result(report, () =>
          checks
            .map(
              (check) =>
                `${check.ok ? 'ok  ' : 'FAIL'} ${check.name.padEnd(14)} ${check.detail}${check.fix ? `\n     fix: ${check.fix}` : ''}`,
            )
            .join('\n'),
        );
        return ok ? exitCodes.ok : exitCodes.failure;
      }),
    );
}
