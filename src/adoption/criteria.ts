import { createUseCaseStore, type UseCase } from '../answer/index.ts';
import { type Caller, type Clock, GroundworkError, systemClock } from '../core/index.ts';
import { evalMetricHistory, evalMetricNames, isLowerBetter, parseMetricName } from '../evaluate/index.ts';
import { authorize, type Governance, hasScope, recordAudit, type SubmitChangeResult, submitChange } from '../govern/index.ts';
import type { Database, Queryable } from '../store/index.ts';
import { assertMaySeeUsage, checkDate, computeUsageReport, type UsageReport } from './report.ts';

/**
 * Success criteria per use case (issue 16 item 1): `{id, metric, baseline, target, direction, owner, cadence,
 * source}`, defined before launch and measured against over time. The metric decides the source:
 *
 * - a usage metric computed from the rollups (`usageMetrics`), measured at the end of every cadence period
 *   (complete periods are snapshotted in `usage_metric_snapshots`, the current one is computed live);
 * - `eval:<metric>`: the mean of that metric in the use case's succeeded evaluation runs (one value per run);
 * - `manual:<name>`: a business metric with a unit, values recorded with a date (`recordMeasurement`).
 *
 * Adding or removing a criterion is a governed change (`criteria.change`): on a use case past draft it needs
 * approval — lowering a target after launch is exactly what four eyes are for. Recording a manual value is
 * direct but audited. The status rule is documented in docs/adoption.md ("Success criteria").
 */

export const usageMetrics = [
  'activeUsers.daily',
  'activeUsers.weekly',
  'activeUsers.monthly',
  'active30',
  'active60',
  'active90',
  'timeToValue.medianHours',
  'timeToValue.p90Hours',
  'taskCompletionRate',
  'refusalRate',
  'feedbackRate',
  'overrideRate',
] as const;
export type UsageMetric = (typeof usageMetrics)[number];
const lowerIsBetterUsage = new Set<string>(['timeToValue.medianHours', 'timeToValue.p90Hours', 'refusalRate', 'overrideRate']);

export const criterionCadences = ['daily', 'weekly', 'monthly'] as const;
export type CriterionCadence = (typeof criterionCadences)[number];
export const criterionStatuses = ['on_track', 'at_risk', 'missed', 'no_data'] as const;
export type CriterionStatus = (typeof criterionStatuses)[number];
export type CriterionSource = 'usage' | 'eval' | 'manual';

export interface Criterion {
  readonly id: string;
  readonly useCase: string;
  readonly metric: string;
  readonly source: CriterionSource;
  readonly unit: string | null;
  readonly baseline: number | null;
  readonly target: number;
  readonly direction: 'up' | 'down';
  readonly owner: string | null;
  readonly cadence: CriterionCadence;
  /** YYYY-MM-DD: the target is due by then (after it, not met = missed). */
  readonly due: string | null;
  readonly description: string | null;
  readonly createdBy: string;
  readonly createdAt: Date;
}

export interface CriterionInput {
  readonly id?: string;
  readonly metric: string;
  readonly target: number;
  readonly baseline?: number | null;
  readonly direction?: string;
  readonly owner?: string | null;
  readonly cadence?: string;
  readonly unit?: string | null;
  readonly due?: string | null;
  readonly description?: string | null;
}

/** One point of a criterion's progress: the value at the end of a cadence period (or of the current one so far). */
export interface CriterionPoint {
  /** First day of the period (YYYY-MM-DD). */
  readonly period: string;
  /** The day the value is for: the period's last day, `asOf` for the current period, the run / record day. */
  readonly day: string;
  readonly value: number;
  readonly met: boolean;
  /** False for the current period (it has not ended yet). */
  readonly complete: boolean;
}

export interface CriterionView extends Omit<Criterion, 'createdAt'> {
  readonly createdAt: string;
  readonly status: CriterionStatus;
  /** Why the status is what it is, in one sentence. */
  readonly reason: string;
  readonly latest: number | null;
  /** Least-squares slope of the recent points, per day (null: fewer than two points). */
  readonly trendPerDay: number | null;
  /** The last complete periods in a row that did not meet the target. */
  readonly missedPeriodsInARow: number;
  readonly points: readonly CriterionPoint[];
}

export interface CriteriaReport {
  readonly useCase: string;
  readonly asOf: string;
  /** True when usage metrics include the simulator's rows (demo data). */
  readonly includesSimulated: boolean;
  readonly criteria: readonly CriterionView[];
  /** True only when there is at least one criterion and every one is on track. */
  readonly allOnTrack: boolean;
}

type CriterionRow = {
  use_case: string;
  id: string;
  metric: string;
  source: CriterionSource;
  unit: string | null;
  baseline: number | null;
  target: number;
  direction: 'up' | 'down';
  owner: string | null;
  cadence: CriterionCadence;
  due: string | null;
  description: string | null;
  created_by: string;
  created_at: Date;
};

