import { type Caller, GroundworkError, newId } from '../core/index.ts';
import { authorize, recordAudit } from '../govern/index.ts';
import { documentPages, listSourceNames } from '../ingest/index.ts';
import type { JobQueue } from '../jobs/index.ts';
import { buildPriceTable, priceFor } from '../observe/index.ts';
import { createPrompt, resolvePrompt } from '../prompts/index.ts';
import { readableDocumentIds } from '../protect/index.ts';
import type { Queryable } from '../store/index.ts';
import { assessClaim, classifyDocument, damageTypeOf, defaultExtractionPrompt, photoDocumentParts } from './assess/index.ts';
import {
  type ClaimItem,
  type ClaimRow,
  type ClaimsDeps,
  claimColumns,
  claimsRole,
  isAssigned,
  toItem,
  visibleClaim,
  visibleClaimsFilter,
} from './claims.ts';
import { currentClaimsConfig } from './config.ts';
import { claimsSourceName, ensureClaimsSource, photoDocumentId, readClaimPhoto, refreshClaimDocuments } from './documents.ts';
import { claimsPoliciesSourceName } from './import.ts';
import type {
  AssessClaimInput,
  ClaimAssessment,
  ClaimCitation,
  ClaimDocumentInput,
  ExtractedField,
  HistoryClaim,
} from './model.ts';

/**
 * `claims process`: gathers a claim's parsed pages (ingest's `documentPages`, only documents the caller may
 * read), its history (Groundwork's other claims plus the imported history), the current config version, a
 * policy-terms search bound to the CALLER (the retriever over the policy sources, the caller's ACL), and the
 * extraction model and versioned prompt when a model is configured; calls the pure `assessClaim`, stores a new
 * assessment version, sets tier, outcome and status, and records a trace with the cost.
 *
 * Nothing is ever auto-denied: a `not_covered` outcome is never fast-tracked (it goes to a person: standard).
 */

export interface ProcessResult {
  readonly claim: ClaimItem;
  readonly assessmentId: string;
  readonly version: number;
  readonly tier: ClaimAssessment['tier'];
  readonly outcome: ClaimAssessment['determination']['outcome'];
  readonly confidence: number;
  readonly fraudScore: number;
  readonly missing: readonly string[];
  readonly durationMs: number;
  readonly costUsd: number;
  readonly traceId: string;
}

/** What an own claim contributes to the history: from its latest assessment's extracted fields. */
function ownHistoryFacts(extracted: Record<string, ExtractedField> | null): {
  damageType: string | null;
  amount: number | null;
  claimantName: string | null;
  vehicleVin: string | null;
  address: string | null;
} {
  if (!extracted) return { damageType: null, amount: null, claimantName: null, vehicleVin: null, address: null };
  const parties = Array.isArray(extracted.parties?.value)
    ? (extracted.parties.value as { role?: string; name?: string; address?: string }[])
    : [];
  const insured = parties.find((p) => p.role === 'insured') ?? parties[0];
  const vehicles = Array.isArray(extracted.vehicles?.value) ? (extracted.vehicles.value as { vin?: string }[]) : [];
  const total = extracted.repairTotal?.value;
  return {
    damageType: damageTypeOf(extracted),
    amount: typeof total === 'number' ? total : null,
    claimantName: typeof insured?.name === 'string' ? insured.name : null,
    vehicleVin: typeof vehicles[0]?.vin === 'string' ? vehicles[0].vin : null,
    address: typeof insured?.address === 'string' ? insured.address : null,
  };
}

