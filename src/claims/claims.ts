import {
  type Caller,
  type Clock,
  canonicalPrincipal,
  type EventBus,
  type GroundworkConfig,
  GroundworkError,
  type IdGenerator,
  type Logger,
  newId,
  systemClock,
  type Tracer,
} from '../core/index.ts';
import { authorize, recordAudit } from '../govern/index.ts';
import type { Ingestion } from '../ingest/index.ts';
import type { JobQueue } from '../jobs/index.ts';
import type { ModelResolver } from '../models/index.ts';
import { readableDocumentIds } from '../protect/index.ts';
import type { Retriever } from '../retrieve/index.ts';
import type { Database, Queryable } from '../store/index.ts';
import {
  type ClaimCitation,
  type ClaimOutcome,
  type ClaimTier,
  claimOutcomes,
  claimTiers,
  type ExtractedField,
  type FraudIndicator,
} from './model.ts';
import { type ClaimNoteView, type ClaimTierChangeView, claimNotes, claimTierChanges } from './notes-read.ts';

/**
 * Claims and their access rule (docs/claims.md "Permissions"). A claim is visible to a caller who sees
 * everything, to its assigned adjuster, and to senior adjusters and SIU (`claims.seniorPrincipals`,
 * `claims.siuPrincipals`) — and, once it has documents, only while the caller may read at least one of them
 * now (protect's `readableDocumentIds`). To anybody else it does not exist (404). Inside a visible claim every
 * citation, document and piece of fraud evidence from a document the caller may not read now is withheld.
 */

/** What the claims workflow needs from the platform (a `Platform` is one). */
export interface ClaimsDeps {
  readonly db: Database;
  readonly config: Pick<GroundworkConfig, 'claims' | 'dataDir' | 'observe'>;
  readonly ingestion: Ingestion;
  readonly retriever: Retriever;
  readonly tracer: Tracer;
  readonly events: EventBus;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly models?: Pick<ModelResolver, 'defaultChat' | 'chat'>;
  /** Server mode: uploads sync the claims source through a `sync-source` job (decision 0014), not in the API process. */
  readonly jobs?: Pick<JobQueue, 'prepare' | 'send' | 'waitFor'>;
  readonly ids?: IdGenerator;
}

declare module '../core/events.ts' {
  interface GroundworkEventMap {
    /** A claim was assessed (`claims process`): ids and the routing, no text. */
    'claim-assessed': {
      readonly claimId: string;
      readonly assessmentId: string;
      readonly tier: ClaimTier;
      readonly outcome: ClaimOutcome;
    };
    /** An adjuster decided a claim: the override-rate and straight-through metrics. */
    'claim-reviewed': {
      readonly claimId: string;
      readonly reviewId: string;
      readonly action: 'accept' | 'edit' | 'override';
      readonly overridden: boolean;
      readonly edited: number;
      readonly tier: ClaimTier;
    };
  }
}

export const claimStatuses = ['open', 'needs_information', 'assessed', 'decided', 'closed'] as const;
export type ClaimStatus = (typeof claimStatuses)[number];

export type ClaimRow = {
  id: string;
  claim_number: string;
  policy_number: string | null;
  line_of_business: string;
  loss_date: string | null;
  reported_date: string | null;
  region: string | null;
  damage_type: string | null;
  claimant_name: string | null;
  policy: Record<string, string>;
  status: ClaimStatus;
  assigned_adjuster: string | null;
  tier: ClaimTier | null;
  outcome: ClaimOutcome | null;
  missing: string[];
  latest_assessment_id: string | null;
  created_by: string;
  created_at: Date;
  updated_at: Date;
  assigned_at: Date | null;
  first_document_at: Date | null;
  determined_at: Date | null;
  decided_at: Date | null;
};

