import { z } from 'zod';
import { createUseCaseStore, mayUseUseCase } from '../answer/index.ts';
import {
  type Caller,
  type Clock,
  type EventBus,
  type GroundworkConfig,
  GroundworkError,
  type Logger,
  type MonitorConfig,
  newId,
  type SecretResolver,
  systemClock,
} from '../core/index.ts';
import { authorize, type Governance, hasScope, recordAudit } from '../govern/index.ts';
import { getSource } from '../ingest/index.ts';
import type { JobQueue } from '../jobs/index.ts';
import type { Database, Queryable } from '../store/index.ts';
import { isMonitorKind, kindInfo, type MonitorKind, monitorKinds } from './kinds.ts';
import { formatDuration, parseDuration, parseThreshold, thresholdGrammar } from './threshold.ts';
import { checkWebhookUrl, redactWebhookUrl, type WebhookFormat, webhookFormats } from './webhooks.ts';

/**
 * Monitors: a metric (kind) of a use case or a source, evaluated over a sliding window against a threshold.
 * Created over the API/CLI (`origin: api`) or in the configuration (`monitors:`, `origin: config`, reconciled
 * into the table at each evaluation and listing; the API cannot change those).
 *
 * Every write is one function here: authorize (`monitors:write`), validate (unknown kind or malformed
 * threshold → 400 naming the valid kinds / the grammar), write, audit — one transaction. Webhook secrets are
 * stored but never returned or audited (only whether one is set); webhook URLs are shown with their path
 * hidden (Slack and Teams URLs carry their secret in the path).
 */
export interface MonitorDeps {
  readonly db: Database;
  readonly clock?: Clock;
  readonly config: Pick<GroundworkConfig, 'monitors' | 'monitoring' | 'sources' | 'ingest'>;
  readonly secrets?: SecretResolver;
  /** Enqueues webhook deliveries (in the evaluation's transaction). Absent: alerts are recorded, not sent. */
  readonly jobs?: Pick<JobQueue, 'prepare' | 'send'>;
  /** For the automatic rollback of an alert's incident. */
  readonly governance?: Governance;
  readonly events?: EventBus;
  readonly logger?: Logger;
  readonly requestId?: string;
}

/** The actor of scheduled evaluations (audit records, incidents opened by alerts). */
export const monitorSystemCaller: Caller = Object.freeze({
  id: 'system:monitors',
  role: 'admin',
  principals: [],
  seesEverything: true,
});

export interface MonitorWebhookView {
  /** Scheme and host only: the path may carry a secret. */
  readonly url: string;
  readonly format: WebhookFormat;
  readonly secretSet: boolean;
  /** ok | failing | null (nothing sent yet). */
  readonly status: string | null;
  readonly error: string | null;
  readonly failedAt: Date | null;
}

export interface Monitor {
  readonly id: string;
  readonly name: string;
  readonly kind: MonitorKind;
  readonly useCase: string | null;
  readonly source: string | null;
  readonly threshold: string;
  readonly window: string;
  readonly baseline: string | null;
  readonly every: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly webhook: MonitorWebhookView | null;
  readonly onFire: { readonly incident?: string; readonly rollback?: boolean };
  readonly origin: 'api' | 'config';
  readonly enabled: boolean;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly lastEvaluatedAt: Date | null;
  readonly lastValue: number | null;
  readonly lastState: string | null;
  readonly lastError: string | null;
}

export type MonitorRow = {
  id: string;
  name: string;
  kind: MonitorKind;
  use_case: string | null;
  source: string | null;
  threshold: string;
  window_seconds: number;
  baseline_seconds: number | null;
  every_seconds: number;
  params: Record<string, unknown>;
  webhook_url: string | null;
  webhook_format: WebhookFormat;
  webhook_secret: string | null;
  webhook_secret_env: string | null;
  on_fire: { incident?: string; rollback?: boolean };
  origin: 'api' | 'config';
  enabled: boolean;
  created_by: string;
  created_at: Date;
  updated_at: Date;
  last_evaluated_at: Date | null;
  last_value: number | null;
  last_state: string | null;
  last_error: string | null;
  webhook_status: string | null;
  webhook_error: string | null;
  webhook_failed_at: Date | null;
};