async function historyFor(db: Queryable, row: ClaimRow): Promise<HistoryClaim[]> {
  const own = await db.query<{
    claim_number: string;
    policy_number: string | null;
    line_of_business: string;
    loss_date: string | null;
    region: string | null;
    damage_type: string | null;
    claimant_name: string | null;
    extracted: Record<string, ExtractedField> | null;
    siu: string | null;
  }>(
    `SELECT c.claim_number, c.policy_number, c.line_of_business, to_char(c.loss_date, 'YYYY-MM-DD') AS loss_date, c.region,
            c.damage_type, c.claimant_name,
            (SELECT a.assessment->'extracted' FROM claim_assessments a WHERE a.id = c.latest_assessment_id) AS extracted,
            (SELECT s.outcome FROM claim_siu_outcomes s WHERE s.claim_id = c.id) AS siu
       FROM claims c WHERE c.id <> $1 AND c.loss_date IS NOT NULL AND c.policy_number IS NOT NULL`,
    [row.id],
  );
  const imported = await db.query<{
    claim_number: string;
    policy_number: string;
    line_of_business: string;
    loss_date: string;
    region: string | null;
    damage_type: string | null;
    amount: number | null;
    claimant_name: string | null;
    vehicle_vin: string | null;
    address: string | null;
    outcome: string | null;
  }>(
    `SELECT claim_number, policy_number, line_of_business, to_char(loss_date, 'YYYY-MM-DD') AS loss_date, region, damage_type,
            amount, claimant_name, vehicle_vin, address, outcome
       FROM claim_history WHERE claim_number <> $1`,
    [row.claim_number],
  );
  const seen = new Set<string>();
  const out: HistoryClaim[] = [];
  const opt = <K extends string, V>(key: K, value: V | null | undefined) =>
    value === null || value === undefined ? {} : ({ [key]: value } as { [P in K]: V });
  for (const h of own.rows) {
    seen.add(h.claim_number);
    // The damage type as the assessment derives it (`<cause>_<area>`, the peer key of the amount z-score), not
    // the free-text manifest value; the claimant, vehicle and address from the extracted fields.
    const facts = ownHistoryFacts(h.extracted);
    out.push({
      claimNumber: h.claim_number,
      policyNumber: h.policy_number as string,
      lineOfBusiness: h.line_of_business,
      lossDate: h.loss_date as string,
      ...opt('region', h.region),
      ...opt('damageType', facts.damageType ?? h.damage_type),
      ...opt('amount', facts.amount),
      ...opt('claimantName', facts.claimantName ?? h.claimant_name),
      ...opt('vehicleVin', facts.vehicleVin),
      ...opt('address', facts.address),
      ...opt('outcome', h.siu),
    });
  }
  for (const h of imported.rows) {
    if (seen.has(h.claim_number)) continue;
    out.push({
      claimNumber: h.claim_number,
      policyNumber: h.policy_number,
      lineOfBusiness: h.line_of_business,
      lossDate: h.loss_date,
      ...opt('region', h.region),
      ...opt('damageType', h.damage_type),
      ...opt('amount', h.amount === null ? null : Number(h.amount)),
      ...opt('claimantName', h.claimant_name),
      ...opt('vehicleVin', h.vehicle_vin),
      ...opt('address', h.address),
      ...opt('outcome', h.outcome),
    });
  }
  return out;
}

/**
 * A policy-terms search bound to the caller: the retriever (caller's ACL in SQL) over the policy sources
 * (`claims.policySources`, and always `claims-policies`, where an import puts `DIR/policies/`), then — when the
 * wording has nothing — the claim's own policy declarations (its documents classified `policy_declarations`,
 * found by the claim number their sidecar carries).
 */