/** Dates as text (`YYYY-MM-DD`) on both stores. */
export const claimColumns = `id, claim_number, policy_number, line_of_business, to_char(loss_date, 'YYYY-MM-DD') AS loss_date,
  to_char(reported_date, 'YYYY-MM-DD') AS reported_date, region, damage_type, claimant_name, policy, status, assigned_adjuster,
  tier, outcome, missing, latest_assessment_id, created_by, created_at, updated_at, assigned_at, first_document_at,
  determined_at, decided_at`;

export interface ClaimItem {
  readonly id: string;
  readonly claimNumber: string;
  readonly policyNumber: string | null;
  readonly lineOfBusiness: string;
  readonly lossDate: string | null;
  readonly reportedDate: string | null;
  readonly region: string | null;
  readonly status: ClaimStatus;
  readonly assignedAdjuster: string | null;
  readonly tier: ClaimTier | null;
  readonly outcome: ClaimOutcome | null;
  readonly missing: readonly string[];
  readonly createdAt: Date;
  readonly assignedAt: Date | null;
  readonly firstDocumentAt: Date | null;
  readonly determinedAt: Date | null;
  readonly decidedAt: Date | null;
}

export function toItem(row: ClaimRow): ClaimItem {
  return {
    id: row.id,
    claimNumber: row.claim_number,
    policyNumber: row.policy_number,
    lineOfBusiness: row.line_of_business,
    lossDate: row.loss_date,
    reportedDate: row.reported_date,
    region: row.region,
    status: row.status,
    assignedAdjuster: row.assigned_adjuster,
    tier: row.tier,
    outcome: row.outcome,
    missing: row.missing ?? [],
    createdAt: row.created_at,
    assignedAt: row.assigned_at,
    firstDocumentAt: row.first_document_at,
    determinedAt: row.determined_at,
    decidedAt: row.decided_at,
  };
}

type ClaimsConfigSection = GroundworkConfig['claims'];

/** The caller's standing in the claims workflow. */
export function claimsRole(caller: Caller, config: ClaimsConfigSection): { all: boolean; senior: boolean; siu: boolean } {
  const principals = new Set(caller.principals);
  const senior = caller.seesEverything || config.seniorPrincipals.some((p) => principals.has(canonicalPrincipal(p)));
  const siu = caller.seesEverything || config.siuPrincipals.some((p) => principals.has(canonicalPrincipal(p)));
  return { all: caller.seesEverything || senior || siu, senior, siu };
}

export function adjusterPrincipal(adjuster: string): string {
  return canonicalPrincipal(`user:${adjuster}`);
}

export function isAssigned(caller: Caller, row: Pick<ClaimRow, 'assigned_adjuster'>): boolean {
  return row.assigned_adjuster !== null && caller.principals.includes(adjusterPrincipal(row.assigned_adjuster));
}

/** SQL predicate on `claims` (alias-free) for the claims the caller may see by role, parameters appended. */
export function visibleClaimsFilter(caller: Caller, config: ClaimsConfigSection, params: unknown[]): string {
  if (claimsRole(caller, config).all) return 'true';
  params.push(caller.principals.filter((p) => p.startsWith('user:')).map((p) => p.slice('user:'.length)));
  return `assigned_adjuster = ANY($${params.length}::text[])`;
}

/** Of these claims, the ones whose documents the caller may read now (a claim without documents passes). */
export async function documentVisibleClaims(db: Queryable, caller: Caller, claimIds: readonly string[]): Promise<Set<string>> {
  if (claimIds.length === 0) return new Set();
  const { rows } = await db.query<{ claim_id: string; document_id: string | null }>(
    'SELECT claim_id, document_id FROM claim_documents WHERE claim_id = ANY($1::text[])',
    [[...claimIds]],
  );
  const docsOf = new Map<string, string[]>();
  for (const row of rows) {
    if (!row.document_id) continue;
    const list = docsOf.get(row.claim_id) ?? [];
    list.push(row.document_id);
    docsOf.set(row.claim_id, list);
  }
  const readable = caller.seesEverything
    ? new Set(rows.map((r) => r.document_id).filter((id): id is string => id !== null))
    : await readableDocumentIds(db, caller, [...docsOf.values()].flat());
  return new Set(
    claimIds.filter((id) => (docsOf.get(id) ?? []).length === 0 || (docsOf.get(id) ?? []).some((d) => readable.has(d))),
  );
}

