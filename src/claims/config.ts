import { z } from 'zod';
import { type Caller, GroundworkError } from '../core/index.ts';
import { authorize, type Governance, recordAudit, type SubmitChangeResult, submitChange } from '../govern/index.ts';
import type { Database, Queryable } from '../store/index.ts';
import { defaultClaimsConfig } from './assess/index.ts';
import type { ClaimsConfig } from './model.ts';

/**
 * Versioned claims configuration (fraud weights and thresholds, routing thresholds): each change stores a new
 * version; assessments record the version they used. Changing it is the governed change kind `claims.config`
 * (like adoption's `criteria.change`): a request another person approves, unless the local operator applies
 * it directly (governance.localOperator: direct). Version 1 is the built-in default until someone changes it.
 */

const unit = z.number().min(0).max(1);
export const claimsConfigSchema = z.strictObject({
  fraudWeights: z.record(z.string().min(1).max(64), unit),
  fraudThresholds: z.record(z.string().min(1).max(64), z.number().min(0).max(100_000)),
  routing: z.strictObject({
    fastTrackConfidence: unit,
    cleanFraudScore: unit,
    seniorBelowConfidence: unit,
    siuFraudScore: unit,
  }),
});
export type ClaimsConfigBody = z.infer<typeof claimsConfigSchema>;

export interface ClaimsConfigVersion {
  readonly version: number;
  readonly config: ClaimsConfig;
  readonly comment: string | null;
  readonly createdBy: string;
  readonly createdAt: Date | null;
}

/** The current claims configuration (the built-in default as version 1 when none was stored). */
export async function currentClaimsConfig(db: Queryable): Promise<ClaimsConfigVersion> {
  const { rows } = await db.query<{
    version: number;
    config: ClaimsConfigBody;
    comment: string | null;
    created_by: string;
    created_at: Date;
  }>('SELECT version, config, comment, created_by, created_at FROM claim_config_versions ORDER BY version DESC LIMIT 1');
  const row = rows[0];
  if (!row) return { version: 1, config: defaultClaimsConfig, comment: 'built-in default', createdBy: 'system', createdAt: null };
  return {
    version: row.version,
    config: { ...row.config, version: row.version },
    comment: row.comment,
    createdBy: row.created_by,
    createdAt: row.created_at,
  };
}

/** Every stored version, newest first (GET /v1/claims/config). */
export async function claimsConfigVersions(db: Queryable, caller: Caller): Promise<ClaimsConfigVersion[]> {
  authorize(caller, 'claims:read');
  const { rows } = await db.query<{
    version: number;
    config: ClaimsConfigBody;
    comment: string | null;
    created_by: string;
    created_at: Date;
  }>('SELECT version, config, comment, created_by, created_at FROM claim_config_versions ORDER BY version DESC');
  if (rows.length === 0) return [await currentClaimsConfig(db)];
  return rows.map((r) => ({
    version: r.version,
    config: { ...r.config, version: r.version },
    comment: r.comment,
    createdBy: r.created_by,
    createdAt: r.created_at,
  }));
}

function parseConfig(input: unknown): ClaimsConfigBody {
  const parsed = claimsConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw new GroundworkError(
      'claims.invalid_config',
      `The claims configuration is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}.`,
      { category: 'usage', fix: 'Correct the fields listed; `groundwork claims config show` prints the current version.' },
    );
  }
  return parsed.data;
}

type ConfigState = { readonly version: number; readonly config: ClaimsConfigBody };

/** Registers `claims.config` (composition root). */
export function registerClaimsChangeKinds(governance: Governance): void {
  governance.register({
    kind: 'claims.config',
    scope: 'claims:write',
    async read(tx): Promise<ConfigState> {
      const current = await currentClaimsConfig(tx);
      const { version: _v, ...config } = current.config;
      return { version: current.version, config };
    },
    async apply(tx, actor, change) {
      const before = change.before as ConfigState;
      const after = change.after as ConfigState;
      const version = before.version + 1;
      // The default is stored as version 1 the first time someone changes it (the history starts complete).
      const stored = await tx.query('SELECT 1 FROM claim_config_versions LIMIT 1');
      if (stored.rows.length === 0) {
        await tx.query(
          `INSERT INTO claim_config_versions (version, config, comment, created_by) VALUES (1, $1, 'built-in default', 'system')`,
          [JSON.stringify(before.config)],
        );
      }
      await tx.query(
        'INSERT INTO claim_config_versions (version, config, comment, created_by, change_id) VALUES ($1, $2, $3, $4, $5)',
        [version, JSON.stringify(after.config), change.reason, actor, change.changeRequestId ?? null],
      );
      await recordAudit(tx, {
        actor,
        action: 'claims.config',
        target: `claims-config:${version}`,
        before: before.config,
        after: after.config,
      });
      return { version, config: after.config };
    },
    describe: (_target, before, after) => {
      const b = (before as ConfigState).config;
      const a = (after as ConfigState).config;
      const changed = (['fraudWeights', 'fraudThresholds', 'routing'] as const).filter(
        (k) => JSON.stringify(b[k]) !== JSON.stringify(a[k]),
      );
      return `claims configuration: change ${changed.join(', ') || 'nothing'}`;
    },
  });
}

/** Proposes a new claims configuration version (governed `claims.config`). */
export async function changeClaimsConfig(
  governance: Governance,
  db: Database,
  caller: Caller,
  input: unknown,
  options: { reason?: string; requestId?: string } = {},
): Promise<SubmitChangeResult> {
  authorize(caller, 'claims:write');
  const config = parseConfig(input);
  return db.transaction(async (tx) => {
    const current = await currentClaimsConfig(tx);
    return submitChange(governance, tx, caller, {
      kind: 'claims.config',
      target: 'current',
      after: { version: current.version, config } satisfies ConfigState,
      ...(options.reason ? { reason: options.reason } : {}),
      ...(options.requestId ? { requestId: options.requestId } : {}),
    });
  });
}