const criterionColumns = `use_case, id, metric, source, unit, baseline, target, direction, owner, cadence, due::text AS due,
  description, created_by, created_at`;

const toCriterion = (row: CriterionRow): Criterion => ({
  id: row.id,
  useCase: row.use_case,
  metric: row.metric,
  source: row.source,
  unit: row.unit,
  baseline: row.baseline === null ? null : Number(row.baseline),
  target: Number(row.target),
  direction: row.direction,
  owner: row.owner,
  cadence: row.cadence,
  due: row.due,
  description: row.description,
  createdBy: row.created_by,
  createdAt: new Date(row.created_at),
});

/** The definition a change request carries (what approvers compare). */
type CriterionSnapshot = Omit<Criterion, 'useCase' | 'createdBy' | 'createdAt'>;
/** `criteria.change` before/after: the criterion (null = absent) and the use case's status (draft: no approval). */
type CriteriaChangeState = { readonly useCaseStatus: string; readonly criterion: CriterionSnapshot | null };

const snapshotOf = (c: Criterion): CriterionSnapshot => ({
  id: c.id,
  metric: c.metric,
  source: c.source,
  unit: c.unit,
  baseline: c.baseline,
  target: c.target,
  direction: c.direction,
  owner: c.owner,
  cadence: c.cadence,
  due: c.due,
  description: c.description,
});

export const criterionIdPattern = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const manualPattern = /^manual:[a-z0-9][a-z0-9_.-]{0,63}$/;

function invalid(message: string, details?: Record<string, unknown>): GroundworkError {
  return new GroundworkError('criteria.invalid', message, {
    category: 'usage',
    fix: 'Give --metric, a finite --target (and --baseline), --direction up|down, --cadence daily|weekly|monthly, --due YYYY-MM-DD.',
    ...(details ? { details } : {}),
  });
}

function criterionNotFound(useCase: string, id: string, valid: readonly string[]): GroundworkError {
  return new GroundworkError(
    'criteria.not_found',
    `Use case "${useCase}" has no success criterion "${id}" (${valid.length === 0 ? 'it has none yet' : `valid: ${valid.join(', ')}`}).`,
    {
      category: 'not_found',
      fix: `List them with \`groundwork use-cases criteria list ${useCase}\`.`,
      details: { useCase, id, valid },
    },
  );
}

const finite = (name: string, value: unknown): number => {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw invalid(`${name} must be a finite number (got ${JSON.stringify(value)}).`, { field: name });
  }
  return value;
};

/** Which source a metric name belongs to, or `criteria.unknown_metric` naming the valid ones. */
async function classifyMetric(
  db: Queryable,
  useCase: string,
  metric: string,
): Promise<{ source: CriterionSource; lowerIsBetter: boolean }> {
  if ((usageMetrics as readonly string[]).includes(metric))
    return { source: 'usage', lowerIsBetter: lowerIsBetterUsage.has(metric) };
  if (manualPattern.test(metric)) return { source: 'manual', lowerIsBetter: false };
  if (metric.startsWith('eval:')) {
    const name = metric.slice('eval:'.length);
    const recorded = await evalMetricNames(db, useCase);
    if (parseMetricName(name) || recorded.includes(name)) return { source: 'eval', lowerIsBetter: isLowerBetter(name) };
  }
  const recorded = await evalMetricNames(db, useCase);
  const valid = [...usageMetrics, ...recorded.map((n) => `eval:${n}`)];
  throw new GroundworkError(
    'criteria.unknown_metric',
    `"${metric}" is not a metric a success criterion can track. Valid: ${usageMetrics.join(', ')}; eval:<metric> of the use case's evaluation runs (${recorded.length === 0 ? 'e.g. eval:precision@5, eval:citation_precision' : recorded.map((n) => `eval:${n}`).join(', ')}); manual:<name> with --unit for a business metric recorded by hand.`,
    {
      category: 'usage',
      fix: 'Pick one of the metrics the message lists.',
      details: { metric, valid, manual: 'manual:<name>' },
    },
  );
}

/** The use case, or 404; and whether the caller may change its criteria (`usecases:write`, or its owner). */
async function requireUseCase(db: Queryable, name: string): Promise<UseCase> {
  return createUseCaseStore(db).require(name);
}

function isOwner(caller: Caller, useCase: UseCase): boolean {
  const owner = useCase.owner;
  return !!owner && (caller.id === owner || caller.principals.includes(owner));
}

/** Criteria writes and reviews: `usecases:write`, or the use case's owner (who also needs `usage:read`). */
export function assertMayManage(caller: Caller, useCase: UseCase, what: string): void {
  authorize(caller, 'usage:read');
  if (hasScope(caller, 'usecases:write') || isOwner(caller, useCase)) return;
  throw new GroundworkError('auth.forbidden', `${caller.id} may not ${what} of the use case "${useCase.name}".`, {
    category: 'forbidden',
    fix: 'Builders and administrators (usecases:write) or the use case owner may do this.',
    details: { useCase: useCase.name },
  });
}