export const claimNotFound = (ref: string) =>
  new GroundworkError('claims.not_found', `No claim "${ref}" that you may see.`, {
    category: 'not_found',
    fix: 'List your queue with `groundwork claims list` (GET /v1/claims); adjusters see the claims assigned to them.',
  });

/** A claim by id or claim number, as the caller may see it. @throws `claims.not_found`. */
export async function visibleClaim(
  db: Queryable,
  caller: Caller,
  config: ClaimsConfigSection,
  ref: string,
  forUpdate = false,
): Promise<ClaimRow> {
  const params: unknown[] = [ref];
  const where = visibleClaimsFilter(caller, config, params);
  const { rows } = await db.query<ClaimRow>(
    `SELECT ${claimColumns} FROM claims WHERE (id = $1 OR claim_number = $1) AND ${where}${forUpdate ? ' FOR UPDATE' : ''}`,
    params,
  );
  const row = rows[0];
  if (!row || !(await documentVisibleClaims(db, caller, [row.id])).has(row.id)) throw claimNotFound(ref);
  return row;
}

const claimNumberPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const datePattern = /^\d{4}-\d{2}-\d{2}$/;

export interface ClaimInput {
  readonly claimNumber: string;
  readonly policyNumber?: string | null;
  readonly lineOfBusiness?: string;
  readonly lossDate?: string | null;
  readonly reportedDate?: string | null;
  readonly region?: string | null;
  readonly damageType?: string | null;
  readonly claimantName?: string | null;
  readonly assignedAdjuster?: string | null;
  readonly policy?: Readonly<Record<string, string>>;
}

const invalidClaim = (message: string) =>
  new GroundworkError('claims.invalid_claim', message, {
    category: 'usage',
    fix: 'Give a claim number of 1–64 letters, digits, dots, dashes or underscores, dates as YYYY-MM-DD and an adjuster e-mail or name.',
  });

export function validateClaimInput(input: ClaimInput): ClaimInput {
  if (typeof input.claimNumber !== 'string' || !claimNumberPattern.test(input.claimNumber)) {
    throw invalidClaim(`"${String(input.claimNumber)}" is not a valid claim number.`);
  }
  for (const field of ['lossDate', 'reportedDate'] as const) {
    const value = input[field];
    if (value !== undefined && value !== null && (!datePattern.test(value) || Number.isNaN(Date.parse(value)))) {
      throw invalidClaim(`${field} "${value}" of claim ${input.claimNumber} is not a YYYY-MM-DD date.`);
    }
  }
  const adjuster = input.assignedAdjuster?.trim().toLowerCase();
  if (adjuster !== undefined && adjuster !== '' && !/^[a-z0-9][a-z0-9._@+-]{0,127}$/.test(adjuster)) {
    throw invalidClaim(`"${input.assignedAdjuster}" is not a valid adjuster (an e-mail address or a user name).`);
  }
  // Absent (undefined) keeps the stored adjuster on an update; null or empty unassigns.
  if (input.assignedAdjuster === undefined) return input;
  return { ...input, assignedAdjuster: adjuster ? adjuster : null };
}

/**
 * Creates a claim, or updates it when the claim number exists (imports are idempotent). Authorizes
 * `claims:write`; audited `claims.create` / `claims.update`. Assigning (or re-assigning) sets `assignedAt`.
 */