export async function policyTermsSearch(
  deps: Pick<ClaimsDeps, 'db' | 'config' | 'retriever'>,
  caller: Caller,
  claim?: { readonly claimNumber: string; readonly declarationIds: ReadonlySet<string> },
): Promise<(query: string) => Promise<readonly ClaimCitation[]>> {
  const names = await listSourceNames(deps.db);
  const wanted = deps.config.claims.policySources;
  const sourceIds = names
    .filter((s) =>
      wanted.length > 0 ? wanted.includes(s.name) || s.name === claimsPoliciesSourceName : s.name !== claimsSourceName,
    )
    .map((s) => s.id);
  const claimsSourceId = names.find((s) => s.name === claimsSourceName)?.id;
  const toCitation = (hit: { documentId: string; pageStart?: number | null; snippet: string; text: string }) => ({
    documentId: hit.documentId,
    page: hit.pageStart ?? 1,
    passage: (hit.snippet || hit.text.slice(0, 240)).replace(/[«»]/g, ''),
  });
  return async (query: string) => {
    if (query.trim() === '') return [];
    const wording =
      sourceIds.length === 0
        ? []
        : (await deps.retriever.search({ query, caller, k: 5, filters: { sourceIds }, rerank: false })).hits.map(toCitation);
    if (wording.length > 0 || !claim || !claimsSourceId || claim.declarationIds.size === 0) return wording;
    const own = await deps.retriever.search({
      query,
      caller,
      k: 5,
      filters: { sourceIds: [claimsSourceId], metadata: { claimNumber: claim.claimNumber } },
      rerank: false,
    });
    return own.hits.filter((hit) => claim.declarationIds.has(hit.documentId)).map(toCitation);
  };
}

async function extractionModelFor(deps: ClaimsDeps, caller: Caller): Promise<AssessClaimInput['extractionModel'] | undefined> {
  const ref = deps.models?.defaultChat;
  if (!ref || !deps.models) return undefined;
  // The production label wins when it is set (prompt versioning: promote / roll back), else the latest version.
  let prompt =
    (await resolvePrompt(deps.db, defaultExtractionPrompt.name, 'production').catch(() => undefined)) ??
    (await resolvePrompt(deps.db, defaultExtractionPrompt.name, 'latest').catch(() => undefined));
  if (!prompt) {
    await createPrompt(deps.db, {
      name: defaultExtractionPrompt.name,
      template: defaultExtractionPrompt.text,
      message: 'claims workflow: the built-in extraction prompt',
      author: caller.id,
      requiredVariables: [],
    }).catch(() => undefined);
    prompt = await resolvePrompt(deps.db, defaultExtractionPrompt.name, 'latest');
  }
  return {
    model: deps.models.chat(ref),
    prompt: { name: prompt.name, version: prompt.version, text: prompt.template },
  };
}

/**
 * Processes one claim (the write path of `claims process ID`, POST /v1/claims/:id/process): authorizes
 * `claims:write` (assigned adjuster, senior, SIU or the operator), assesses, stores assessment version n+1 and
 * the claim's tier / outcome / status, audited `claims.process`, traced `claims.process` with cost.
 */