async function readCriteria(db: Queryable, useCase: string): Promise<Criterion[]> {
  const { rows } = await db.query<CriterionRow>(
    `SELECT ${criterionColumns} FROM success_criteria WHERE use_case = $1 ORDER BY created_at, id`,
    [useCase],
  );
  return rows.map(toCriterion);
}

function splitTarget(target: string): { useCase: string; id: string } {
  const at = target.lastIndexOf('/');
  return { useCase: target.slice(0, at), id: target.slice(at + 1) };
}

/** Registers `criteria.change` (add or remove a success criterion; approval needed past draft). */
export function registerCriteriaChangeKinds(governance: Governance): void {
  governance.register({
    kind: 'criteria.change',
    // Owners may request it too (checked per use case by addCriterion / removeCriterion).
    scope: 'usage:read',
    async read(tx, target): Promise<CriteriaChangeState | null> {
      const { useCase, id } = splitTarget(target);
      const found = await createUseCaseStore(tx).get(useCase);
      if (!found) return null;
      const { rows } = await tx.query<CriterionRow>(
        `SELECT ${criterionColumns} FROM success_criteria WHERE use_case = $1 AND id = $2`,
        [useCase, id],
      );
      return { useCaseStatus: found.status, criterion: rows[0] ? snapshotOf(toCriterion(rows[0])) : null };
    },
    async apply(tx, actor, change) {
      const { useCase, id } = splitTarget(change.target);
      const before = (change.before as CriteriaChangeState | null)?.criterion ?? null;
      const after = (change.after as CriteriaChangeState | null)?.criterion ?? null;
      if (after === null) {
        await tx.query('DELETE FROM success_criteria WHERE use_case = $1 AND id = $2', [useCase, id]);
      } else {
        await tx.query(
          `INSERT INTO success_criteria (use_case, id, metric, source, unit, baseline, target, direction, owner, cadence, due,
             description, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::date, $12, $13)
           ON CONFLICT (use_case, id) DO UPDATE SET metric = $3, source = $4, unit = $5, baseline = $6, target = $7,
             direction = $8, owner = $9, cadence = $10, due = $11::date, description = $12`,
          [
            useCase,
            id,
            after.metric,
            after.source,
            after.unit,
            after.baseline,
            after.target,
            after.direction,
            after.owner,
            after.cadence,
            after.due,
            after.description,
            actor,
          ],
        );
      }
      await recordAudit(tx, {
        actor,
        action: after === null ? 'criteria.remove' : before === null ? 'criteria.add' : 'criteria.update',
        target: `usecase:${useCase}`,
        ...(before ? { before } : {}),
        ...(after ? { after } : {}),
      });
      return after === null ? { removed: id, useCase } : { ...after, useCase };
    },
    needsApproval: (before) => ((before as CriteriaChangeState | null)?.useCaseStatus ?? 'draft') !== 'draft',
    affectedUseCases: async (_tx, target) => [splitTarget(target).useCase],
    describe: (target, before, after) => {
      const was = (before as CriteriaChangeState | null)?.criterion;
      const now = (after as CriteriaChangeState | null)?.criterion;
      if (!now)
        return `success criterion ${target}: remove${was ? ` (${was.metric} ${was.direction === 'up' ? '≥' : '≤'} ${was.target})` : ''}`;
      return `success criterion ${target}: ${was ? `${was.metric} target ${was.target} → ${now.target}` : `add ${now.metric} ${now.direction === 'up' ? '≥' : '≤'} ${now.target}`}`;
    },
  });
}

/**
 * Adds a success criterion to a use case: validated (unknown metric → `criteria.unknown_metric` naming the valid
 * ones), authorized (`usecases:write` or the owner), then submitted as a `criteria.change` — applied at once on
 * a draft use case (or by the local operator), a change request otherwise.
 */
