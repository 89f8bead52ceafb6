import { copyFile, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { type Caller, canonicalPrincipal, GroundworkError } from '../core/index.ts';
import { authorize, recordAudit } from '../govern/index.ts';
import { addSource, findSource, sidecarSuffix } from '../ingest/index.ts';
import type { Queryable } from '../store/index.ts';
import { type ClaimInput, type ClaimsDeps, upsertClaim } from './claims.ts';
import {
  claimPrincipals,
  claimsDocumentsDir,
  ensureClaimsSource,
  recordClaimFile,
  refreshClaimDocuments,
  safeFileName,
  syncClaimsSource,
  writeClaimFile,
} from './documents.ts';

/**
 * `groundwork claims import DIR`: a folder of claim folders (`DIR/claims/<claim-no>/` or `DIR/<claim-no>/`, each
 * with `claim.json` and its documents) plus an optional `DIR/history.csv`. Idempotent: a claim is matched by
 * its claim number, unchanged files are not rewritten (the sync then finds nothing to do), history rows are
 * upserted by claim number. Documents go through ingestion with the claim's ACL; unreadable ones are
 * quarantined and the claim lists them as missing.
 */

export interface ImportProgress {
  readonly phase: 'claims' | 'ingest' | 'history';
  readonly done: number;
  readonly total: number | undefined;
  readonly current?: string;
}

export interface ImportSummary {
  readonly claims: number;
  readonly created: number;
  readonly updated: number;
  readonly files: number;
  readonly filesChanged: number;
  readonly indexed: number;
  readonly quarantined: readonly { readonly claimNumber: string; readonly file: string; readonly code: string }[];
  readonly history: number;
  /** Policy documents copied from `DIR/policies/` into the `claims-policies` source. */
  readonly policies: number;
  readonly durationMs: number;
}

const importInvalid = (message: string) =>
  new GroundworkError('claims.import_invalid', message, {
    category: 'usage',
    fix: 'Point at a folder of claim folders (DIR/claims/<claim-no>/claim.json or DIR/<claim-no>/claim.json), with an optional DIR/history.csv.',
  });

/** RFC 4180-ish CSV: quoted fields, doubled quotes, CRLF or LF. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      field = '';
      if (row.some((f) => f !== '')) rows.push(row);
      row = [];
    } else field += ch;
  }
  row.push(field);
  if (row.some((f) => f !== '')) rows.push(row);
  return rows;
}

const historyColumns: Record<string, string> = {
  claim_number: 'claim_number',
  claimnumber: 'claim_number',
  policy_number: 'policy_number',
  policynumber: 'policy_number',
  line_of_business: 'line_of_business',
  lineofbusiness: 'line_of_business',
  loss_date: 'loss_date',
  lossdate: 'loss_date',
  region: 'region',
  damage_type: 'damage_type',
  damagetype: 'damage_type',
  amount: 'amount',
  claimant_name: 'claimant_name',
  claimantname: 'claimant_name',
  vehicle_vin: 'vehicle_vin',
  vehiclevin: 'vehicle_vin',
  address: 'address',
  outcome: 'outcome',
};

/** Upserts history rows from CSV text (header row; columns as in claim_history, snake or camel case). */
export async function importHistoryCsv(tx: Queryable, text: string): Promise<number> {
  const [header, ...rows] = parseCsv(text.replace(/^\uFEFF/, ''));
  if (!header) return 0;
  const columns = header.map((h) => historyColumns[h.trim().toLowerCase().replace(/[\s-]/g, '_')] ?? null);
  for (const required of ['claim_number', 'policy_number', 'loss_date']) {
    if (!columns.includes(required))
      throw importInvalid(`history.csv has no ${required} column (columns: ${header.join(', ')}).`);
  }
  let n = 0;
  for (const [index, raw] of rows.entries()) {
    const record: Record<string, string | null> = {};
    columns.forEach((c, i) => {
      if (c) record[c] = raw[i]?.trim() || null;
    });
    if (!record.claim_number || !record.policy_number || !record.loss_date || !/^\d{4}-\d{2}-\d{2}$/.test(record.loss_date)) {
      throw importInvalid(`history.csv row ${index + 2} needs claim_number, policy_number and a YYYY-MM-DD loss_date.`);
    }
    const amount = record.amount === null || record.amount === undefined ? null : Number(record.amount);
    if (amount !== null && !Number.isFinite(amount))
      throw importInvalid(`history.csv row ${index + 2}: amount "${record.amount}" is not a number.`);
    await tx.query(
      `INSERT INTO claim_history (claim_number, policy_number, line_of_business, loss_date, region, damage_type, amount, claimant_name,
         vehicle_vin, address, outcome)
       VALUES ($1, $2, coalesce($3, 'auto'), $4::date, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (claim_number) DO UPDATE SET policy_number = $2, line_of_business = coalesce($3, 'auto'), loss_date = $4::date,
         region = $5, damage_type = $6, amount = $7, claimant_name = $8, vehicle_vin = $9, address = $10, outcome = $11, imported_at = now()`,
      [
        record.claim_number,
        record.policy_number,
        record.line_of_business ?? null,
        record.loss_date,
        record.region ?? null,
        record.damage_type ?? null,
        amount,
        record.claimant_name ?? null,
        record.vehicle_vin ?? null,
        record.address ?? null,
        record.outcome ?? null,
      ],
    );
    n++;
  }
  return n;
}

async function isDir(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

function claimFromJson(json: Record<string, unknown>, folder: string): ClaimInput {
  const str = (...keys: string[]) => {
    for (const k of keys) if (typeof json[k] === 'string' && (json[k] as string).trim() !== '') return (json[k] as string).trim();
    return null;
  };
  const policy = (json.policy && typeof json.policy === 'object' ? json.policy : {}) as Record<string, unknown>;
  const policyFacts: Record<string, string> = {};
  for (const key of ['effectiveDate', 'expiryDate', 'coverageIncreasedOn', 'cancellationNoticeOn']) {
    if (typeof policy[key] === 'string') policyFacts[key] = policy[key] as string;
  }
  const adjuster = str('assignedAdjuster', 'adjuster');
  return {
    claimNumber: str('claimNumber', 'claim_number') ?? folder,
    policyNumber: str('policyNumber', 'policy_number') ?? (typeof policy.number === 'string' ? policy.number : null),
    lineOfBusiness: str('lineOfBusiness', 'line_of_business') ?? 'auto',
    lossDate: str('lossDate', 'loss_date'),
    reportedDate: str('reportedDate', 'reported_date'),
    region: str('region'),
    damageType: str('damageType', 'damage_type'),
    claimantName: str('claimantName', 'claimant'),
    assignedAdjuster: adjuster ? adjuster.replace(/^user:/, '') : null,
    policy: policyFacts,
  };
}

/** The source policy wordings of an imported folder (`DIR/policies/`) go to; readable by the claims group. */
export const claimsPoliciesSourceName = 'claims-policies';

/**
 * Copies `DIR/policies/*` into the `claims-policies` source (next to the claims documents folder, readable by
 * `claims.group`) and syncs it, so the determination's `searchPolicyTerms` finds and cites the policy wording.
 * Returns how many files were copied (0: no policies folder).
 */
async function importPolicyFolder(deps: ClaimsDeps, dir: string): Promise<number> {
  const from = join(dir, 'policies');
  if (!(await isDir(from))) return 0;
  const to = resolve(dirname(claimsDocumentsDir(deps.config)), claimsPoliciesSourceName);
  await mkdir(to, { recursive: true });
  let n = 0;
  for (const entry of await readdir(from, { withFileTypes: true })) {
    if (!entry.isFile() || entry.name.startsWith('.')) continue;
    await copyFile(join(from, entry.name), join(to, safeFileName(entry.name)));
    n++;
  }
  if (!(await findSource(deps.db, claimsPoliciesSourceName))) {
    await addSource(deps.db, {
      name: claimsPoliciesSourceName,
      type: 'filesystem',
      path: to,
      readableBy: [canonicalPrincipal(deps.config.claims.group)],
    }).catch(async (error) => {
      if (!(await findSource(deps.db, claimsPoliciesSourceName))) throw error;
    });
  }
  await deps.ingestion.sync({ source: claimsPoliciesSourceName, trigger: 'cli' });
  return n;
}

/** Imports a folder of claim folders (the write path of `groundwork claims import DIR`). */
export async function importClaims(
  deps: ClaimsDeps,
  caller: Caller,
  dir: string,
  options: { onProgress?: (progress: ImportProgress) => void; requestId?: string } = {},
): Promise<ImportSummary> {
  authorize(caller, 'claims:write');
  const started = performance.now();
  if (!(await isDir(dir))) throw importInvalid(`${dir} is not a folder.`);
  const root = (await isDir(join(dir, 'claims'))) ? join(dir, 'claims') : dir;
  const folders: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true })) {
    if (entry.isDirectory() && (await stat(join(root, entry.name, 'claim.json')).catch(() => undefined))?.isFile()) {
      folders.push(entry.name);
    }
  }
  folders.sort();
  const historyPath = join(dir, 'history.csv');
  const historyText = await readFile(historyPath, 'utf8').catch(() => undefined);
  if (folders.length === 0 && historyText === undefined) {
    throw importInvalid(`${dir} has no claim folders (<claim-no>/claim.json) and no history.csv.`);
  }
  const source = await ensureClaimsSource(deps);
  const policies = await importPolicyFolder(deps, dir);
  const { db, clock } = deps;
  let created = 0;
  let updated = 0;
  let files = 0;
  let filesChanged = 0;
  const claimIds: string[] = [];
  for (const [index, folder] of folders.entries()) {
    options.onProgress?.({ phase: 'claims', done: index, total: folders.length, current: folder });
    const path = join(root, folder);
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(await readFile(join(path, 'claim.json'), 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw importInvalid(`${join(path, 'claim.json')} is not valid JSON: ${(error as Error).message}.`);
    }
    const input = claimFromJson(json, folder);
    const now = clock.now();
    const { claim, created: isNew } = await db.transaction((tx) =>
      upsertClaim(tx, caller, input, {
        config: deps.config.claims,
        clock,
        ...(options.requestId ? { requestId: options.requestId } : {}),
      }),
    );
    if (isNew) created++;
    else updated++;
    claimIds.push(claim.id);
    const principals = claimPrincipals(deps.config, { assigned_adjuster: claim.assignedAdjuster });
    for (const entry of (await readdir(path, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      if (!entry.isFile() || entry.name === 'claim.json' || entry.name.endsWith(sidecarSuffix) || entry.name.startsWith('.'))
        continue;
      const fileName = safeFileName(entry.name);
      const bytes = await readFile(join(path, entry.name));
      const written = await writeClaimFile(source.dir, claim.claimNumber, fileName, bytes, principals);
      await recordClaimFile(db, claim.id, written.ref, fileName, bytes.byteLength, caller.id, now);
      files++;
      if (written.changed) filesChanged++;
    }
  }
  options.onProgress?.({ phase: 'claims', done: folders.length, total: folders.length });
  if (folders.length > 0) {
    await syncClaimsSource(deps, 'cli', (p) =>
      options.onProgress?.({ phase: 'ingest', done: p.done, total: p.total, ...(p.current ? { current: p.current } : {}) }),
    );
    await refreshClaimDocuments(db, source.id, claimIds);
  }
  let history = 0;
  if (historyText !== undefined) {
    options.onProgress?.({ phase: 'history', done: 0, total: undefined });
    history = await db.transaction((tx) => importHistoryCsv(tx, historyText));
  }
  const states = await db.query<{ claim_number: string; file_name: string; status: string; error_code: string | null }>(
    `SELECT c.claim_number, d.file_name, d.status, d.error_code FROM claim_documents d JOIN claims c ON c.id = d.claim_id
      WHERE d.claim_id = ANY($1::text[]) ORDER BY c.claim_number, d.file_name`,
    [claimIds],
  );
  const quarantined = states.rows
    .filter((s) => s.status === 'quarantined')
    .map((s) => ({ claimNumber: s.claim_number, file: s.file_name, code: s.error_code ?? 'ingest.unreadable' }));
  // Claims with quarantined files need information: the files are listed as missing until replaced.
  const now = clock.now();
  for (const q of quarantined) {
    await db.query(
      `UPDATE claims SET status = CASE WHEN status = 'open' THEN 'needs_information' ELSE status END,
         missing = (SELECT coalesce(jsonb_agg(DISTINCT m), '[]'::jsonb) FROM jsonb_array_elements(missing || $2::jsonb) m), updated_at = $3
       WHERE claim_number = $1`,
      [q.claimNumber, JSON.stringify([`document:${q.file} (${q.code})`]), now],
    );
  }
  await db.transaction((tx) =>
    recordAudit(
      tx,
      {
        actor: caller.id,
        action: 'claims.import',
        target: 'claims',
        after: { claims: folders.length, created, updated, files, quarantined: quarantined.length, history, policies },
        ...(options.requestId ? { requestId: options.requestId } : {}),
        at: now,
      },
      clock,
    ),
  );
  return {
    claims: folders.length,
    created,
    updated,
    files,
    filesChanged,
    indexed: states.rows.filter((s) => s.status === 'indexed').length,
    quarantined,
    history,
    policies,
    durationMs: Math.round(performance.now() - started),
  };
}
