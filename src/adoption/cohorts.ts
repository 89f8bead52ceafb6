import { type Caller, type Clock, GroundworkError, systemClock } from '../core/index.ts';
import { authorize, recordAudit } from '../govern/index.ts';
import { normalisePrincipals } from '../protect/index.ts';
import type { Database, Queryable } from '../store/index.ts';

/**
 * Cohorts: named sets of principals (`group:pilot-adjusters`, `user:ann@example.com`) that usage reports (and,
 * later, rollouts) are evaluated against. Reading needs `usage:read`, writing `cohorts:write`; every write is
 * authorized and audited in its transaction.
 */
export interface Cohort {
  readonly name: string;
  readonly principals: readonly string[];
  readonly description: string | null;
  readonly createdBy: string;
  readonly createdAt: Date;
}

export interface CohortInput {
  readonly name: string;
  readonly principals: readonly string[];
  readonly description?: string;
}

type CohortRow = { name: string; principals: string[]; description: string | null; created_by: string; created_at: Date };

const toCohort = (row: CohortRow): Cohort => ({
  name: row.name,
  principals: row.principals,
  description: row.description,
  createdBy: row.created_by,
  createdAt: row.created_at,
});

export const cohortNamePattern = /^[a-z0-9][a-z0-9_-]{0,63}$/;

function invalid(message: string): GroundworkError {
  return new GroundworkError('cohort.invalid', message, {
    category: 'usage',
    fix: 'Name a cohort with 1–64 lower-case letters, digits, `-` or `_`, and give at least one principal (user:… or group:…).',
  });
}

export async function cohortNames(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>('SELECT name FROM cohorts ORDER BY name');
  return rows.map((r) => r.name);
}

function validList(names: readonly string[]): string {
  return names.length === 0 ? 'none exist yet' : `valid: ${names.join(', ')}`;
}

/** `cohort.not_found` naming the valid cohorts. */
export async function cohortNotFound(db: Queryable, name: string): Promise<GroundworkError> {
  const names = await cohortNames(db);
  return new GroundworkError('cohort.not_found', `There is no cohort "${name}" (${validList(names)}).`, {
    category: 'not_found',
    fix: 'List cohorts with `groundwork cohorts list`, or create it with `groundwork cohorts create NAME --principals …`.',
    details: { name, valid: names },
  });
}

/** Creates a cohort: authorized (`cohorts:write`), validated, written and audited (`cohort.create`) in one transaction. */
export async function createCohort(
  db: Database,
  caller: Caller,
  input: CohortInput,
  options: { clock?: Clock; requestId?: string } = {},
): Promise<Cohort> {
  authorize(caller, 'cohorts:write');
  const name = typeof input.name === 'string' ? input.name.trim() : '';
  if (!cohortNamePattern.test(name)) throw invalid(`"${input.name}" is not a valid cohort name.`);
  if (!Array.isArray(input.principals) || input.principals.length === 0) {
    throw invalid(`Cohort "${name}" needs at least one principal.`);
  }
  if (input.principals.length > 1000) throw invalid(`Cohort "${name}" has more than 1,000 principals.`);
  const principals = normalisePrincipals(input.principals);
  const description = input.description?.trim() || null;
  if (description && description.length > 500) throw invalid('The cohort description is longer than 500 characters.');
  const clock = options.clock ?? systemClock;
  const now = clock.now();
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<CohortRow>(
      `INSERT INTO cohorts (name, principals, description, created_by, created_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (name) DO NOTHING RETURNING *`,
      [name, principals, description, caller.id, now],
    );
    if (!rows[0]) {
      throw new GroundworkError('cohort.exists', `A cohort "${name}" already exists.`, {
        category: 'conflict',
        fix: `Pick another name, or delete it first (\`groundwork cohorts delete ${name}\`).`,
      });
    }
    const cohort = toCohort(rows[0]);
    await recordAudit(
      tx,
      {
        actor: caller.id,
        action: 'cohort.create',
        target: `cohort:${name}`,
        after: { name, principals, description },
        ...(options.requestId ? { requestId: options.requestId } : {}),
        at: now,
      },
      clock,
    );
    return cohort;
  });
}

export async function listCohorts(db: Queryable, caller: Caller): Promise<Cohort[]> {
  authorize(caller, 'usage:read');
  const { rows } = await db.query<CohortRow>('SELECT * FROM cohorts ORDER BY name');
  return rows.map(toCohort);
}

/** The cohort, or `cohort.not_found` naming the valid ones. */
export async function getCohort(db: Queryable, caller: Caller, name: string): Promise<Cohort> {
  authorize(caller, 'usage:read');
  const { rows } = await db.query<CohortRow>('SELECT * FROM cohorts WHERE name = $1', [name]);
  if (!rows[0]) throw await cohortNotFound(db, name);
  return toCohort(rows[0]);
}

/** Deletes a cohort: authorized (`cohorts:write`) and audited (`cohort.delete`, with what it was) in one transaction. */
export async function deleteCohort(
  db: Database,
  caller: Caller,
  name: string,
  options: { clock?: Clock; requestId?: string } = {},
): Promise<Cohort> {
  authorize(caller, 'cohorts:write');
  const clock = options.clock ?? systemClock;
  const now = clock.now();
  const deleted = await db.transaction(async (tx) => {
    const { rows } = await tx.query<CohortRow>('DELETE FROM cohorts WHERE name = $1 RETURNING *', [name]);
    if (!rows[0]) return undefined;
    const cohort = toCohort(rows[0]);
    await recordAudit(
      tx,
      {
        actor: caller.id,
        action: 'cohort.delete',
        target: `cohort:${name}`,
        before: { name, principals: cohort.principals, description: cohort.description },
        ...(options.requestId ? { requestId: options.requestId } : {}),
        at: now,
      },
      clock,
    );
    return cohort;
  });
  if (!deleted) throw await cohortNotFound(db, name);
  return deleted;
}