export function toMonitor(row: MonitorRow): Monitor {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    useCase: row.use_case,
    source: row.source,
    threshold: row.threshold,
    window: formatDuration(row.window_seconds),
    baseline: row.baseline_seconds === null ? null : formatDuration(row.baseline_seconds),
    every: formatDuration(row.every_seconds),
    params: row.params ?? {},
    webhook: row.webhook_url
      ? {
          url: redactWebhookUrl(row.webhook_url),
          format: row.webhook_format,
          secretSet: Boolean(row.webhook_secret || row.webhook_secret_env),
          status: row.webhook_status,
          error: row.webhook_error,
          failedAt: row.webhook_failed_at ? new Date(row.webhook_failed_at) : null,
        }
      : null,
    onFire: row.on_fire ?? {},
    origin: row.origin,
    enabled: row.enabled,
    createdBy: row.created_by,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    lastEvaluatedAt: row.last_evaluated_at ? new Date(row.last_evaluated_at) : null,
    lastValue: row.last_value === null ? null : Number(row.last_value),
    lastState: row.last_state,
    lastError: row.last_error,
  };
}

const paramValue = z.union([z.number(), z.string().max(200), z.boolean()]);
const onFireSchema = z.strictObject({
  incident: z.enum(['sev1', 'sev2', 'sev3', 'sev4']).optional(),
  rollback: z.boolean().optional(),
});

/** The body of `POST /v1/monitors` (kind and threshold checked by the function, with their own errors). */
export const createMonitorSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, - and _ (at most 63)'),
  kind: z.string().min(1).max(50),
  useCase: z.string().min(1).max(63).optional(),
  source: z.string().min(1).max(200).optional(),
  threshold: z.string().min(1).max(50).optional(),
  window: z.string().min(2).max(20).optional(),
  baseline: z.string().min(2).max(20).optional(),
  every: z.string().min(2).max(20).optional(),
  webhook: z.string().min(1).max(2000).optional(),
  webhookFormat: z.enum(webhookFormats).optional(),
  /** HMAC secret for the webhook signature: stored, never returned. */
  webhookSecret: z.string().min(16, 'at least 16 characters').max(500).optional(),
  params: z.record(z.string().max(50), paramValue).optional(),
  onFire: onFireSchema.optional(),
  enabled: z.boolean().optional(),
});
export type CreateMonitorInput = z.input<typeof createMonitorSchema>;

/** The body of `PATCH /v1/monitors/:id`: any field but the name and kind; `null` clears optional ones. */
export const updateMonitorSchema = z.strictObject({
  useCase: z.string().min(1).max(63).nullable().optional(),
  source: z.string().min(1).max(200).nullable().optional(),
  threshold: z.string().min(1).max(50).optional(),
  window: z.string().min(2).max(20).optional(),
  baseline: z.string().min(2).max(20).nullable().optional(),
  every: z.string().min(2).max(20).optional(),
  webhook: z.string().min(1).max(2000).nullable().optional(),
  webhookFormat: z.enum(webhookFormats).optional(),
  webhookSecret: z.string().min(16, 'at least 16 characters').max(500).nullable().optional(),
  params: z.record(z.string().max(50), paramValue).optional(),
  onFire: onFireSchema.optional(),
  enabled: z.boolean().optional(),
});
export type UpdateMonitorInput = z.input<typeof updateMonitorSchema>;