export async function upsertClaim(
  tx: Queryable,
  caller: Caller,
  input: ClaimInput,
  options: { config: ClaimsConfigSection; clock?: Clock; ids?: IdGenerator; requestId?: string },
): Promise<{ claim: ClaimItem; created: boolean; reassigned: boolean }> {
  authorize(caller, 'claims:write');
  const claim = validateClaimInput(input);
  const clock = options.clock ?? systemClock;
  const now = clock.now();
  const existing = (
    await tx.query<ClaimRow>(`SELECT ${claimColumns} FROM claims WHERE claim_number = $1 FOR UPDATE`, [claim.claimNumber])
  ).rows[0];
  assertMayWriteClaim(caller, options.config, claim, existing);
  // An update changes the fields given; absent ones keep their stored value.
  const pick = <T>(given: T | undefined, stored: T, fallback: T): T =>
    given !== undefined ? given : existing ? stored : fallback;
  const adjuster = pick(claim.assignedAdjuster, existing?.assigned_adjuster ?? null, null);
  const values = [
    pick(claim.policyNumber, existing?.policy_number ?? null, null),
    pick(claim.lineOfBusiness, existing?.line_of_business ?? 'auto', 'auto'),
    pick(claim.lossDate, existing?.loss_date ?? null, null),
    pick(claim.reportedDate, existing?.reported_date ?? null, null),
    pick(claim.region, existing?.region ?? null, null),
    pick(claim.damageType, existing?.damage_type ?? null, null),
    pick(claim.claimantName, existing?.claimant_name ?? null, null),
    JSON.stringify(pick<Readonly<Record<string, string>>>(claim.policy, existing?.policy ?? {}, {})),
    adjuster,
  ];
  let row: ClaimRow;
  let reassigned = false;
  if (existing) {
    reassigned = (existing.assigned_adjuster ?? null) !== adjuster;
    row = (
      await tx.query<ClaimRow>(
        `UPDATE claims SET policy_number = $2, line_of_business = $3, loss_date = $4::date, reported_date = $5::date,
           region = $6, damage_type = $7, claimant_name = $8, policy = $9::jsonb, assigned_adjuster = $10,
           assigned_at = CASE WHEN $11 THEN (CASE WHEN $10::text IS NULL THEN NULL ELSE $12::timestamptz END) ELSE assigned_at END,
           updated_at = $12
         WHERE id = $1 RETURNING ${claimColumns}`,
        [existing.id, ...values, reassigned, now],
      )
    ).rows[0] as ClaimRow;
  } else {
    row = (
      await tx.query<ClaimRow>(
        `INSERT INTO claims (id, claim_number, policy_number, line_of_business, loss_date, reported_date, region, damage_type,
           claimant_name, policy, assigned_adjuster, assigned_at, created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5::date, $6::date, $7, $8, $9, $10::jsonb, $11, CASE WHEN $11::text IS NULL THEN NULL ELSE $12::timestamptz END, $13, $12, $12)
         RETURNING ${claimColumns}`,
        [(options.ids ?? newId)('clm'), claim.claimNumber, ...values, now, caller.id],
      )
    ).rows[0] as ClaimRow;
  }
  const changed =
    !existing ||
    reassigned ||
    JSON.stringify([toItem(existing), existing.policy, existing.damage_type, existing.claimant_name]) !==
      JSON.stringify([toItem(row), row.policy, row.damage_type, row.claimant_name]);
  if (changed) {
    await recordAudit(
      tx,
      {
        actor: caller.id,
        action: existing ? 'claims.update' : 'claims.create',
        target: `claim:${row.claim_number}`,
        after: { assignedAdjuster: row.assigned_adjuster, lineOfBusiness: row.line_of_business, reassigned },
        ...(options.requestId ? { requestId: options.requestId } : {}),
        at: now,
      },
      clock,
    );
  }
  return { claim: toItem(row), created: !existing, reassigned };
}