export async function addCriterion(
  governance: Governance,
  db: Database,
  caller: Caller,
  useCaseName: string,
  input: CriterionInput,
  options: { reason?: string; requestId?: string } = {},
): Promise<SubmitChangeResult> {
  authorize(caller, 'usage:read');
  if (typeof input.metric !== 'string' || input.metric.trim() === '') throw invalid('A criterion needs a --metric.');
  const metric = input.metric.trim();
  const target = finite('target', input.target);
  const baseline = input.baseline === undefined || input.baseline === null ? null : finite('baseline', input.baseline);
  const cadence = (input.cadence ?? 'weekly') as CriterionCadence;
  if (!(criterionCadences as readonly string[]).includes(cadence)) {
    throw invalid(`"${input.cadence}" is not a cadence (valid: ${criterionCadences.join(', ')}).`, { field: 'cadence' });
  }
  if (input.direction !== undefined && input.direction !== 'up' && input.direction !== 'down') {
    throw invalid(`"${input.direction}" is not a direction (valid: up, down).`, { field: 'direction' });
  }
  let due: string | null = null;
  if (input.due) {
    try {
      due = checkDate('due', input.due) ?? null;
    } catch {
      throw invalid(`due "${input.due}" is not a valid YYYY-MM-DD date.`, { field: 'due' });
    }
  }
  const id = (input.id ?? metric.replace(/^(eval|manual):/, '$1-').replace(/[^a-z0-9_-]+/gi, '-')).toLowerCase().slice(0, 64);
  if (!criterionIdPattern.test(id))
    throw invalid(`"${id}" is not a valid criterion id (1–64 lower-case letters, digits, - or _).`);
  const unit = input.unit?.trim() || null;
  const description = input.description?.trim() || null;
  if (description && description.length > 500) throw invalid('The description is longer than 500 characters.');
  const owner = input.owner?.trim() || null;
  return db.transaction(async (tx) => {
    const useCase = await requireUseCase(tx, useCaseName);
    assertMayManage(caller, useCase, 'change the success criteria');
    const { source, lowerIsBetter } = await classifyMetric(tx, useCase.name, metric);
    if (source === 'manual' && !unit)
      throw invalid(`A manual metric (${metric}) needs a --unit, e.g. minutes.`, { field: 'unit' });
    const existing = await readCriteria(tx, useCase.name);
    if (existing.some((c) => c.id === id)) {
      throw new GroundworkError('criteria.exists', `Use case "${useCase.name}" already has a criterion "${id}".`, {
        category: 'conflict',
        fix: `Give another --id, or remove it first (\`groundwork use-cases criteria remove ${useCase.name} ${id}\`).`,
      });
    }
    const criterion: CriterionSnapshot = {
      id,
      metric,
      source,
      unit,
      baseline,
      target,
      direction: (input.direction as 'up' | 'down' | undefined) ?? (lowerIsBetter ? 'down' : 'up'),
      owner: owner ?? useCase.owner ?? null,
      cadence,
      due,
      description,
    };
    return submitChange(governance, tx, caller, {
      kind: 'criteria.change',
      target: `${useCase.name}/${id}`,
      after: { useCaseStatus: useCase.status, criterion } satisfies CriteriaChangeState,
      ...(options.reason ? { reason: options.reason } : {}),
      ...(options.requestId ? { requestId: options.requestId } : {}),
    });
  });
}

export type CriterionPatch = Partial<Omit<CriterionInput, 'id' | 'metric'>> & { readonly metric?: string };

/**
 * Changes a criterion's target, baseline, direction, owner, cadence, due day, unit or description (not its metric:
 * remove it and add another), governed like `addCriterion` — past draft, lowering a target is a change request
 * whose summary shows "target 0.9 → 0.8".
 */
export async function updateCriterion(
  governance: Governance,
  db: Database,
  caller: Caller,
  useCaseName: string,
  id: string,
  patch: CriterionPatch,
  options: { reason?: string; requestId?: string } = {},
): Promise<SubmitChangeResult> {
  authorize(caller, 'usage:read');
  const changes: { -readonly [K in keyof Omit<CriterionSnapshot, 'id' | 'metric' | 'source'>]?: CriterionSnapshot[K] } = {};
  if (patch.target !== undefined) changes.target = finite('target', patch.target);
  if (patch.baseline !== undefined) changes.baseline = patch.baseline === null ? null : finite('baseline', patch.baseline);
  if (patch.cadence !== undefined) {
    if (!(criterionCadences as readonly string[]).includes(patch.cadence)) {
      throw invalid(`"${patch.cadence}" is not a cadence (valid: ${criterionCadences.join(', ')}).`, { field: 'cadence' });
    }
    changes.cadence = patch.cadence as CriterionCadence;
  }
  if (patch.direction !== undefined) {
    if (patch.direction !== 'up' && patch.direction !== 'down') {
      throw invalid(`"${patch.direction}" is not a direction (valid: up, down).`, { field: 'direction' });
    }
    changes.direction = patch.direction;
  }
  if (patch.due !== undefined) {
    try {
      changes.due = patch.due === null || patch.due === '' ? null : (checkDate('due', patch.due) ?? null);
    } catch {
      throw invalid(`due "${patch.due}" is not a valid YYYY-MM-DD date.`, { field: 'due' });
    }
  }
  if (patch.owner !== undefined) changes.owner = patch.owner?.trim() || null;
  if (patch.unit !== undefined) changes.unit = patch.unit?.trim() || null;
  if (patch.description !== undefined) {
    changes.description = patch.description?.trim() || null;
    if (changes.description && changes.description.length > 500) throw invalid('The description is longer than 500 characters.');
  }
  return db.transaction(async (tx) => {
    const useCase = await requireUseCase(tx, useCaseName);
    assertMayManage(caller, useCase, 'change the success criteria');
    const existing = await readCriteria(tx, useCase.name);
    const current = existing.find((c) => c.id === id);
    if (!current)
      throw criterionNotFound(
        useCase.name,
        id,
        existing.map((c) => c.id),
      );
    if (patch.metric !== undefined && patch.metric !== current.metric) {
      throw invalid(`The metric of criterion "${id}" cannot change (${current.metric}); remove it and add a new one.`, {
        field: 'metric',
      });
    }
    const criterion: CriterionSnapshot = { ...snapshotOf(current), ...changes };
    if (criterion.source === 'manual' && !criterion.unit) throw invalid('A manual metric needs a unit.', { field: 'unit' });
    return submitChange(governance, tx, caller, {
      kind: 'criteria.change',
      target: `${useCase.name}/${id}`,
      after: { useCaseStatus: useCase.status, criterion } satisfies CriteriaChangeState,
      ...(options.reason ? { reason: options.reason } : {}),
      ...(options.requestId ? { requestId: options.requestId } : {}),
    });
  });
}

