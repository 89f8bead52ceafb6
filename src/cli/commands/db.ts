import type { Command } from 'commander';
import { migrate } from '../../store/index.ts';
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
}
