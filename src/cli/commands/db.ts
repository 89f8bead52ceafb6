import { resolve } from 'node:path';
import type { Command } from 'commander';
import { GroundworkError } from '../../core/index.ts';
import { backupEmbeddedStore, migrate, redactDatabaseUrl, restoreEmbeddedStore } from '../../store/index.ts';
import type { CliRuntime } from '../context.ts';

export function registerDbCommands(program: Command, runtime: CliRuntime): void {
  const db = program.command('db').description('store administration');
  db.command('migrate')
    .description('apply pending schema migrations (every command also applies them at start)')
    .action(
      runtime.action(async (context) => {
        const { db: store } = await context.platform({ migrate: false });
        const applied = await migrate(store.transaction);
        context.output.result(
          { applied: applied.map((m) => ({ version: m.version, name: m.name })), location: store.location },
          (r) =>
            r.applied.length === 0
              ? `Schema is up to date in ${r.location}.`
              : `Applied ${r.applied.length} migration(s) in ${r.location}: ${r.applied.map((m) => `${m.version}_${m.name}`).join(', ')}.`,
        );
        return 0;
      }),
    );

  db.command('backup')
    .description('back up the embedded store to FILE (a consistent copy; stop the Groundwork process using it first)')
    .argument('<file>', 'backup file to write (gzipped tar; readable by its owner only)')
    .action(
      runtime.action(async (context, file: string) => {
        const { config } = context.config();
        if (config.databaseUrl) throw serverBackupError(config.databaseUrl);
        const result = await backupEmbeddedStore(resolve(context.io.cwd, config.dataDir), resolve(context.io.cwd, file));
        context.output.result(
          result,
          (r) => `Backed up ${config.dataDir} to ${r.file} (${(r.bytes / 1024 / 1024).toFixed(1)} MiB).`,
        );
        return 0;
      }),
    );
  db.command('restore')
    .description('restore a backup written by `db backup` into an empty --data-dir')
    .argument('<file>', 'backup file')
    .action(
      runtime.action(async (context, file: string) => {
        const { config } = context.config();
        if (config.databaseUrl) throw serverBackupError(config.databaseUrl);
        const result = await restoreEmbeddedStore(resolve(context.io.cwd, file), resolve(context.io.cwd, config.dataDir));
        context.output.result(
          result,
          (r) => `Restored ${file} into ${r.dataDir}. Check it with \`groundwork doctor --data-dir ${r.dataDir}\`.`,
        );
        return 0;
      }),
    );
}

/** Server PostgreSQL has its own consistent, online backups; Groundwork does not wrap them. */
function serverBackupError(databaseUrl: string): GroundworkError {
  return new GroundworkError(
    'store.backup_server_mode',
    `${redactDatabaseUrl(databaseUrl)} is server PostgreSQL: back it up with PostgreSQL's tools, not with groundwork db backup.`,
    {
      category: 'usage',
      fix: 'Run `pg_dump --format=custom --file groundwork.dump "$DATABASE_URL"` (a consistent snapshot while Groundwork runs) and restore with `pg_restore --dbname NEW_URL groundwork.dump`; see docs/operations.md#backups.',
    },
  );
}