function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`);
  throw new GroundworkError('monitor.invalid', `Invalid monitor: ${problems.join('; ')}.`, {
    category: 'usage',
    fix: 'Correct the named fields (see `groundwork monitors create --help` or docs/monitoring.md).',
    details: { problems },
  });
}

function invalid(message: string, fix: string): GroundworkError {
  return new GroundworkError('monitor.invalid', message, { category: 'usage', fix });
}

export function unknownKind(kind: string): GroundworkError {
  return new GroundworkError('monitor.unknown_kind', `Unknown monitor kind "${kind}". Valid kinds: ${monitorKinds.join(', ')}.`, {
    category: 'usage',
    fix: `Use one of: ${monitorKinds.join(', ')} (docs/monitoring.md).`,
    details: { kind, validKinds: [...monitorKinds] },
  });
}

export function monitorNotFound(ref: string): GroundworkError {
  return new GroundworkError('monitor.not_found', `There is no monitor ${ref} that you may see.`, {
    category: 'not_found',
    fix: 'List monitors with `groundwork monitors list` (GET /v1/monitors).',
    details: { monitor: ref },
  });
}

/** The validated, normalised definition of a monitor (from the API or the configuration). */
export interface MonitorDefinition {
  readonly kind: MonitorKind;
  readonly useCase: string | null;
  readonly source: string | null;
  readonly threshold: string;
  readonly windowSeconds: number;
  readonly baselineSeconds: number | null;
  readonly everySeconds: number;
  readonly params: Record<string, unknown>;
  readonly webhookUrl: string | null;
  readonly webhookFormat: WebhookFormat;
  readonly onFire: { incident?: string; rollback?: boolean };
  readonly enabled: boolean;
}

/** The threshold of a kind: as given, else the source's `freshnessSlo` (freshness), else the kind's default. */
export function effectiveThreshold(
  kind: MonitorKind,
  given: string | undefined,
  source: string | null,
  config: Pick<GroundworkConfig, 'sources'>,
): string {
  if (given) return given.trim();
  if (kind === 'freshness' && source) {
    const slo = (config.sources as Record<string, { freshnessSlo?: string } | string[] | undefined>)[source];
    if (slo && !Array.isArray(slo) && slo.freshnessSlo) return `age>${slo.freshnessSlo.replace(/\s+/g, '')}`;
  }
  return kindInfo[kind].defaultThreshold;
}

/** Checks kind, target, threshold, durations, params and webhook. @throws the monitor's usage errors. */
export function validateDefinition(
  input: {
    kind: string;
    useCase?: string | null | undefined;
    source?: string | null | undefined;
    threshold?: string | undefined;
    window?: string | undefined;
    baseline?: string | null | undefined;
    every?: string | undefined;
    webhook?: string | null | undefined;
    webhookFormat?: WebhookFormat | undefined;
    params?: Record<string, unknown> | undefined;
    onFire?: { incident?: string | undefined; rollback?: boolean | undefined } | undefined;
    enabled?: boolean | undefined;
  },
  config: Pick<GroundworkConfig, 'sources' | 'monitoring'>,
): MonitorDefinition {
  if (!isMonitorKind(input.kind)) throw unknownKind(input.kind);
  const kind = input.kind;
  const info = kindInfo[kind];
  const useCase = input.useCase ?? null;
  const source = input.source ?? null;
  if (useCase && source) throw invalid('A monitor watches a use case or a source, not both.', 'Give --use-case or --source.');
  if (info.target === 'source' && !source) {
    throw invalid(
      `A ${kind} monitor watches a source: give --source NAME ("source").`,
      'Name the source (`groundwork sources list`).',
    );
  }
  if (info.target === 'use-case' && source) {
    throw invalid(`A ${kind} monitor watches a use case, not a source.`, 'Give --use-case NAME, or none for every use case.');
  }
  const threshold = effectiveThreshold(kind, input.threshold, source, config);
  const parsed = parseThreshold(threshold);
  if (parsed.type === 'age' && !info.age) {
    throw new GroundworkError(
      'monitor.invalid_threshold',
      `Threshold "${threshold}" is an age, but ${kind} is not measured in time. Write one of: ${thresholdGrammar}.`,
      { category: 'usage', fix: 'Use age>… only with freshness and update-lag; here use >N, <N, drop>R or rise>R.' },
    );
  }
  const windowSeconds = parseDuration(input.window ?? '1h', 'window');
  const baselineSeconds = input.baseline ? parseDuration(input.baseline, 'baseline') : null;
  const everySeconds = parseDuration(input.every ?? '5m', 'every');
  const params = { ...(input.params ?? {}) };
  if (params.staleAfter !== undefined) parseDuration(String(params.staleAfter), 'params.staleAfter');
  for (const name of ['minSample', 'below', 'sample'] as const) {
    if (params[name] !== undefined && (typeof params[name] !== 'number' || !((params[name] as number) >= 0))) {
      throw invalid(`params.${name} must be a number ≥ 0.`, `Give params.${name} as a number.`);
    }
  }
  const webhookUrl = input.webhook ?? null;
  if (webhookUrl) checkWebhookUrl(webhookUrl, config.monitoring);
  const onFire: { incident?: string; rollback?: boolean } = {};
  if (input.onFire?.incident) onFire.incident = input.onFire.incident;
  if (input.onFire?.rollback) {
    if (!useCase) throw invalid('onFire.rollback needs a use case to roll back.', 'Give --use-case, or drop onFire.rollback.');
    onFire.rollback = true;
    onFire.incident ??= 'sev2'; // a rollback is done from an incident
  }
  return {
    kind,
    useCase,
    source,
    threshold,
    windowSeconds,
    baselineSeconds,
    everySeconds,
    params,
    webhookUrl,
    webhookFormat: input.webhookFormat ?? 'json',
    onFire,
    enabled: input.enabled ?? true,
  };
}

/** Use cases whose monitors `caller` may see: null = all (admins, the local operator). */
export async function visibleMonitorUseCases(db: Queryable, caller: Caller): Promise<string[] | null> {
  if (caller.role === 'admin' || caller.seesEverything) return null;
  return (await createUseCaseStore(db).list()).filter((u) => mayUseUseCase(u, caller)).map((u) => u.name);
}

/** The monitor (by id or name) if it exists and `caller` may see it. */
export async function requireMonitorRow(db: Queryable, caller: Caller, ref: string, lock = false): Promise<MonitorRow> {
  const visible = await visibleMonitorUseCases(db, caller);
  const row = (
    await db.query<MonitorRow>(
      `SELECT * FROM monitors WHERE (id = $1 OR name = $1) AND ($2::text[] IS NULL OR use_case IS NULL OR use_case = ANY($2))${lock ? ' FOR UPDATE' : ''}`,
      [ref, visible],
    )
  ).rows[0];
  if (!row) throw monitorNotFound(ref);
  return row;
}

async function checkTargets(tx: Queryable, caller: Caller, definition: MonitorDefinition): Promise<void> {
  if (definition.useCase) {
    const useCase = await createUseCaseStore(tx).get(definition.useCase);
    if (!useCase || !(mayUseUseCase(useCase, caller) || caller.role === 'admin')) {
      throw new GroundworkError('use_case.not_found', `There is no use case named "${definition.useCase}" that you may use.`, {
        category: 'not_found',
        fix: 'List use cases with `groundwork use-cases list` (GET /v1/use-cases).',
        details: { name: definition.useCase },
      });
    }
  }
  if (definition.source) await getSource(tx, definition.source);
  if (definition.onFire.rollback) authorize(caller, 'prompts:write');
}

/** What an audit record says about a monitor: never the secret, never the webhook path. */
function auditView(definition: MonitorDefinition, secretSet: boolean): Record<string, unknown> {
  return {
    kind: definition.kind,
    useCase: definition.useCase,
    source: definition.source,
    threshold: definition.threshold,
    window: formatDuration(definition.windowSeconds),
    webhook: definition.webhookUrl ? redactWebhookUrl(definition.webhookUrl) : null,
    webhookSecretSet: secretSet,
    onFire: definition.onFire,
    enabled: definition.enabled,
  };
}

/** Creates a monitor; audited `monitor.create`. */
export async function createMonitor(deps: MonitorDeps, caller: Caller, input: CreateMonitorInput): Promise<Monitor> {
  authorize(caller, 'monitors:write');
  const data = parse(createMonitorSchema, input);
  const definition = validateDefinition(data, deps.config);
  const now = (deps.clock ?? systemClock).now();
  const id = newId('mon');
  await deps.db.transaction(async (tx) => {
    await checkTargets(tx, caller, definition);
    const exists = await tx.query('SELECT 1 FROM monitors WHERE name = $1', [data.name]);
    if (exists.rows.length > 0) {
      throw new GroundworkError('monitor.exists', `A monitor named "${data.name}" exists already.`, {
        category: 'conflict',
        fix: `Pick another name, or update it: \`groundwork monitors update ${data.name} …\`.`,
      });
    }
    await insertMonitor(tx, id, data.name, definition, {
      origin: 'api',
      createdBy: caller.id,
      at: now,
      secret: data.webhookSecret ?? null,
      secretEnv: null,
    });
    await recordAudit(
      tx,
      {
        actor: caller.id,
        action: 'monitor.create',
        target: `monitor:${id}`,
        after: { name: data.name, ...auditView(definition, Boolean(data.webhookSecret)) },
        ...(deps.requestId ? { requestId: deps.requestId } : {}),
        at: now,
      },
      deps.clock,
    );
  });
  return getMonitor(deps.db, caller, id);
}