/** Removes a criterion (with its recorded values), governed like `addCriterion`. */
export async function removeCriterion(
  governance: Governance,
  db: Database,
  caller: Caller,
  useCaseName: string,
  id: string,
  options: { reason?: string; requestId?: string } = {},
): Promise<SubmitChangeResult> {
  authorize(caller, 'usage:read');
  return db.transaction(async (tx) => {
    const useCase = await requireUseCase(tx, useCaseName);
    assertMayManage(caller, useCase, 'change the success criteria');
    const existing = await readCriteria(tx, useCase.name);
    if (!existing.some((c) => c.id === id))
      throw criterionNotFound(
        useCase.name,
        id,
        existing.map((c) => c.id),
      );
    return submitChange(governance, tx, caller, {
      kind: 'criteria.change',
      target: `${useCase.name}/${id}`,
      after: { useCaseStatus: useCase.status, criterion: null } satisfies CriteriaChangeState,
      ...(options.reason ? { reason: options.reason } : {}),
      ...(options.requestId ? { requestId: options.requestId } : {}),
    });
  });
}

export interface Measurement {
  readonly useCase: string;
  readonly criterionId: string;
  readonly day: string;
  readonly value: number;
  readonly note: string | null;
  readonly recordedBy: string;
  readonly recordedAt: Date;
}

/**
 * Records a value of a `manual:` criterion for a day (default today; a day again replaces its value): direct,
 * authorized (`usecases:write` or the owner) and audited (`criteria.record`, with the value it replaced).
 */
export async function recordMeasurement(
  db: Database,
  caller: Caller,
  useCaseName: string,
  id: string,
  input: { value: number; date?: string; note?: string },
  options: { clock?: Clock; requestId?: string } = {},
): Promise<Measurement> {
  authorize(caller, 'usage:read');
  const value = finite('value', input.value);
  const clock = options.clock ?? systemClock;
  const now = clock.now();
  let day = now.toISOString().slice(0, 10);
  if (input.date !== undefined) {
    try {
      day = checkDate('date', input.date) ?? day;
    } catch {
      throw invalid(`date "${input.date}" is not a valid YYYY-MM-DD date.`, { field: 'date' });
    }
  }
  const note = input.note?.trim() || null;
  if (note && note.length > 500) throw invalid('The note is longer than 500 characters.');
  return db.transaction(async (tx) => {
    const useCase = await requireUseCase(tx, useCaseName);
    assertMayManage(caller, useCase, 'record success-criteria values');
    const criteria = await readCriteria(tx, useCase.name);
    const criterion = criteria.find((c) => c.id === id);
    if (!criterion)
      throw criterionNotFound(
        useCase.name,
        id,
        criteria.map((c) => c.id),
      );
    if (criterion.source !== 'manual') {
      throw new GroundworkError(
        'criteria.not_manual',
        `Criterion "${id}" tracks ${criterion.metric}, which is measured by Groundwork (${criterion.source === 'usage' ? 'from the usage rollups' : 'from evaluation runs'}); only manual:… criteria take recorded values.`,
        {
          category: 'usage',
          fix: 'Record values only for criteria whose metric is manual:<name>.',
          details: { useCase: useCase.name, id, metric: criterion.metric },
        },
      );
    }
    const previous = await tx.query<{ value: number }>(
      'SELECT value FROM criteria_measurements WHERE use_case = $1 AND criterion_id = $2 AND day = $3::date',
      [useCase.name, id, day],
    );
    await tx.query(
      `INSERT INTO criteria_measurements (use_case, criterion_id, day, value, note, recorded_by, recorded_at)
       VALUES ($1, $2, $3::date, $4, $5, $6, $7)
       ON CONFLICT (use_case, criterion_id, day) DO UPDATE SET value = $4, note = $5, recorded_by = $6, recorded_at = $7`,
      [useCase.name, id, day, value, note, caller.id, now],
    );
    await recordAudit(
      tx,
      {
        actor: caller.id,
        action: 'criteria.record',
        target: `usecase:${useCase.name}`,
        ...(previous.rows[0] ? { before: { criterion: id, day, value: Number(previous.rows[0].value) } } : {}),
        after: { criterion: id, day, value, unit: criterion.unit, note },
        ...(options.requestId ? { requestId: options.requestId } : {}),
        at: now,
      },
      clock,
    );
    return { useCase: useCase.name, criterionId: id, day, value, note, recordedBy: caller.id, recordedAt: now };
  });
}