/**
 * Who may create or change a claim record. Creating one takes the claims group (`claims.group`) or a
 * senior/SIU principal; an adjuster may assign a new claim only to themselves (or leave it unassigned).
 * Changing one takes seeing it (assigned to you, or senior/SIU); re-assigning takes senior/SIU — otherwise a
 * low-privilege key could assign any claim to itself and read its documents. An existing claim the caller may
 * not see is `claims.not_found`, as everywhere else.
 */
function assertMayWriteClaim(
  caller: Caller,
  config: ClaimsConfigSection,
  claim: ClaimInput,
  existing: ClaimRow | undefined,
): void {
  const role = claimsRole(caller, config);
  if (role.all) return;
  if (existing) {
    if (!isAssigned(caller, existing)) throw claimNotFound(claim.claimNumber);
    if (claim.assignedAdjuster !== undefined && (claim.assignedAdjuster ?? null) !== (existing.assigned_adjuster ?? null)) {
      throw new GroundworkError('claims.not_assigned', `Only a senior adjuster may re-assign claim ${existing.claim_number}.`, {
        category: 'forbidden',
        fix: 'Ask a senior adjuster (claims.seniorPrincipals) to re-assign it; leave assignedAdjuster out to update the other fields.',
      });
    }
    return;
  }
  if (!caller.principals.includes(canonicalPrincipal(config.group))) {
    throw new GroundworkError('claims.not_claims_staff', `Creating claims takes membership of ${config.group}.`, {
      category: 'forbidden',
      fix: `Ask an administrator for ${config.group} (claims.group), or have a claims handler open the claim.`,
    });
  }
  if (claim.assignedAdjuster && !isAssigned(caller, { assigned_adjuster: claim.assignedAdjuster })) {
    throw new GroundworkError('claims.not_assigned', 'Only a senior adjuster may assign a new claim to someone else.', {
      category: 'forbidden',
      fix: 'Assign it to yourself or leave assignedAdjuster out; a senior adjuster (claims.seniorPrincipals) assigns claims to others.',
    });
  }
}

export interface ListClaimsOptions {
  readonly tier?: string;
  readonly adjuster?: string;
  readonly status?: string;
  readonly limit?: number;
}

/** The review queue: claims the caller may see, by tier / adjuster / status, most urgent tier first. */
export async function listClaims(
  deps: Pick<ClaimsDeps, 'db' | 'config'>,
  caller: Caller,
  options: ListClaimsOptions = {},
): Promise<ClaimItem[]> {
  authorize(caller, 'claims:read');
  if (options.tier !== undefined && !(claimTiers as readonly string[]).includes(options.tier)) {
    throw new GroundworkError('claims.invalid_filter', `Unknown tier "${options.tier}"; valid: ${claimTiers.join(', ')}.`, {
      category: 'usage',
      fix: 'Use --tier fast_track|standard|senior_review|siu_referral and --status open|needs_information|assessed|decided|closed.',
    });
  }
  if (options.status !== undefined && !(claimStatuses as readonly string[]).includes(options.status)) {
    throw new GroundworkError(
      'claims.invalid_filter',
      `Unknown status "${options.status}"; valid: ${claimStatuses.join(', ')}.`,
      {
        category: 'usage',
        fix: 'Use --tier fast_track|standard|senior_review|siu_referral and --status open|needs_information|assessed|decided|closed.',
      },
    );
  }
  const params: unknown[] = [];
  const where = [visibleClaimsFilter(caller, deps.config.claims, params)];
  if (options.tier) {
    params.push(options.tier);
    where.push(`tier = $${params.length}`);
  }
  if (options.adjuster) {
    params.push(
      options.adjuster
        .trim()
        .toLowerCase()
        .replace(/^user:/, ''),
    );
    where.push(`assigned_adjuster = $${params.length}`);
  }
  if (options.status) {
    params.push(options.status);
    where.push(`status = $${params.length}`);
  }
  params.push(Math.min(Math.max(Math.floor(options.limit ?? 200), 1), 5000));
  const tierOrder = `CASE tier WHEN 'siu_referral' THEN 0 WHEN 'senior_review' THEN 1 WHEN 'standard' THEN 2 WHEN 'fast_track' THEN 3 ELSE 4 END`;
  const { rows } = await deps.db.query<ClaimRow>(
    `SELECT ${claimColumns} FROM claims WHERE ${where.join(' AND ')}
      ORDER BY ${tierOrder}, coalesce(determined_at, created_at), claim_number LIMIT $${params.length}`,
    params,
  );
  const visible = await documentVisibleClaims(
    deps.db,
    caller,
    rows.map((r) => r.id),
  );
  return rows.filter((r) => visible.has(r.id)).map(toItem);
}

