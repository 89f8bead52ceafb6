import type { Caller, Clock } from '../core/index.ts';
import type { Database } from '../store/index.ts';
import { type ApiKey, revokeApiKey } from './api-keys.ts';
import { authorize } from './scopes.ts';

/**
 * Revokes an API key — the one write path for `DELETE /v1/keys/:id` and `groundwork keys revoke`: authorizes
 * the caller (`keys:admin`), then revokes, publishes the change and records `key.revoke` in one transaction
 * (`revokeApiKey`). Idempotent: revoking a revoked key changes and records nothing.
 */
export async function revokeKey(
  db: Database,
  caller: Caller,
  id: string,
  context: { readonly clock?: Clock; readonly requestId?: string } = {},
): Promise<ApiKey> {
  authorize(caller, 'keys:admin');
  return revokeApiKey(db, id, {
    actor: caller.id,
    ...(context.requestId ? { requestId: context.requestId } : {}),
    ...(context.clock ? { clock: context.clock } : {}),
  });
}
