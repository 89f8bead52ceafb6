import { type Caller, type Clock, GroundworkError, systemClock } from '../../core/index.ts';
import { authorize, recordAudit } from '../../govern/index.ts';
import type { Database } from '../../store/index.ts';
import { markForRetry, type QuarantineEntry } from './quarantine-store.ts';

/**
 * Marks quarantined files for another attempt at their source's next sync — the one write path for it, used
 * by `POST /v1/quarantine/retry` and `groundwork quarantine retry`: authorizes (`sources:write`), marks the
 * entries and records `quarantine.retry` (ids and paths, never file content) in one transaction. Unknown ids
 * (none of those given exist) → `ingest.quarantine_not_found`.
 */
export async function retryQuarantined(
  db: Database,
  caller: Caller,
  selection: { readonly ids?: readonly string[] },
  context: { readonly clock?: Clock; readonly requestId?: string } = {},
): Promise<QuarantineEntry[]> {
  authorize(caller, 'sources:write');
  const clock = context.clock ?? systemClock;
  return db.transaction(async (tx) => {
    const marked = await markForRetry(tx, selection.ids ? { ids: selection.ids } : {});
    if (selection.ids && selection.ids.length > 0 && marked.length === 0) {
      throw new GroundworkError('ingest.quarantine_not_found', `No quarantine entry has the id ${selection.ids.join(', ')}.`, {
        category: 'not_found',
        fix: 'List entries with `groundwork quarantine list`.',
      });
    }
    if (marked.length > 0) {
      await recordAudit(
        tx,
        {
          actor: caller.id,
          action: 'quarantine.retry',
          target: marked.length === 1 ? `quarantine:${marked[0]?.id}` : 'quarantine',
          after: { entries: marked.map((entry) => ({ id: entry.id, source: entry.sourceName, path: entry.sourceRef })) },
          ...(context.requestId ? { requestId: context.requestId } : {}),
        },
        clock,
      );
    }
    return marked;
  });
}