// ---- measuring ----

const dayMs = 86_400_000;
const toDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const dayMsOf = (day: string) => Date.parse(`${day}T00:00:00Z`);

/** First day of the cadence period containing `day` (weeks start on Monday, months on the 1st). */
export function periodStart(cadence: CriterionCadence, day: string): string {
  if (cadence === 'daily') return day;
  if (cadence === 'monthly') return `${day.slice(0, 7)}-01`;
  const ms = dayMsOf(day);
  const weekday = (new Date(ms).getUTCDay() + 6) % 7;
  return toDay(ms - weekday * dayMs);
}

/** Last day of the period starting at `start`. */
export function periodEnd(cadence: CriterionCadence, start: string): string {
  if (cadence === 'daily') return start;
  if (cadence === 'weekly') return toDay(dayMsOf(start) + 6 * dayMs);
  const d = new Date(dayMsOf(start));
  return toDay(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) - dayMs);
}

const nextPeriod = (cadence: CriterionCadence, start: string) => toDay(dayMsOf(periodEnd(cadence, start)) + dayMs);

/** How far back usage criteria are measured (periods), so a first evaluation stays bounded. */
export const maxCriterionPeriods = 26;

/** A usage metric's value in a report; the cohort rates come from the latest cohort whose window has elapsed for all. */
export function usageMetricValue(report: UsageReport, metric: string): number | null {
  switch (metric) {
    case 'activeUsers.daily':
      return report.activeUsers.daily;
    case 'activeUsers.weekly':
      return report.activeUsers.weekly;
    case 'activeUsers.monthly':
      return report.activeUsers.monthly;
    case 'active30':
    case 'active60':
    case 'active90': {
      const key = metric as 'active30' | 'active60' | 'active90';
      const complete = report.cohorts.filter((c) => !c.partial[key] && c[key] !== null);
      return complete.at(-1)?.[key] ?? null;
    }
    case 'timeToValue.medianHours':
      return report.timeToValue.medianHours;
    case 'timeToValue.p90Hours':
      return report.timeToValue.p90Hours;
    case 'taskCompletionRate':
      return report.taskCompletionRate;
    case 'refusalRate':
      return report.refusalRate;
    case 'feedbackRate':
      return report.feedbackRate;
    case 'overrideRate':
      return report.overrideRate;
    default:
      return null;
  }
}

type UsageValues = Record<string, number | null>;

const valuesOf = (report: UsageReport): UsageValues =>
  Object.fromEntries(usageMetrics.map((m) => [m, usageMetricValue(report, m)]));

/**
 * The usage metrics at the end of each cadence period from the first usage (at most `maxCriterionPeriods` back)
 * to `asOf`: complete periods from `usage_metric_snapshots` (computed and stored the first time they are
 * needed), the current period live.
 */
async function usageSeries(
  db: Queryable,
  useCase: string,
  cadence: CriterionCadence,
  asOf: string,
  simulated: boolean,
): Promise<Array<{ period: string; day: string; complete: boolean; values: UsageValues }>> {
  const first = await db.query<{ first: string | null }>(
    `SELECT min((first_at AT TIME ZONE 'UTC')::date)::text AS first FROM usage_users
     WHERE use_case = $1 AND simulated = ANY($2::boolean[])`,
    [useCase, simulated ? [false, true] : [false]],
  );
  const firstDay = first.rows[0]?.first;
  if (!firstDay || firstDay > asOf) return [];
  let start = periodStart(cadence, firstDay);
  const periods: string[] = [];
  while (start <= asOf) {
    periods.push(start);
    start = nextPeriod(cadence, start);
  }
  const recent = periods.slice(-maxCriterionPeriods);
  const cached = await db.query<{ period_start: string; metrics: UsageValues }>(
    `SELECT period_start::text AS period_start, metrics FROM usage_metric_snapshots
     WHERE simulated = $1 AND use_case = $2 AND cadence = $3 AND period_start = ANY($4::date[])`,
    [simulated, useCase, cadence, recent],
  );
  const byPeriod = new Map(cached.rows.map((r) => [r.period_start, r.metrics]));
  const out: Array<{ period: string; day: string; complete: boolean; values: UsageValues }> = [];
  for (const period of recent) {
    const end = periodEnd(cadence, period);
    const complete = end < asOf;
    const day = complete ? end : asOf;
    let values = complete ? byPeriod.get(period) : undefined;
    if (!values) {
      // Rates count the period's own answers (`from` = its first day); the other metrics are as of its last day.
      // (The 90-day series is never a criterion; the cohorts are computed too, so a snapshot holds every metric.)
      values = valuesOf(
        await computeUsageReport(
          db,
          { useCase, asOf: day, from: period, includeSimulated: simulated },
          { withoutDailyActive: true },
        ),
      );
      if (complete) {
        await db.query(
          `INSERT INTO usage_metric_snapshots (simulated, use_case, cadence, period_start, period_end, metrics)
           VALUES ($1, $2, $3, $4::date, $5::date, $6::jsonb) ON CONFLICT DO NOTHING`,
          [simulated, useCase, cadence, period, end, JSON.stringify(values)],
        );
      }
    }
    out.push({ period, day, complete, values });
  }
  return out;
}