async function insertMonitor(
  tx: Queryable,
  id: string,
  name: string,
  d: MonitorDefinition,
  meta: { origin: 'api' | 'config'; createdBy: string; at: Date; secret: string | null; secretEnv: string | null },
): Promise<void> {
  await tx.query(
    `INSERT INTO monitors (id, name, kind, use_case, source, threshold, window_seconds, baseline_seconds, every_seconds,
       params, webhook_url, webhook_format, webhook_secret, webhook_secret_env, on_fire, origin, enabled, created_by,
       created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12, $13, $14, $15::jsonb, $16, $17, $18, $19, $19)
     ${meta.origin === 'config' ? 'ON CONFLICT (name) DO NOTHING' : ''}`,
    [
      id,
      name,
      d.kind,
      d.useCase,
      d.source,
      d.threshold,
      d.windowSeconds,
      d.baselineSeconds,
      d.everySeconds,
      JSON.stringify(d.params),
      d.webhookUrl,
      d.webhookFormat,
      meta.secret,
      meta.secretEnv,
      JSON.stringify(d.onFire),
      meta.origin,
      d.enabled,
      meta.createdBy,
      meta.at,
    ],
  );
}

/** Updates an API-created monitor; audited `monitor.update`. @throws `monitor.configured` for configured ones. */
export async function updateMonitor(deps: MonitorDeps, caller: Caller, ref: string, input: UpdateMonitorInput): Promise<Monitor> {
  authorize(caller, 'monitors:write');
  const data = parse(updateMonitorSchema, input);
  if (Object.keys(data).length === 0) {
    throw invalid('The update changes nothing.', 'Give at least one field (threshold, window, webhook, enabled, …).');
  }
  const now = (deps.clock ?? systemClock).now();
  let id = '';
  await deps.db.transaction(async (tx) => {
    const row = await requireMonitorRow(tx, caller, ref, true);
    id = row.id;
    if (row.origin === 'config') throw configured(row.name);
    const current = toMonitor(row);
    const merged = {
      kind: row.kind,
      useCase: data.useCase === undefined ? row.use_case : data.useCase,
      source: data.source === undefined ? row.source : data.source,
      threshold: data.threshold ?? row.threshold,
      window: data.window ?? current.window,
      baseline: data.baseline === undefined ? current.baseline : data.baseline,
      every: data.every ?? current.every,
      webhook: data.webhook === undefined ? row.webhook_url : data.webhook,
      webhookFormat: data.webhookFormat ?? row.webhook_format,
      params: data.params ?? row.params,
      onFire: data.onFire ?? row.on_fire,
      enabled: data.enabled ?? row.enabled,
    };
    const definition = validateDefinition(merged, deps.config);
    await checkTargets(tx, caller, definition);
    const secret = data.webhookSecret === undefined ? row.webhook_secret : data.webhookSecret;
    await tx.query(
      `UPDATE monitors SET use_case = $2, source = $3, threshold = $4, window_seconds = $5, baseline_seconds = $6,
         every_seconds = $7, params = $8::jsonb, webhook_url = $9, webhook_format = $10, webhook_secret = $11,
         on_fire = $12::jsonb, enabled = $13, updated_at = $14,
         webhook_status = CASE WHEN $9::text IS DISTINCT FROM webhook_url THEN NULL ELSE webhook_status END
       WHERE id = $1`,
      [
        row.id,
        definition.useCase,
        definition.source,
        definition.threshold,
        definition.windowSeconds,
        definition.baselineSeconds,
        definition.everySeconds,
        JSON.stringify(definition.params),
        definition.webhookUrl,
        definition.webhookFormat,
        secret,
        JSON.stringify(definition.onFire),
        definition.enabled,
        now,
      ],
    );
    await recordAudit(
      tx,
      {
        actor: caller.id,
        action: 'monitor.update',
        target: `monitor:${row.id}`,
        before: { name: row.name, threshold: row.threshold, window: current.window, enabled: row.enabled },
        after: { name: row.name, ...auditView(definition, Boolean(secret)) },
        ...(deps.requestId ? { requestId: deps.requestId } : {}),
        at: now,
      },
      deps.clock,
    );
  });
  return getMonitor(deps.db, caller, id);
}

