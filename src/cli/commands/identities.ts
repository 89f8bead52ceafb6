import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { GroundworkError, localOperator } from '../../core/index.ts';
import {
  type ChangeRequest,
  type IdentityMapping,
  type IdentityMappingVersion,
  identityMappingHistory,
  importIdentityMappings,
  listIdentityMappings,
  mapIdentity,
  parseIdentityMappingImport,
  type SubmitChangeResult,
  unmapIdentity,
} from '../../govern/index.ts';
import type { CliRuntime } from '../context.ts';
import { exitCodes } from '../exit-codes.ts';
import { table } from '../output.ts';
import { describePending, printChangeOutcome } from './changes.ts';

type Applied = { identity: string; principals: string[]; version: number; removed: boolean };

/** An API reply to a governed write: the applied result (200) or `{changeRequest}` (202). */
function outcomeOf(reply: Applied | { changeRequest: ChangeRequest }): SubmitChangeResult | { changeRequest: ChangeRequest } {
  return 'changeRequest' in reply ? reply : { status: 'applied', result: reply };
}

const appliedText = {
  json: (r: Applied) => r,
  text: (r: Applied) =>
    r.removed
      ? `${r.identity} is no longer mapped (version ${r.version}); documents follow at each source's next sync, callers at their next request.`
      : `${r.identity} → ${r.principals.join(', ')} (version ${r.version}); documents follow at each source's next sync, callers at their next request.`,
};

/** `groundwork identities map|unmap|list|import FILE`: source identities → unified principals (docs/identity-mapping.md). */
export function registerIdentitiesCommands(program: Command, runtime: CliRuntime): void {
  const identities = program
    .command('identities')
    .description('identity mappings: source identities (ad:, entra:, legacy:, sql:) → unified principals (governed, versioned)');

  identities
    .command('map <identity> <principals...>')
    .description(
      'map a source identity (e.g. legacy:ADJ, entra:<object id>, ad:CORP\\Claims) to principals (added to its mapping)',
    )
    .option('--note <text>', 'where the mapping comes from')
    .option('--reason <text>', 'why (shown to approvers)')
    .option('--replace', 'set the mapping to exactly these principals')
    .action(
      runtime.action(
        async (
          context,
          identity: string,
          principals: string[],
          options: { note?: string; reason?: string; replace?: boolean },
        ) => {
          const api = context.api();
          const body = {
            identity,
            principals,
            ...(options.note ? { note: options.note } : {}),
            ...(options.reason ? { reason: options.reason } : {}),
            ...(options.replace ? { replace: true } : {}),
          };
          const outcome = api
            ? outcomeOf(await api.post<Applied | { changeRequest: ChangeRequest }>('/v1/identity-mappings', body))
            : await (async () => {
                const platform = await context.platform();
                return mapIdentity(platform.governance, platform.db, localOperator, identity, principals, options);
              })();
          return printChangeOutcome(context, outcome, appliedText);
        },
      ),
    );

  identities
    .command('unmap <identity> [principals...]')
    .description('remove principals from a source identity (every principal when none is named)')
    .option('--reason <text>', 'why (shown to approvers)')
    .action(
      runtime.action(async (context, identity: string, principals: string[], options: { reason?: string }) => {
        const api = context.api();
        const outcome = api
          ? outcomeOf(
              await api.post<Applied | { changeRequest: ChangeRequest }>('/v1/identity-mappings/unmap', {
                identity,
                ...(principals.length > 0 ? { principals } : {}),
                ...(options.reason ? { reason: options.reason } : {}),
              }),
            )
          : await (async () => {
              const platform = await context.platform();
              return unmapIdentity(platform.governance, platform.db, localOperator, identity, principals, options);
            })();
        return printChangeOutcome(context, outcome, appliedText);
      }),
    );

  identities
    .command('list')
    .description('the current mappings (or, with --history, every version)')
    .option('--system <name>', 'only this system (ad, entra, legacy, sql, …)')
    .option('--history', 'every version, newest first')
    .option('--identity <identity>', 'with --history: only this identity')
    .action(
      runtime.action(async (context, options: { system?: string; history?: boolean; identity?: string }) => {
        const api = context.api();
        if (options.history) {
          const versions: IdentityMappingVersion[] = api
            ? (
                await api.get<{ versions: IdentityMappingVersion[] }>('/v1/identity-mappings/history', {
                  query: options.identity ? { identity: options.identity } : {},
                })
              ).versions
            : await identityMappingHistory((await context.platform()).db, localOperator, {
                ...(options.identity ? { identity: options.identity } : {}),
              });
          context.output.result({ versions }, () =>
            versions.length === 0
              ? 'No identity mapping has changed yet.'
              : table(
                  ['VERSION', 'IDENTITY', 'BEFORE', 'AFTER', 'BY', 'AT'],
                  versions.map((v) => [
                    String(v.version),
                    v.identity,
                    v.before?.join(', ') ?? '—',
                    v.after?.join(', ') ?? '(unmapped)',
                    `${v.actor}${v.changeRequestId ? ` (${v.changeRequestId})` : ''}`,
                    v.at,
                  ]),
                ),
          );
          return exitCodes.ok;
        }
        const listed: { version: number; mappings: IdentityMapping[] } = api
          ? await api.get('/v1/identity-mappings', { query: options.system ? { system: options.system } : {} })
          : await listIdentityMappings(
              (await context.platform()).db,
              localOperator,
              options.system ? { system: options.system } : {},
            );
        context.output.result(listed, (v) =>
          v.mappings.length === 0
            ? 'No identity mappings (map one with `groundwork identities map legacy:ADJ group:claims`).'
            : `${table(
                ['IDENTITY', 'PRINCIPALS', 'VERSION', 'UPDATED BY', 'NOTE'],
                v.mappings.map((m) => [m.identity, m.principals.join(', '), String(m.version), m.updatedBy, m.note ?? '']),
              )}\nVersion ${v.version}.`,
        );
        return exitCodes.ok;
      }),
    );

  identities
    .command('import <file>')
    .description(
      'import mappings from CSV lines identity,principal[,principal…] or JSON [{identity, principals}] (all or nothing)',
    )
    .option('--reason <text>', 'why (shown to approvers)')
    .action(
      runtime.action(async (context, file: string, options: { reason?: string }) => {
        let text: string;
        try {
          text = readFileSync(resolve(context.io.cwd, file), 'utf8');
        } catch (error) {
          throw new GroundworkError('identity.invalid_import', `Cannot read ${file}: ${(error as Error).message}.`, {
            category: 'usage',
            fix: 'Pass the path of a CSV (identity,principal…) or JSON file.',
          });
        }
        const api = context.api();
        type Imported = { applied: number; pending: number; unchanged: number; results: SubmitChangeResult[] };
        const result: Imported = api
          ? await api.post<Imported>('/v1/identity-mappings/import', {
              text,
              ...(options.reason ? { reason: options.reason } : {}),
            })
          : await (async () => {
              const platform = await context.platform();
              return importIdentityMappings(
                platform.governance,
                platform.db,
                localOperator,
                parseIdentityMappingImport(text, file),
                options,
              );
            })();
        context.output.result(result, (r) =>
          [
            `${file}: ${r.applied} applied, ${r.pending} waiting for approval, ${r.unchanged} unchanged.`,
            ...r.results.flatMap((o) => (o.status === 'pending' ? [describePending(o.changeRequest)] : [])),
          ].join('\n'),
        );
        return exitCodes.ok;
      }),
    );
}