/** Raw dated values → one point per cadence period (the period's last value). */
function pointsFromDated(
  criterion: Criterion,
  dated: ReadonlyArray<{ day: string; value: number }>,
  asOf: string,
): CriterionPoint[] {
  const byPeriod = new Map<string, { day: string; value: number }>();
  for (const d of [...dated].filter((x) => x.day <= asOf).sort((a, b) => a.day.localeCompare(b.day))) {
    byPeriod.set(periodStart(criterion.cadence, d.day), d);
  }
  return [...byPeriod.entries()].map(([period, d]) => ({
    period,
    day: d.day,
    value: d.value,
    met: meets(criterion, d.value),
    complete: periodEnd(criterion.cadence, period) < asOf,
  }));
}

const meets = (c: Pick<Criterion, 'direction' | 'target'>, value: number) =>
  c.direction === 'up' ? value >= c.target : value <= c.target;

/** Least-squares slope (per day) of the last six points. */
function slopePerDay(points: readonly CriterionPoint[]): number | null {
  const recent = points.slice(-6);
  if (recent.length < 2) return null;
  const xs = recent.map((p) => dayMsOf(p.day) / dayMs);
  const ys = recent.map((p) => p.value);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += ((xs[i] ?? 0) - mx) * ((ys[i] ?? 0) - my);
    den += ((xs[i] ?? 0) - mx) ** 2;
  }
  return den === 0 ? null : num / den;
}

const fmt = (v: number) => String(Math.round(v * 10000) / 10000);

/**
 * The status rule (docs/adoption.md, "Status"): no points → `no_data`; latest value meets the target →
 * `on_track`; a due date that has passed, or (without one) the last two complete periods both short of the
 * target → `missed`; before the due date, a linear trend that reaches the target by then and a latest value
 * not worse than the baseline → `on_track`; otherwise `at_risk`.
 */
export function criterionStatus(
  criterion: Pick<Criterion, 'direction' | 'target' | 'baseline' | 'due'>,
  points: readonly CriterionPoint[],
  asOf: string,
): { status: CriterionStatus; reason: string; latest: number | null; trendPerDay: number | null; missedPeriodsInARow: number } {
  const latestPoint = points.at(-1);
  const trendPerDay = slopePerDay(points);
  let missedPeriodsInARow = 0;
  for (const p of [...points].reverse()) {
    if (!p.complete) continue;
    if (p.met) break;
    missedPeriodsInARow++;
  }
  if (!latestPoint) {
    return { status: 'no_data', reason: 'No measurement yet.', latest: null, trendPerDay, missedPeriodsInARow };
  }
  const latest = latestPoint.value;
  const cmp = criterion.direction === 'up' ? '≥' : '≤';
  const base = { latest, trendPerDay, missedPeriodsInARow };
  if (meets(criterion, latest)) {
    return { status: 'on_track', reason: `Latest ${fmt(latest)} meets the target (${cmp} ${fmt(criterion.target)}).`, ...base };
  }
  if (criterion.due && asOf > criterion.due) {
    return {
      status: 'missed',
      reason: `Due ${criterion.due} has passed and the latest ${fmt(latest)} is short of ${cmp} ${fmt(criterion.target)}.`,
      ...base,
    };
  }
  if (!criterion.due && missedPeriodsInARow >= 2) {
    return {
      status: 'missed',
      reason: `Short of the target (${cmp} ${fmt(criterion.target)}) in the last ${missedPeriodsInARow} complete periods in a row.`,
      ...base,
    };
  }
  const worseThanBaseline =
    criterion.baseline !== null && (criterion.direction === 'up' ? latest < criterion.baseline : latest > criterion.baseline);
  if (criterion.due && trendPerDay !== null && !worseThanBaseline) {
    const projected = latest + trendPerDay * ((dayMsOf(criterion.due) - dayMsOf(latestPoint.day)) / dayMs);
    if (meets(criterion, projected)) {
      return {
        status: 'on_track',
        reason: `Not there yet (${fmt(latest)}), but the trend reaches ${fmt(projected)} by ${criterion.due}.`,
        ...base,
      };
    }
  }
  return {
    status: 'at_risk',
    reason: worseThanBaseline
      ? `Latest ${fmt(latest)} is worse than the baseline ${fmt(criterion.baseline ?? 0)}.`
      : criterion.due
        ? `Latest ${fmt(latest)} is short of ${cmp} ${fmt(criterion.target)} and the trend does not reach it by ${criterion.due}.`
        : `Latest ${fmt(latest)} is short of the target (${cmp} ${fmt(criterion.target)}).`,
    ...base,
  };
}

