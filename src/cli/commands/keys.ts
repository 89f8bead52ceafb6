import type { Command } from 'commander';
import { GroundworkError, localOperator, type Role } from '../../core/index.ts';
import { type ApiKey, type ChangeRequest, createKey, isRole, listApiKeys, revokeApiKey } from '../../govern/index.ts';
import type { CliRuntime } from '../context.ts';
import { table } from '../output.ts';
import { describePending } from './changes.ts';

type KeyJson = Omit<ApiKey, 'createdAt' | 'expiresAt' | 'revokedAt' | 'lastUsedAt'> & {
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
};

const asJson = (key: ApiKey | KeyJson): KeyJson => JSON.parse(JSON.stringify(key)) as KeyJson;

/** `groundwork keys create|list|revoke`: API keys, on the store or through `--server`. */
export function registerKeysCommands(program: Command, runtime: CliRuntime): void {
  const keys = program.command('keys').description('API keys for users and services (shown once, stored hashed)');

  keys
    .command('create')
    .description('create an API key and print its token once')
    .option('--admin', 'shorthand for --role admin (the first key of a new installation)')
    .option('--role <role>', 'viewer, user, reviewer, builder or admin (default user)')
    .option('--principals <list>', 'comma-separated principals the key reads as, e.g. user:alice@corp.com,group:claims')
    .option('--expires <days>', 'days until the key expires (default: never)')
    .option('--name <name>', 'who or what the key is for (default: the role)')
    .option('--reason <text>', 'why (admin and builder keys need approval; kept in the change request)')
    .action(
      runtime.action(
        async (
          context,
          options: { admin?: boolean; role?: string; principals?: string; expires?: string; name?: string; reason?: string },
        ) => {
          const role = options.admin ? 'admin' : (options.role ?? 'user');
          if (!isRole(role) || (options.admin && options.role && options.role !== 'admin')) {
            throw new GroundworkError('key.bad_role', `--role ${options.role} is not a role.`, {
              category: 'usage',
              fix: 'Use one of viewer, user, reviewer, builder, admin (or --admin alone).',
            });
          }
          const expires = options.expires === undefined ? undefined : Number(options.expires);
          if (expires !== undefined && !(Number.isInteger(expires) && expires > 0)) {
            throw new GroundworkError('key.bad_expiry', `--expires ${options.expires} is not a whole number of days.`, {
              category: 'usage',
              fix: 'Give the number of days, e.g. --expires 90.',
            });
          }
          const input = {
            name: options.name ?? role,
            role: role as Role,
            principals: (options.principals ?? '')
              .split(',')
              .map((p) => p.trim())
              .filter(Boolean),
            ...(expires ? { expiresInDays: expires } : {}),
          };
          const api = context.api();
          let result: { key: KeyJson; token: string; changeRequest?: ChangeRequest };
          if (api) {
            result = await api.post('/v1/keys', { ...input, ...(options.reason ? { reason: options.reason } : {}) });
          } else {
            const platform = await context.platform();
            const created = await createKey(platform.governance, platform.db, localOperator, input, {
              ...(options.reason ? { reason: options.reason } : {}),
            });
            result = {
              key: asJson(created.key),
              token: created.token,
              ...(created.changeRequest ? { changeRequest: created.changeRequest } : {}),
            };
          }
          context.output.result(result, (v) =>
            [
              `Created ${v.key.role} key ${v.key.id} (${v.key.name})${v.key.expiresAt ? `, expires ${v.key.expiresAt}` : ''}${v.changeRequest ? ' — pending approval' : ''}.`,
              '',
              `  ${v.token}`,
              '',
              'This token is shown once and cannot be recovered: store it in your secret manager now.',
              v.changeRequest
                ? `It works once change request ${v.changeRequest.id} is approved.\n${describePending(v.changeRequest)}`
                : 'Use it as `Authorization: Bearer <token>` or GROUNDWORK_API_KEY with --server.',
            ].join('\n'),
          );
          return 0;
        },
      ),
    );

  keys
    .command('list')
    .description('list API keys (never their secrets)')
    .action(
      runtime.action(async (context) => {
        const api = context.api();
        const list: KeyJson[] = api
          ? (await api.get<{ keys: KeyJson[] }>('/v1/keys')).keys
          : (await listApiKeys((await context.platform()).db)).map(asJson);
        context.output.result({ keys: list }, (v) =>
          v.keys.length === 0
            ? 'No API keys. Create the first admin key with `groundwork keys create --admin --name <you>`.'
            : table(
                ['id', 'name', 'prefix', 'role', 'principals', 'status', 'expires', 'last used'],
                v.keys.map((k) => [
                  k.id,
                  k.name,
                  k.prefix,
                  k.role,
                  k.principals.join(','),
                  k.status,
                  k.expiresAt?.slice(0, 10) ?? 'never',
                  k.lastUsedAt?.slice(0, 16) ?? '',
                ]),
              ),
        );
        return 0;
      }),
    );

  keys
    .command('revoke')
    .description('revoke an API key at once (idempotent)')
    .argument('<id>', 'key id (key_…) from `keys list`')
    .action(
      runtime.action(async (context, id: string) => {
        const api = context.api();
        const key = api
          ? (await api.delete<{ key: KeyJson }>(`/v1/keys/${encodeURIComponent(id)}`)).key
          : asJson(await revokeApiKey((await context.platform()).db, id, { actor: localOperator.id }));
        context.output.result({ key }, (v) => `Revoked key ${v.key.id} (${v.key.name}).`);
        return 0;
      }),
    );
}
