import { type Caller, type Clock, GroundworkError, systemClock } from '../core/index.ts';
import { authorize, hasScope, recordAudit } from '../govern/index.ts';
import { readableSourceNames } from '../ingest/index.ts';
import type { Database, Queryable } from '../store/index.ts';
import type { UseCase } from './types.ts';
import { createUseCaseStore, mayUseUseCase } from './use-cases.ts';

/**
 * The capability card of a use case — "what this assistant can and cannot do": its scope, the sources it
 * searches (only those the reader may read something in), what it will not do and when to verify an answer.
 * Written by its owner (`card` on the use case, a governed setting); derived from the description and sources
 * when absent. Shown on first use: a user's dismissal is stored per user (`use_case_card_seen`), so it follows
 * them across browsers.
 */
export interface CapabilityCard {
  readonly useCase: string;
  readonly description: string;
  readonly owner: string | null;
  readonly canDo: readonly string[];
  readonly cannotDo: readonly string[];
  readonly verifyWhen: readonly string[];
  /** Source names the reader may read at least one document in (never others); every one for `sources:write`. */
  readonly sources: readonly string[];
  /** True when no card was written: the lists are the built-in defaults. */
  readonly derived: boolean;
  /** Whether this reader dismissed the card. */
  readonly seen: boolean;
  readonly seenAt: Date | null;
}

function unknownUseCase(name: string): GroundworkError {
  return new GroundworkError('use_case.not_found', `There is no use case "${name}" that you may use.`, {
    category: 'not_found',
    fix: 'List the use cases you may ask with GET /v1/use-cases (`groundwork use-cases list`).',
  });
}

async function usableUseCase(db: Queryable, caller: Caller, name: string): Promise<UseCase> {
  authorize(caller, 'usecases:read');
  const useCase = await createUseCaseStore(db).get(name);
  if (!useCase || !mayUseUseCase(useCase, caller)) throw unknownUseCase(name);
  return useCase;
}

/** The built-in card lists, from what the use case is configured to do. */
export function derivedCard(useCase: UseCase, sources: readonly string[]) {
  const scope = useCase.description.trim();
  return {
    canDo: [
      ...(scope ? [`Answer questions within its scope: ${scope}`] : ['Answer questions from the documents it searches']),
      sources.length > 0
        ? `Search ${sources.join(', ')} and cite the passages it used`
        : 'Search the documents you may read and cite the passages it used',
      'Say when the documents do not answer a question, instead of guessing',
    ],
    cannotDo: [
      'Use documents you may not read, or anything outside its sources',
      'Know about changes that are not yet in its documents',
      'Take actions or change records on your behalf',
    ],
    verifyWhen: [
      'The answer has low confidence or few citations',
      'You will act on it in a way that is costly to undo (money, legal, safety): read the cited passage',
      'The cited document may be out of date',
    ],
  };
}

/** The card of use case `name` for `caller` (404 `use_case.not_found` when they may not use it). */
export async function useCaseCard(db: Queryable, caller: Caller, name: string): Promise<CapabilityCard> {
  const useCase = await usableUseCase(db, caller, name);
  // Those who configure sources (`sources:write`) see every name; others only sources they may read something in.
  const reader = hasScope(caller, 'sources:write') ? { principals: caller.principals, seesEverything: true } : caller;
  const sources = await readableSourceNames(db, reader, useCase.sources);
  const { rows } = await db.query<{ seen_at: Date }>(
    'SELECT seen_at FROM use_case_card_seen WHERE use_case = $1 AND user_id = $2',
    [name, caller.id],
  );
  const lists = useCase.card ?? derivedCard(useCase, sources);
  return {
    useCase: name,
    description: useCase.description,
    owner: useCase.owner ?? null,
    canDo: lists.canDo,
    cannotDo: lists.cannotDo,
    verifyWhen: lists.verifyWhen,
    sources,
    derived: useCase.card === undefined,
    seen: rows[0] !== undefined,
    seenAt: rows[0]?.seen_at ?? null,
  };
}

/** Records that `caller` dismissed the card of `name` (idempotent; audited `usecase.card_seen` the first time). */
export async function markCardSeen(
  db: Database,
  caller: Caller,
  name: string,
  options: { clock?: Clock; requestId?: string } = {},
): Promise<{ useCase: string; seen: true; seenAt: Date }> {
  const clock = options.clock ?? systemClock;
  const now = clock.now();
  return db.transaction(async (tx) => {
    await usableUseCase(tx, caller, name);
    const { rows } = await tx.query<{ seen_at: Date; inserted: boolean }>(
      `INSERT INTO use_case_card_seen (use_case, user_id, seen_at) VALUES ($1, $2, $3)
       ON CONFLICT (use_case, user_id) DO UPDATE SET seen_at = use_case_card_seen.seen_at
       RETURNING seen_at, (xmax = 0) AS inserted`,
      [name, caller.id, now],
    );
    const row = rows[0] as { seen_at: Date; inserted: boolean };
    if (row.inserted) {
      await recordAudit(
        tx,
        {
          actor: caller.id,
          action: 'usecase.card_seen',
          // Not `usecase:NAME`: that target is the use case's change log, and a dismissal is no change of it.
          target: `card:${name}`,
          ...(options.requestId ? { requestId: options.requestId } : {}),
          at: now,
        },
        clock,
      );
    }
    return { useCase: name, seen: true as const, seenAt: row.seen_at };
  });
}