async function evaluateCriteria(
  db: Queryable,
  useCase: string,
  options: { asOf: string; includeSimulated: boolean },
): Promise<CriteriaReport> {
  const criteria = await readCriteria(db, useCase);
  const seriesByCadence = new Map<CriterionCadence, Awaited<ReturnType<typeof usageSeries>>>();
  const views: CriterionView[] = [];
  for (const criterion of criteria) {
    let points: CriterionPoint[];
    if (criterion.source === 'usage') {
      let series = seriesByCadence.get(criterion.cadence);
      if (!series) {
        series = await usageSeries(db, useCase, criterion.cadence, options.asOf, options.includeSimulated);
        seriesByCadence.set(criterion.cadence, series);
      }
      points = series.flatMap((s) => {
        const value = s.values[criterion.metric];
        return value === null || value === undefined
          ? []
          : [{ period: s.period, day: s.day, value, met: meets(criterion, value), complete: s.complete }];
      });
    } else if (criterion.source === 'eval') {
      const history = await evalMetricHistory(db, useCase, criterion.metric.slice('eval:'.length));
      points = pointsFromDated(
        criterion,
        history.map((h) => ({ day: h.at.toISOString().slice(0, 10), value: h.value })),
        options.asOf,
      );
    } else {
      const { rows } = await db.query<{ day: string; value: number }>(
        'SELECT day::text AS day, value FROM criteria_measurements WHERE use_case = $1 AND criterion_id = $2 ORDER BY day',
        [useCase, criterion.id],
      );
      points = pointsFromDated(
        criterion,
        rows.map((r) => ({ day: r.day, value: Number(r.value) })),
        options.asOf,
      );
    }
    const verdict = criterionStatus(criterion, points, options.asOf);
    views.push({ ...criterion, createdAt: criterion.createdAt.toISOString(), ...verdict, points });
  }
  return {
    useCase,
    asOf: options.asOf,
    includesSimulated: options.includeSimulated,
    criteria: views,
    allOnTrack: views.length > 0 && views.every((v) => v.status === 'on_track'),
  };
}

/**
 * The use case's criteria with their progress and status. Authorized (`usage:read`; reviewers only for use cases
 * they may use). `includeSimulated` measures usage criteria on the simulator's rows too (the demo; labelled).
 */
export async function listCriteria(
  db: Queryable,
  caller: Caller,
  useCaseName: string,
  options: { asOf?: string; includeSimulated?: boolean; clock?: Clock } = {},
): Promise<CriteriaReport> {
  authorize(caller, 'usage:read');
  const asOf = checkDate('asOf', options.asOf) ?? (options.clock ?? systemClock).now().toISOString().slice(0, 10);
  const useCase = await requireUseCase(db, useCaseName);
  assertMaySeeUsage(caller, useCase);
  return evaluateCriteria(db, useCase.name, { asOf, includeSimulated: options.includeSimulated ?? false });
}

/**
 * For rollout policies (helper A: "all criteria on track"): each criterion's status on real usage as of today.
 * `allOnTrack` is false when the use case has no criteria: expanding without defined success is not "on track".
 * No authorization: the caller (the rollout write path) has authorized its own change.
 */
export async function criteriaStatusFor(
  db: Queryable,
  useCase: string,
  options: { asOf?: string; clock?: Clock } = {},
): Promise<{
  criteria: Array<{
    id: string;
    metric: string;
    target: number;
    direction: 'up' | 'down';
    status: 'on_track' | 'at_risk' | 'missed' | 'no_data';
    latest: number | null;
  }>;
  allOnTrack: boolean;
}> {
  const asOf = options.asOf ?? (options.clock ?? systemClock).now().toISOString().slice(0, 10);
  const report = await evaluateCriteria(db, useCase, { asOf, includeSimulated: false });
  return {
    criteria: report.criteria.map((c) => ({
      id: c.id,
      metric: c.metric,
      target: c.target,
      direction: c.direction,
      status: c.status,
      latest: c.latest,
    })),
    allOnTrack: report.allOnTrack,
  };
}

/** Internal (health.ts): criteria evaluated without authorization. */
export { evaluateCriteria };
