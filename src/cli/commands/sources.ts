import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { GroundworkError, localOperator } from '../../core/index.ts';
import type { ChangeRequest, SubmitChangeResult } from '../../govern/index.ts';
import {
  type ConnectorDefinition,
  describeConnectors,
  getConnector,
  getSource,
  ingestStatus,
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
import { describeSourceStatus } from './status.ts';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `--setting key=value` flags, typed by the connector's hints (lists split on commas, booleans, numbers). */
export function parseSettingFlags(flags: readonly string[], connector: ConnectorDefinition): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const flag of flags) {
    const at = flag.indexOf('=');
    if (at <= 0) {
      throw new GroundworkError('cli.invalid_option', `--setting ${flag} is not key=value.`, {
        category: 'usage',
        fix: `Give --setting key=value; ${connector.kind} takes: ${connector.settingHints.map((h) => h.key).join(', ')}.`,
      });
    }
    const key = flag.slice(0, at).trim();
    const value = flag.slice(at + 1);
    const kind = connector.settingHints.find((hint) => hint.key === key)?.kind;
    if (kind === 'list') {
      const items = value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean);
      out[key] = [...((out[key] as string[] | undefined) ?? []), ...items];
    } else if (kind === 'boolean') out[key] = /^(true|yes|1|on)$/i.test(value);
    else if (kind === 'number' && value.trim() !== '' && Number.isFinite(Number(value))) out[key] = Number(value);
    else out[key] = value;
  }
  return out;
}

/** `--settings FILE`: a JSON or YAML object. */
async function readSettingsFile(path: string): Promise<Record<string, unknown>> {
  let value: unknown;
  try {
    value = parseYaml(await readFile(path, 'utf8'));
  } catch (error) {
    throw new GroundworkError('cli.invalid_option', `--settings ${path} cannot be read as JSON or YAML.`, {
      category: 'usage',
      fix: 'Give a file holding one JSON or YAML object of connector settings (secrets as …Env variable names).',
      cause: error,
    });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new GroundworkError('cli.invalid_option', `--settings ${path} does not hold an object.`, {
      category: 'usage',
      fix: 'Give a file holding one JSON or YAML object of connector settings, e.g. {"bucket": "docs"}.',
    });
  }
  return value as Record<string, unknown>;
}

/** Where a non-filesystem source points (bucket, table, site), for the PATH column. */
function describeLocation(settings: Record<string, unknown> | undefined): string {
  if (!settings) return '';
  if (typeof settings.bucket === 'string')
    return `s3://${settings.bucket}/${typeof settings.prefix === 'string' ? settings.prefix : ''}`;
  if (typeof settings.table === 'string') return `sql:${settings.table}`;
  if (typeof settings.query === 'string') return 'sql:(query)';
  for (const key of ['url', 'site', 'siteUrl', 'startUrl']) if (typeof settings[key] === 'string') return settings[key] as string;
  for (const key of ['startUrls', 'sitemapUrls']) {
    const list = settings[key];
    if (Array.isArray(list) && typeof list[0] === 'string') return list[0];
  }
  return '';
}

export function registerSourcesCommands(program: Command, runtime: CliRuntime): void {
  const sources = program.command('sources').description('register the places documents come from');

  sources
    .command('add <name>')
    .description('add a source: a folder or share (filesystem), an S3 bucket (s3), a SQL table (sql), …')
    .option('--type <type>', `connector type (${sourceTypes.join(', ')}; \`sources types\` lists their settings)`, 'filesystem')
    .option(
      '--setting <key=value>',
      'one connector setting (repeatable), e.g. --setting bucket=docs --setting secretAccessKeyEnv=S3_SECRET; lists comma-separated',
      collect,
      [],
    )
    .option('--settings <file>', 'connector settings as a JSON or YAML object (merged under --setting)')
    .option('--path <dir>', 'filesystem: root folder of the source (same as --setting path=DIR)')
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
            setting: string[];
            settings?: string;
            path?: string;
            aclMap?: string;
            readableBy?: string;
            include: string[];
            exclude: string[];
            schedule?: string;
            reason?: string;
          },
        ) => {
          const connector = getConnector(options.type);
          const settings = {
            ...(options.settings ? await readSettingsFile(resolve(context.io.cwd, options.settings)) : {}),
            ...parseSettingFlags(options.setting, connector),
          };
          if (connector.kind === 'filesystem' && options.path === undefined && settings.path === undefined) {
            throw new GroundworkError('cli.invalid_option', 'A filesystem source needs its folder: --path DIR.', {
              category: 'usage',
              fix: 'e.g. `groundwork sources add docs --type filesystem --path ./docs` (or --setting path=./docs).',
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
              type: connector.kind,
              settings,
              ...(options.path !== undefined ? { path: options.path } : {}),
              ...(options.include.length > 0 ? { include: options.include } : {}),
              ...(options.exclude.length > 0 ? { exclude: options.exclude } : {}),
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
            {
              id: source.id,
              name: source.name,
              type: source.type,
              ...source.settings,
              settings: source.settings,
              schedule: source.schedule ?? null,
            },
            (s) =>
              `Added source ${s.name} (${s.type})${typeof s.settings.path === 'string' ? ` at ${s.settings.path}` : ''}. Run \`groundwork sync ${s.name}\` to ingest it.` +
              (s.schedule ? `\nSynced on schedule "${s.schedule}" (UTC) by \`groundwork worker\`.` : ''),
          );
          return exitCodes.ok;
        },
      ),
    );

  sources
    .command('status [name]')
    .description('health of one source (or all): counts, last sync, the last failure with its code, quarantine')
    .action(
      runtime.action(async (context, name: string | undefined) => {
        const { db } = await context.platform();
        const all = await ingestStatus(db, name ? { sourceId: (await getSource(db, name)).id } : {});
        context.output.result({ sources: all }, (r) =>
          r.sources.length === 0 ? 'No sources yet.' : r.sources.map(describeSourceStatus).join('\n\n'),
        );
        return exitCodes.ok;
      }),
    );

  sources
    .command('types')
    .description('list the connector types with their settings, capabilities and examples')
    .action(
      runtime.action(async (context) => {
        const connectors = describeConnectors();
        context.output.result({ connectors }, (r) =>
          r.connectors
            .map((c) => {
              const caps = Object.entries(c.capabilities)
                .filter(([, on]) => on)
                .map(([key]) => key)
                .join(', ');
              const lines = c.settingHints.map(
                (h) =>
                  `  ${h.key}${h.required ? ' (required)' : ''}${h.kind === 'env' ? ' [env var name]' : ''}: ${h.description}${h.example ? ` e.g. ${h.example}` : ''}`,
              );
              return [`${c.kind} — ${c.title}: ${c.description}`, `  capabilities: ${caps || 'none'}`, ...lines].join('\n');
            })
            .join('\n\n'),
        );
        return exitCodes.ok;
      }),
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
            path: typeof s.settings?.path === 'string' ? s.settings.path : describeLocation(s.settings),
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
          path: typeof s.settings.path === 'string' ? s.settings.path : describeLocation(s.settings),
          include: s.settings.include ?? [],
          exclude: s.settings.exclude ?? [],
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