export async function processClaim(
  deps: ClaimsDeps,
  caller: Caller,
  claimRef: string,
  options: { requestId?: string; trigger?: string } = {},
): Promise<ProcessResult> {
  authorize(caller, 'claims:write');
  const { db, config, clock } = deps;
  const started = performance.now();
  const row = await visibleClaim(db, caller, config.claims, claimRef);
  if (!claimsRole(caller, config.claims).all && !isAssigned(caller, row)) {
    throw new GroundworkError('claims.not_assigned', `Claim ${row.claim_number} is not assigned to you.`, {
      category: 'forbidden',
      fix: 'Leave it to the assigned adjuster, or ask a senior adjuster (claims.seniorPrincipals) to decide it.',
    });
  }
  const source = await ensureClaimsSource(deps);
  await refreshClaimDocuments(db, source.id, [row.id]);
  const files = await db.query<{
    document_id: string | null;
    source_ref: string;
    file_name: string;
    status: string;
    error_code: string | null;
  }>(
    'SELECT document_id, source_ref, file_name, status, error_code FROM claim_documents WHERE claim_id = $1 ORDER BY file_name',
    [row.id],
  );
  const ids = files.rows.map((f) => f.document_id).filter((id): id is string => id !== null);
  const readable = caller.seesEverything ? new Set(ids) : await readableDocumentIds(db, caller, ids);
  const pages = await documentPages(db, ids, [...readable]);
  const documents: ClaimDocumentInput[] = [];
  let ocrPages = 0;
  for (const f of files.rows) {
    if (f.status === 'photo') {
      // A photo: its caption is the page text, its EXIF (DateTimeOriginal, camera) the metadata (parseClaimFile).
      const bytes = await readClaimPhoto(source.dir, f.source_ref);
      if (!bytes) continue;
      const { exif, caption } = photoDocumentParts(bytes);
      documents.push({
        documentId: photoDocumentId(row.claim_number, f.file_name),
        fileName: f.file_name,
        mediaType: /\.png$/i.test(f.file_name) ? 'image/png' : /\.tiff?$/i.test(f.file_name) ? 'image/tiff' : 'image/jpeg',
        pages: caption ? [{ page: 1, text: caption }] : [],
        ocr: false,
        exif,
      });
      continue;
    }
    const p = f.document_id ? pages.get(f.document_id) : undefined;
    if (!p) continue;
    ocrPages += p.ocrPageCount;
    const exif = p.metadata.exif;
    documents.push({
      documentId: p.documentId,
      fileName: f.file_name,
      mediaType: p.mediaType,
      pages: p.pages,
      ocr: p.ocr,
      ...(exif && typeof exif === 'object' ? { exif: exif as Record<string, string> } : {}),
    });
  }
  const quarantined = files.rows
    .filter((f) => f.status === 'quarantined')
    .map((f) => `document:${f.file_name} (${f.error_code})`);
  const configVersion = await currentClaimsConfig(db);
  const extractionModel = await extractionModelFor(deps, caller);
  const span = deps.tracer.startSpan('claims.process', undefined, {
    'groundwork.caller': caller.id,
    'groundwork.caller.sees_everything': caller.seesEverything,
    'groundwork.claim': row.claim_number,
    'groundwork.documents': documents.length,
    'groundwork.ocr.pages': ocrPages,
    ...(extractionModel
      ? { 'groundwork.prompt.version': `${extractionModel.prompt.name}@${extractionModel.prompt.version}` }
      : {}),
  });
  let assessment: ClaimAssessment;
  try {
    const declarationIds = new Set(
      documents
        .map((document) => classifyDocument(document))
        .filter((d) => d.type === 'policy_declarations')
        .map((d) => d.documentId),
    );
    const searchPolicyTerms = await policyTermsSearch(deps, caller, { claimNumber: row.claim_number, declarationIds });
    assessment = await assessClaim({
      claim: {
        claimNumber: row.claim_number,
        policyNumber: row.policy_number,
        lineOfBusiness: row.line_of_business,
        lossDate: row.loss_date,
        reportedDate: row.reported_date,
        ...(row.region ? { region: row.region } : {}),
        ...(Object.keys(row.policy ?? {}).length > 0 ? { policy: row.policy } : {}),
      },
      documents,
      history: await historyFor(db, row),
      config: configVersion.config,
      searchPolicyTerms,
      ...(extractionModel ? { extractionModel } : {}),
      now: clock.now(),
    });
  } catch (error) {
    span.fail(error);
    throw error;
  }
  // Nothing is ever auto-denied: not covered always goes to a person.
  let tier = assessment.tier;
  let tierReason = assessment.tierReason;
  if (assessment.determination.outcome === 'not_covered' && tier === 'fast_track') {
    tier = 'standard';
    tierReason = `${tierReason}; not covered is never fast-tracked (a person decides)`;
  }
  const missing = [...new Set([...assessment.determination.missing, ...quarantined])];
  const status =
    assessment.determination.outcome === 'needs_information' || quarantined.length > 0 ? 'needs_information' : 'assessed';
  const usage = assessment.usage;
  const prices = buildPriceTable(config.observe.prices);
  const price = usage ? priceFor(prices, undefined, usage.model) : undefined;
  const costUsd =
    (usage
      ? (usage.inputTokens * (price?.inputPerMillion ?? 0) + usage.outputTokens * (price?.outputPerMillion ?? 0)) / 1e6
      : 0) +
    ocrPages * prices.ocrPerPage;
  const now = clock.now();
  const durationMs = Math.round(performance.now() - started);
  const assessmentId = (deps.ids ?? newId)('cla');
  const stored = { ...assessment, tier, tierReason };
  const updated = await db.transaction(async (tx) => {
    const locked = (
      await tx.query<{ v: number | null }>('SELECT max(version) AS v FROM claim_assessments WHERE claim_id = $1', [row.id])
    ).rows[0];
    const version = Number(locked?.v ?? 0) + 1;
    await tx.query(
      `INSERT INTO claim_assessments (id, claim_id, version, config_version, prompt_version, assessment, tier, outcome, confidence,
         fraud_score, usage, cost_usd, ocr_pages, duration_ms, trace_id, created_by, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
      [
        assessmentId,
        row.id,
        version,
        configVersion.version,
        extractionModel?.prompt.version ?? null,
        JSON.stringify(stored),
        tier,
        assessment.determination.outcome,
        assessment.determination.confidence,
        assessment.fraud.score,
        usage ? JSON.stringify(usage) : null,
        costUsd,
        ocrPages,
        durationMs,
        span.context.traceId,
        caller.id,
        now,
      ],
    );
    const claim = (
      await tx.query<ClaimRow>(
        `UPDATE claims SET tier = $2, outcome = $3, status = $4, missing = $5, latest_assessment_id = $6,
           determined_at = coalesce(determined_at, $7), decided_at = NULL, updated_at = $7
         WHERE id = $1 RETURNING ${claimColumns}`,
        [row.id, tier, assessment.determination.outcome, status, JSON.stringify(missing), assessmentId, now],
      )
    ).rows[0] as ClaimRow;
    await recordAudit(
      tx,
      {
        actor: caller.id,
        action: 'claims.process',
        target: `claim:${row.claim_number}`,
        after: {
          assessment: assessmentId,
          version,
          configVersion: configVersion.version,
          tier,
          outcome: assessment.determination.outcome,
          trigger: options.trigger ?? 'direct',
        },
        ...(options.requestId ? { requestId: options.requestId } : {}),
        at: now,
      },
      clock,
    );
    return { claim, version };
  });
  span.setAttributes({
    'groundwork.claims.tier': tier,
    'groundwork.claims.outcome': assessment.determination.outcome,
    'groundwork.confidence': assessment.determination.confidence,
    'groundwork.claims.fraud_score': assessment.fraud.score,
    'groundwork.claims.cost_usd': costUsd,
    ...(usage
      ? {
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': usage.model,
          'gen_ai.usage.input_tokens': usage.inputTokens,
          'gen_ai.usage.output_tokens': usage.outputTokens,
        }
      : {}),
  });
  span.end();
  deps.events.publish('claim-assessed', {
    claimId: row.id,
    assessmentId,
    tier,
    outcome: assessment.determination.outcome,
  });
  return {
    claim: toItem(updated.claim),
    assessmentId,
    version: updated.version,
    tier,
    outcome: assessment.determination.outcome,
    confidence: assessment.determination.confidence,
    fraudScore: assessment.fraud.score,
    missing,
    durationMs,
    costUsd,
    traceId: span.context.traceId,
  };
}

/** Processes every claim the caller may process (`claims process --all`), one after another. */
export async function processAllClaims(
  deps: ClaimsDeps,
  caller: Caller,
  options: { onProgress?: (done: number, total: number, claimNumber: string) => void; requestId?: string } = {},
): Promise<{ processed: ProcessResult[]; failed: { claimNumber: string; code: string; message: string }[] }> {
  authorize(caller, 'claims:write');
  const params: unknown[] = [];
  const where = visibleClaimsFilter(caller, deps.config.claims, params);
  const { rows } = await deps.db.query<{ claim_number: string }>(
    `SELECT claim_number FROM claims WHERE ${where} AND status <> 'closed' ORDER BY claim_number`,
    params,
  );
  const processed: ProcessResult[] = [];
  const failed: { claimNumber: string; code: string; message: string }[] = [];
  let done = 0;
  for (const { claim_number } of rows) {
    try {
      processed.push(await processClaim(deps, caller, claim_number, { trigger: 'all', ...options }));
    } catch (error) {
      const e = error as { code?: string; message?: string };
      failed.push({ claimNumber: claim_number, code: e.code ?? 'internal', message: e.message ?? String(error) });
    }
    options.onProgress?.(++done, rows.length, claim_number);
  }
  return { processed, failed };
}

/**
 * Queues assessing claims for the workers (decision 0014: no background work in the API process in server
 * mode): the `claims-process` job, run as the caller, and its audit record `claims.process.request` in one
 * transaction. Returns the job id (null: pg-boss deduplicated it).
 */
export async function requestClaimsProcessing(
  deps: Pick<ClaimsDeps, 'db' | 'clock'> & { readonly jobs: Pick<JobQueue, 'prepare' | 'send'> },
  caller: Caller,
  input: { claims?: readonly string[] },
  options: { requestId?: string; trigger?: string } = {},
): Promise<{ jobId: string | null; claims: readonly string[] | 'all' }> {
  authorize(caller, 'claims:write');
  if (input.claims !== undefined && input.claims.length === 0) {
    throw new GroundworkError('claims.missing_target', 'Name the claims to process, or ask for all of them.', {
      category: 'usage',
      fix: 'Run `groundwork claims process CL-123` or `groundwork claims process --all`; run `claims import` on the server machine (without --server).',
    });
  }
  await deps.jobs.prepare('claims-process');
  return deps.db.transaction(async (tx) => {
    const jobId = await deps.jobs.send(
      'claims-process',
      {
        ...(input.claims ? { claims: [...input.claims] } : {}),
        caller: { id: caller.id, role: caller.role, principals: [...caller.principals], seesEverything: caller.seesEverything },
        trigger: options.trigger ?? 'api',
      },
      { tx },
    );
    await recordAudit(
      tx,
      {
        actor: caller.id,
        action: 'claims.process.request',
        target: 'claims',
        after: { claims: input.claims ? input.claims.length : 'all', jobId },
        ...(options.requestId ? { requestId: options.requestId } : {}),
      },
      deps.clock,
    );
    return { jobId, claims: input.claims ?? 'all' };
  });
}

/** The worker's side of `claims-process`: assesses the named claims (or all) as the caller who asked. */
export async function runClaimsProcessing(
  deps: ClaimsDeps,
  caller: Caller,
  claims: readonly string[] | undefined,
  trigger = 'worker',
): Promise<{
  processed: number;
  failed: { claimNumber: string; code: string; message: string }[];
  tiers: Record<string, number>;
}> {
  let results: { processed: ProcessResult[]; failed: { claimNumber: string; code: string; message: string }[] };
  if (claims) {
    results = { processed: [], failed: [] };
    for (const claim of claims) {
      try {
        results.processed.push(await processClaim(deps, caller, claim, { trigger }));
      } catch (error) {
        const e = error as { code?: string; message?: string };
        results.failed.push({ claimNumber: claim, code: e.code ?? 'internal', message: e.message ?? String(error) });
      }
    }
  } else results = await processAllClaims(deps, caller);
  const tiers: Record<string, number> = {};
  for (const p of results.processed) tiers[p.tier] = (tiers[p.tier] ?? 0) + 1;
  return { processed: results.processed.length, failed: results.failed, tiers };
}