function configured(name: string): GroundworkError {
  return new GroundworkError('monitor.configured', `Monitor "${name}" comes from the configuration file; change it there.`, {
    category: 'conflict',
    fix: 'Edit `monitors:` in the groundwork configuration (reconciled at the next evaluation).',
  });
}

/** Deletes an API-created monitor with its evaluations and alerts; audited `monitor.delete`. */
export async function deleteMonitor(deps: MonitorDeps, caller: Caller, ref: string): Promise<{ id: string; name: string }> {
  authorize(caller, 'monitors:write');
  const now = (deps.clock ?? systemClock).now();
  return deps.db.transaction(async (tx) => {
    const row = await requireMonitorRow(tx, caller, ref, true);
    if (row.origin === 'config') throw configured(row.name);
    await tx.query('DELETE FROM monitors WHERE id = $1', [row.id]);
    await recordAudit(
      tx,
      {
        actor: caller.id,
        action: 'monitor.delete',
        target: `monitor:${row.id}`,
        before: { name: row.name, kind: row.kind, useCase: row.use_case, source: row.source, threshold: row.threshold },
        ...(deps.requestId ? { requestId: deps.requestId } : {}),
        at: now,
      },
      deps.clock,
    );
    return { id: row.id, name: row.name };
  });
}

export interface MonitorFilters {
  readonly useCase?: string;
  readonly source?: string;
  readonly kind?: string;
}