/** A claim's document as the caller sees it. */
export interface ClaimDocumentView {
  readonly documentId: string | null;
  readonly fileName: string;
  readonly status: 'pending' | 'indexed' | 'quarantined' | 'photo';
  readonly errorCode: string | null;
  readonly errorMessage: string | null;
  readonly type: string | null;
  readonly addedAt: Date;
}

/** The cited summary of a claim (GET /v1/claims/:id, `claims show --json`). */
export interface ClaimSummary extends ClaimItem {
  readonly tierReason: string | null;
  readonly documents: readonly ClaimDocumentView[];
  readonly assessment: {
    readonly id: string;
    readonly version: number;
    readonly configVersion: number;
    readonly promptVersion: number | null;
    readonly createdAt: Date;
    readonly costUsd: number;
    readonly traceId: string | null;
  } | null;
  readonly extracted: Readonly<Record<string, ExtractedField & { readonly withheld?: boolean }>>;
  readonly fraud: { readonly score: number; readonly indicators: readonly FraudIndicator[] } | null;
  readonly determination: {
    readonly outcome: ClaimOutcome;
    readonly confidence: number;
    readonly terms: readonly ClaimCitation[];
    readonly deductible: number | null;
    readonly estimatedPayable: number | null;
    readonly rationale: string;
    readonly missing: readonly string[];
  } | null;
  readonly reviews: readonly ClaimReviewView[];
  readonly siuOutcome: { readonly outcome: string; readonly recordedBy: string; readonly recordedAt: Date } | null;
  /** Citations and evidence withheld: from documents the caller may not read now (counted, never shown). */
  readonly withheld: number;
  /** Notes on the claim (`create_claim_note`), oldest first. */
  readonly notes: readonly ClaimNoteView[];
  /** Manual tier changes (`set_claim_tier`, approved by a second person), oldest first. */
  readonly tierChanges: readonly ClaimTierChangeView[];
  /** What the caller may do now. */
  readonly mayDecide: boolean;
}

export interface ClaimReviewView {
  readonly id: string;
  readonly action: 'accept' | 'edit' | 'override';
  readonly assessedOutcome: string;
  readonly outcome: string;
  readonly reasonCode: string | null;
  readonly comment: string | null;
  readonly reviewer: string;
  readonly unchanged: boolean;
  readonly candidateId: string | null;
  readonly edits: readonly { readonly field: string; readonly before: unknown; readonly after: unknown }[];
  readonly createdAt: Date;
}

/** Whether the caller may decide (accept / edit / override) a claim in this tier. */
export function mayDecide(
  caller: Caller,
  config: ClaimsConfigSection,
  row: Pick<ClaimRow, 'assigned_adjuster' | 'tier'>,
): boolean {
  const role = claimsRole(caller, config);
  if (role.senior) return true;
  if (row.tier === 'siu_referral') return role.siu;
  if (row.tier === 'senior_review') return false;
  return isAssigned(caller, row);
}

type AssessmentRow = {
  id: string;
  version: number;
  config_version: number;
  prompt_version: number | null;
  assessment: {
    extracted: Record<string, ExtractedField>;
    fraud: { score: number; indicators: FraudIndicator[] };
    determination: NonNullable<ClaimSummary['determination']>;
    documents: { documentId: string; type: string }[];
    tierReason: string;
  };
  created_at: Date;
  cost_usd: number;
  trace_id: string | null;
};

