import type { Command } from 'commander';
import { GroundworkError, localOperator } from '../../core/index.ts';
import type { ChangeRequest, SubmitChangeResult } from '../../govern/index.ts';
import {
  getSource,
  listSources,
  requestSourceAclMap,
  requestSourceAdd,
  requestSourceRemoval,
  type SourceRecord,
  type SourceSnapshot,
  sourceTypes,
} from '../../ingest/index.ts';
import { applySourceSchedule } from '../../worker.ts';
import type { CliRuntime } from '../context.ts';
import { exitCodes } from '../exit-codes.ts';
import { table } from '../output.ts';
import { printChangeOutcome } from './changes.ts';

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerSourcesCommands(program: Command, runtime: CliRuntime): void {
  const sources = program.command('sources').description('register the places documents come from');

  sources
    .command('add <name>')
    .description('add a source (a folder, a mounted share, a DMS export)')
    .option('--type <type>', `connector type (${sourceTypes.join(', ')})`, 'filesystem')
    .requiredOption('--path <dir>', 'root folder of the source')
    .option('--acl-map <file>', 'ACL map (JSON or YAML): who may read which paths; re-read at every sync')
    .option(
      '--readable-by <principals>',
      'principals (comma-separated) who may read documents no ACL map rule, default or sidecar decides, e.g. group:staff',
    )
    .option('--include <glob>', 'only files matching this glob (repeatable)', collect, [])
    .option('--exclude <glob>', 'skip files matching this glob (repeatable)', collect, [])
    .option('--schedule <cron>', 'sync on this schedule (cron, UTC, e.g. "0 2 * * *"), run by `groundwork worker`')
    .option('--reason <text>', 'why (kept in the change request and the audit log)')
    .action(
      runtime.action(
        async (
          context,
          name: string,
          options: {
            type: string;
            path: string;
            aclMap?: string;
            readableBy?: string;
            include: string[];
            exclude: string[];
            schedule?: string;
            reason?: string;
          },
        ) => {
          if (!(sourceTypes as readonly string[]).includes(options.type)) {
            throw new GroundworkError('ingest.invalid_source', `Unknown source type "${options.type}".`, {
              category: 'usage',
              fix: `Use one of: ${sourceTypes.join(', ')}.`,
            });
          }
          const platform = await context.platform();
          if (options.schedule !== undefined) platform.jobs.assertCron(options.schedule);
          const outcome = await requestSourceAdd(
            platform.governance,
            platform.db,
            localOperator,
            {
              name,
              type: 'filesystem',
              path: options.path,
              include: options.include,
              exclude: options.exclude,
              cwd: context.io.cwd,
              ...(options.aclMap ? { aclMapPath: options.aclMap } : {}),
              ...(options.readableBy === undefined ? {} : { readableBy: [options.readableBy] }),
            },
            options.reason ? { reason: options.reason } : {},
          );
          if (outcome.status === 'pending') return printChangeOutcome(context, outcome, { json: (r) => r, text: String });
          let source = await getSource(platform.db, name);
          if (options.schedule !== undefined) source = await applySourceSchedule(platform, source.id, options.schedule);
          context.output.result(
            { id: source.id, name: source.name, type: source.type, ...source.settings, schedule: source.schedule ?? null },
            (s) =>
              `Added source ${s.name} (${s.type}) at ${s.path}. Run \`groundwork sync ${s.name}\` to ingest it.` +
              (s.schedule ? `\nSynced on schedule "${s.schedule}" (UTC) by \`groundwork worker\`.` : ''),
          );
          return exitCodes.ok;
        },
      ),
    );

  sources
    .command('list')
    .description('list sources with their last sync')
    .action(
      runtime.action(async (context) => {
        const api = context.api();
        if (api) {
          // Through the API (--server): settings are only returned to callers who may change sources.
          type ApiSource = SourceRecord & { settings?: SourceRecord['settings'] };
          const { sources: remote } = await api.get<{ sources: ApiSource[] }>('/v1/sources');
          const rows = remote.map((s) => ({
            id: s.id,
            name: s.name,
            type: s.type,
            path: s.settings?.path ?? '',
            lastSuccessAt: s.lastSuccessAt ?? null,
          }));
          context.output.result({ sources: rows }, (r) =>
            table(
              ['NAME', 'TYPE', 'PATH', 'LAST SUCCESS'],
              r.sources.map((s) => [s.name, s.type, s.path, s.lastSuccessAt ? new Date(s.lastSuccessAt).toISOString() : 'never']),
            ),
          );
          return exitCodes.ok;
        }
        const { db } = await context.platform();
        const list = await listSources(db);
        const value = list.map((s) => ({
          id: s.id,
          name: s.name,
          type: s.type,
          path: s.settings.path,
          include: s.settings.include,
          exclude: s.settings.exclude,
          aclMap: s.settings.aclMapPath ?? null,
          schedule: s.schedule ?? null,
          lastSyncAt: s.lastSyncAt ?? null,
          lastSuccessAt: s.lastSuccessAt ?? null,
        }));
        context.output.result({ sources: value }, (r) =>
          r.sources.length === 0
            ? 'No sources yet. Add one with `groundwork sources add NAME --type filesystem --path DIR`.'
            : table(
                ['NAME', 'TYPE', 'PATH', 'SCHEDULE', 'LAST SUCCESS'],
                r.sources.map((s) => [
                  s.name,
                  s.type,
                  s.path,
                  s.schedule ?? '-',
                  s.lastSuccessAt ? new Date(s.lastSuccessAt).toISOString() : 'never',
                ]),
              ),
        );
        return exitCodes.ok;
      }),
    );

  sources
    .command('schedule <name> [cron]')
    .description('set (cron, UTC, e.g. "0 2 * * *") or --clear the sync schedule of a source; workers run it')
    .option('--clear', 'remove the schedule: the source is synced only on request')
    .action(
      runtime.action(async (context, name: string, cron: string | undefined, options: { clear?: boolean }) => {
        if ((cron === undefined) === !options.clear) {
          throw new GroundworkError('cli.invalid_option', 'Give either a cron expression or --clear.', {
            category: 'usage',
            fix: 'e.g. `groundwork sources schedule docs "0 2 * * *"` or `groundwork sources schedule docs --clear`.',
          });
        }
        const schedule = options.clear ? null : (cron as string);
        const api = context.api();
        const result = api
          ? await api.request<{ name: string; schedule?: string | null }>('PATCH', `/v1/sources/${encodeURIComponent(name)}`, {
              body: { schedule },
            })
          : await applySourceSchedule(await context.platform(), name, schedule);
        context.output.result({ name: result.name, schedule: result.schedule ?? null }, (r) =>
          r.schedule ? `Source ${r.name} syncs on "${r.schedule}" (UTC).` : `Source ${r.name} has no schedule.`,
        );
        return exitCodes.ok;
      }),
    );

  sources
    .command('remove <name>')
    .description('remove a source and everything indexed from it (governed: may file a change request)')
    .option('--reason <text>', 'why (kept in the change request and the audit log)')
    .action(
      runtime.action(async (context, name: string, options: { reason?: string }) => {
        const api = context.api();
        let outcome: SubmitChangeResult | { changeRequest: ChangeRequest };
        if (api) {
          const response = await api.delete<{ source: string; documents: number } | { changeRequest: ChangeRequest }>(
            `/v1/sources/${encodeURIComponent(name)}`,
          );
          outcome = 'changeRequest' in response ? response : { status: 'applied', result: response };
        } else {
          const platform = await context.platform();
          outcome = await requestSourceRemoval(platform.governance, platform.db, localOperator, name, {
            ...(options.reason ? { reason: options.reason } : {}),
          });
        }
        return printChangeOutcome<{ source: string; documents: number }>(context, outcome, {
          json: (r) => ({ name: r.source, documentsRemoved: r.documents }),
          text: (r) => `Removed source ${r.source} and ${r.documents} document(s).`,
        });
      }),
    );

  sources
    .command('acl-map <name> [file]')
    .description('point a source at another ACL map file, or --clear it (governed: may file a change request)')
    .option('--clear', 'remove the ACL map: only sidecars and --readable-by decide')
    .option('--reason <text>', 'why (kept in the change request and the audit log)')
    .action(
      runtime.action(async (context, name: string, file: string | undefined, options: { clear?: boolean; reason?: string }) => {
        if ((file === undefined) === !options.clear) {
          throw new GroundworkError('cli.invalid_option', 'Give either an ACL map file or --clear.', {
            category: 'usage',
            fix: 'e.g. `groundwork sources acl-map docs ./acl-map.yaml` or `groundwork sources acl-map docs --clear`.',
          });
        }
        const api = context.api();
        let outcome: SubmitChangeResult | { changeRequest: ChangeRequest };
        if (api) {
          const response = await api.request<SourceSnapshot | { changeRequest: ChangeRequest }>(
            'PATCH',
            `/v1/sources/${encodeURIComponent(name)}`,
            { body: { aclMapPath: file ?? null, ...(options.reason ? { reason: options.reason } : {}) } },
          );
          outcome = 'changeRequest' in response ? response : { status: 'applied', result: response };
        } else {
          const platform = await context.platform();
          outcome = await requestSourceAclMap(platform.governance, platform.db, localOperator, name, file ?? null, {
            cwd: context.io.cwd,
            ...(options.reason ? { reason: options.reason } : {}),
          });
        }
        return printChangeOutcome<{ name: string; aclMapPath?: string | null; settings?: { aclMapPath?: string } }>(
          context,
          outcome,
          {
            json: (r) => r,
            text: (r) => {
              const path = r.aclMapPath ?? r.settings?.aclMapPath ?? null;
              return path ? `Source ${r.name} now uses the ACL map ${path}.` : `Source ${r.name} has no ACL map.`;
            },
          },
        );
      }),
    );
}