/** Monitors the caller may see, by name. */
export async function listMonitors(db: Queryable, caller: Caller, filters: MonitorFilters = {}): Promise<Monitor[]> {
  authorize(caller, 'monitors:read');
  const visible = await visibleMonitorUseCases(db, caller);
  const { rows } = await db.query<MonitorRow>(
    `SELECT * FROM monitors WHERE ($1::text[] IS NULL OR use_case IS NULL OR use_case = ANY($1))
       AND ($2::text IS NULL OR use_case = $2) AND ($3::text IS NULL OR source = $3) AND ($4::text IS NULL OR kind = $4)
     ORDER BY name`,
    [visible, filters.useCase ?? null, filters.source ?? null, filters.kind ?? null],
  );
  return rows.map(toMonitor);
}

export interface MonitorEvaluationView {
  readonly at: Date;
  readonly value: number | null;
  readonly reference: number | null;
  readonly state: string;
  readonly sample: number;
}

export interface MonitorDetail extends Monitor {
  /** Newest first (at most 50): the sparkline. */
  readonly evaluations: readonly MonitorEvaluationView[];
  readonly openAlertId: string | null;
  /** The last webhook deliveries (status, attempts, error), newest first. */
  readonly deliveries: ReadonlyArray<{
    readonly id: string;
    readonly alertId: string;
    readonly event: string;
    readonly status: string;
    readonly attempts: number;
    readonly lastError: string | null;
    readonly createdAt: Date;
    readonly deliveredAt: Date | null;
  }>;
}

/** One monitor with its recent evaluations, open alert and deliveries. @throws `monitor.not_found`. */
export async function getMonitor(db: Queryable, caller: Caller, ref: string): Promise<MonitorDetail> {
  authorize(caller, 'monitors:read');
  const row = await requireMonitorRow(db, caller, ref);
  const [evaluations, open, deliveries] = await Promise.all([
    db.query<{ at: Date; value: number | null; reference: number | null; state: string; sample: number }>(
      'SELECT at, value, reference, state, sample FROM monitor_evaluations WHERE monitor_id = $1 ORDER BY at DESC, seq DESC LIMIT 50',
      [row.id],
    ),
    db.query<{ id: string }>(`SELECT id FROM alerts WHERE monitor_id = $1 AND status <> 'resolved'`, [row.id]),
    db.query<{
      id: string;
      alert_id: string;
      event: string;
      status: string;
      attempts: number;
      last_error: string | null;
      created_at: Date;
      delivered_at: Date | null;
    }>('SELECT * FROM alert_deliveries WHERE monitor_id = $1 ORDER BY created_at DESC, id DESC LIMIT 20', [row.id]),
  ]);
  return {
    ...toMonitor(row),
    evaluations: evaluations.rows.map((e) => ({
      at: new Date(e.at),
      value: e.value === null ? null : Number(e.value),
      reference: e.reference === null ? null : Number(e.reference),
      state: e.state,
      sample: Number(e.sample),
    })),
    openAlertId: open.rows[0]?.id ?? null,
    deliveries: hasScope(caller, 'monitors:read')
      ? deliveries.rows.map((d) => ({
          id: d.id,
          alertId: d.alert_id,
          event: d.event,
          status: d.status,
          attempts: Number(d.attempts),
          lastError: d.last_error,
          createdAt: new Date(d.created_at),
          deliveredAt: d.delivered_at ? new Date(d.delivered_at) : null,
        }))
      : [],
  };
}