/** The claim summary: extracted fields with citations, fraud with evidence, determination, tier. */
export async function getClaim(deps: Pick<ClaimsDeps, 'db' | 'config'>, caller: Caller, ref: string): Promise<ClaimSummary> {
  authorize(caller, 'claims:read');
  const { db } = deps;
  const row = await visibleClaim(db, caller, deps.config.claims, ref);
  const docs = await db.query<{
    document_id: string | null;
    file_name: string;
    status: ClaimDocumentView['status'];
    error_code: string | null;
    error_message: string | null;
    added_at: Date;
  }>('SELECT * FROM claim_documents WHERE claim_id = $1 ORDER BY file_name', [row.id]);
  const assessment = row.latest_assessment_id
    ? (
        await db.query<AssessmentRow>(
          'SELECT id, version, config_version, prompt_version, assessment, created_at, cost_usd, trace_id FROM claim_assessments WHERE id = $1',
          [row.latest_assessment_id],
        )
      ).rows[0]
    : undefined;
  // Every document id the summary could show: the claim's and the cited ones (policy documents too).
  const cited = new Set<string>(docs.rows.map((d) => d.document_id).filter((id): id is string => id !== null));
  if (assessment) {
    for (const f of Object.values(assessment.assessment.extracted)) if (f.citation) cited.add(f.citation.documentId);
    for (const i of assessment.assessment.fraud.indicators)
      for (const e of i.evidence) if (e.citation) cited.add(e.citation.documentId);
    for (const t of assessment.assessment.determination.terms) cited.add(t.documentId);
  }
  // Photos have no ingested document (no text to index): they carry the claim's ACL and go with the claim.
  const photos = [...cited].filter((id) => id.startsWith(`photo:${row.claim_number}/`));
  const readable = await readableDocumentIds(
    db,
    caller,
    [...cited].filter((id) => !id.startsWith('photo:')),
  );
  for (const id of photos) readable.add(id);
  let withheld = 0;
  const typeOf = new Map((assessment?.assessment.documents ?? []).map((d) => [d.documentId, d.type]));
  const documents: ClaimDocumentView[] = [];
  for (const d of docs.rows) {
    if (d.document_id && !readable.has(d.document_id)) {
      withheld++;
      continue;
    }
    documents.push({
      documentId: d.document_id,
      fileName: d.file_name,
      status: d.status,
      errorCode: d.error_code,
      errorMessage: d.error_message,
      type: d.document_id
        ? (typeOf.get(d.document_id) ?? null)
        : d.status === 'photo'
          ? (typeOf.get(`photo:${row.claim_number}/${d.file_name}`) ?? 'photo')
          : null,
      addedAt: d.added_at,
    });
  }
  const extracted: Record<string, ExtractedField & { withheld?: boolean }> = {};
  let fraud: ClaimSummary['fraud'] = null;
  let determination: ClaimSummary['determination'] = null;
  if (assessment) {
    for (const [name, field] of Object.entries(assessment.assessment.extracted)) {
      if (field.citation && !readable.has(field.citation.documentId)) {
        withheld++;
        extracted[name] = {
          value: null,
          status: field.status,
          citation: null,
          method: field.method,
          confidence: field.confidence,
          withheld: true,
        };
        continue;
      }
      const alsoSeen = field.alsoSeen?.filter((c) => readable.has(c.documentId));
      extracted[name] = { ...field, ...(field.alsoSeen ? { alsoSeen: alsoSeen ?? [] } : {}) };
    }
    fraud = {
      score: assessment.assessment.fraud.score,
      indicators: assessment.assessment.fraud.indicators.map((i) => ({
        ...i,
        evidence: i.evidence.filter((e) => {
          const ok = !e.citation || readable.has(e.citation.documentId);
          if (!ok) withheld++;
          return ok;
        }),
      })),
    };
    const d = assessment.assessment.determination;
    const terms = d.terms.filter((t) => {
      const ok = readable.has(t.documentId);
      if (!ok) withheld++;
      return ok;
    });
    // The rationale quotes extracted values (the repair total, dates) and the payable amount derives from the
    // repair total: withheld too when a field they rest on is.
    const fieldsWithheld = Object.values(extracted).some((f) => f.withheld);
    determination = {
      outcome: d.outcome,
      confidence: d.confidence,
      terms,
      deductible: d.deductible,
      estimatedPayable: extracted.repairTotal?.withheld ? null : d.estimatedPayable,
      rationale: fieldsWithheld ? 'Withheld: the rationale quotes documents of this claim you may not read now.' : d.rationale,
      missing: d.missing,
    };
  }
  // An edit's previous value came from a document: withheld with the field when the caller may not read it.
  const withheldFields = new Set(
    Object.entries(extracted)
      .filter(([, f]) => f.withheld)
      .map(([name]) => name),
  );
  const reviews = (await claimReviews(db, row.id)).map((r) => ({
    ...r,
    edits: r.edits.map((e) => (withheldFields.has(e.field) ? { ...e, before: null } : e)),
  }));
  const siu = (
    await db.query<{ outcome: string; recorded_by: string; recorded_at: Date }>(
      'SELECT outcome, recorded_by, recorded_at FROM claim_siu_outcomes WHERE claim_id = $1',
      [row.id],
    )
  ).rows[0];
  return {
    ...toItem(row),
    tierReason: assessment?.assessment.tierReason ?? null,
    documents,
    assessment: assessment
      ? {
          id: assessment.id,
          version: assessment.version,
          configVersion: assessment.config_version,
          promptVersion: assessment.prompt_version,
          createdAt: assessment.created_at,
          costUsd: Number(assessment.cost_usd),
          traceId: assessment.trace_id,
        }
      : null,
    extracted,
    fraud,
    determination,
    reviews,
    siuOutcome: siu ? { outcome: siu.outcome, recordedBy: siu.recorded_by, recordedAt: siu.recorded_at } : null,
    withheld,
    notes: await claimNotes(db, row.id),
    tierChanges: await claimTierChanges(db, row.id),
    mayDecide: row.latest_assessment_id !== null && row.status !== 'decided' && mayDecide(caller, deps.config.claims, row),
  };
}

async function claimReviews(db: Queryable, claimId: string): Promise<ClaimReviewView[]> {
  const { rows } = await db.query<{
    id: string;
    action: ClaimReviewView['action'];
    assessed_outcome: string;
    outcome: string;
    reason_code: string | null;
    comment: string | null;
    reviewer: string;
    unchanged: boolean;
    candidate_id: string | null;
    created_at: Date;
  }>('SELECT * FROM claim_reviews WHERE claim_id = $1 ORDER BY created_at, id', [claimId]);
  const edits = await db.query<{ review_id: string; field: string; before_value: unknown; after_value: unknown }>(
    'SELECT review_id, field, before_value, after_value FROM claim_field_edits WHERE claim_id = $1 ORDER BY created_at, id',
    [claimId],
  );
  return rows.map((r) => ({
    id: r.id,
    action: r.action,
    assessedOutcome: r.assessed_outcome,
    outcome: r.outcome,
    reasonCode: r.reason_code,
    comment: r.comment,
    reviewer: r.reviewer,
    unchanged: r.unchanged,
    candidateId: r.candidate_id,
    edits: edits.rows
      .filter((e) => e.review_id === r.id)
      .map((e) => ({ field: e.field, before: e.before_value, after: e.after_value })),
    createdAt: r.created_at,
  }));
}

export const isClaimOutcome = (value: string): value is ClaimOutcome => (claimOutcomes as readonly string[]).includes(value);