/**
 * Brings configured monitors (`monitors:`) into the table: new ones inserted, changed ones updated, removed
 * ones deleted (with their alerts). Idempotent; run before each evaluation. Invalid configured monitors are
 * reported through the logger and skipped (the rest still run).
 */
export async function reconcileConfiguredMonitors(deps: MonitorDeps): Promise<void> {
  const now = (deps.clock ?? systemClock).now();
  const configuredMonitors: MonitorConfig[] = deps.config.monitors;
  if (configuredMonitors.length === 0) {
    // Nothing configured: only removals to do, and usually none (no transaction for the common case).
    const { rows } = await deps.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM monitors WHERE origin = 'config'`);
    if ((rows[0]?.n ?? 0) === 0) return;
  }
  await deps.db.transaction(async (tx) => {
    const existing = await tx.query<MonitorRow>(`SELECT * FROM monitors WHERE origin = 'config'`);
    const byName = new Map(existing.rows.map((r) => [r.name, r]));
    const keep = new Set<string>();
    for (const entry of configuredMonitors) {
      let definition: MonitorDefinition;
      try {
        definition = validateDefinition(entry, deps.config);
      } catch (error) {
        deps.logger?.warn('configured monitor is invalid; skipped', { monitor: entry.name, error: (error as Error).message });
        continue;
      }
      keep.add(entry.name);
      const row = byName.get(entry.name);
      const clash = row ? undefined : (await tx.query('SELECT 1 FROM monitors WHERE name = $1', [entry.name])).rows[0];
      if (clash) {
        deps.logger?.warn('configured monitor has the name of an API-created one; skipped', { monitor: entry.name });
        continue;
      }
      if (!row) {
        await insertMonitor(tx, newId('mon'), entry.name, definition, {
          origin: 'config',
          createdBy: 'config',
          at: now,
          secret: null,
          secretEnv: entry.webhookSecretEnv ?? null,
        });
        continue;
      }
      const same =
        row.kind === definition.kind &&
        row.use_case === definition.useCase &&
        row.source === definition.source &&
        row.threshold === definition.threshold &&
        row.window_seconds === definition.windowSeconds &&
        row.baseline_seconds === definition.baselineSeconds &&
        row.every_seconds === definition.everySeconds &&
        JSON.stringify(row.params) === JSON.stringify(definition.params) &&
        row.webhook_url === definition.webhookUrl &&
        row.webhook_format === definition.webhookFormat &&
        row.webhook_secret_env === (entry.webhookSecretEnv ?? null) &&
        JSON.stringify(row.on_fire) === JSON.stringify(definition.onFire) &&
        row.enabled === definition.enabled;
      if (same) continue;
      await tx.query(
        `UPDATE monitors SET kind = $2, use_case = $3, source = $4, threshold = $5, window_seconds = $6, baseline_seconds = $7,
           every_seconds = $8, params = $9::jsonb, webhook_url = $10, webhook_format = $11, webhook_secret_env = $12,
           on_fire = $13::jsonb, enabled = $14, updated_at = $15 WHERE id = $1`,
        [
          row.id,
          definition.kind,
          definition.useCase,
          definition.source,
          definition.threshold,
          definition.windowSeconds,
          definition.baselineSeconds,
          definition.everySeconds,
          JSON.stringify(definition.params),
          definition.webhookUrl,
          definition.webhookFormat,
          entry.webhookSecretEnv ?? null,
          JSON.stringify(definition.onFire),
          definition.enabled,
          now,
        ],
      );
    }
    const gone = existing.rows.filter((r) => !keep.has(r.name)).map((r) => r.id);
    if (gone.length > 0) await tx.query('DELETE FROM monitors WHERE id = ANY($1::text[])', [gone]);
  });
}
