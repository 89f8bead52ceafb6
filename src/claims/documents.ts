import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type Caller, canonicalPrincipal, GroundworkError, isGroundworkError } from '../core/index.ts';
import { authorize, recordAudit } from '../govern/index.ts';
import {
  addSource,
  documentPages,
  documentsByRefs,
  findSource,
  listQuarantine,
  type SyncProgress,
  type SyncSummary,
  sidecarSuffix,
} from '../ingest/index.ts';
import { readableDocumentIds } from '../protect/index.ts';
import type { Queryable } from '../store/index.ts';
import {
  adjusterPrincipal,
  type ClaimInput,
  type ClaimItem,
  type ClaimRow,
  type ClaimsDeps,
  claimsRole,
  isAssigned,
  upsertClaim,
  visibleClaim,
} from './claims.ts';

/**
 * Claim documents go through Groundwork's ingestion: each claim is a folder of the `claims-documents` source
 * (`claims.documentsDir`, default `<dataDir>/claims-documents/<claim-no>/`), each file with a sidecar that
 * carries the claim's ACL — the claims group plus the assigned adjuster — so every parser, OCR, quarantine and
 * permission-aware retrieval applies to them as to any document. The workflow records which files belong to
 * which claim (claim_documents) and reads their parsed pages through ingest's exported functions.
 */
export const claimsSourceName = 'claims-documents';

export function claimsDocumentsDir(config: ClaimsDeps['config']): string {
  return resolve(config.claims.documentsDir ?? join(config.dataDir, 'claims-documents'));
}

/** The principals a claim's documents carry. */
export function claimPrincipals(config: ClaimsDeps['config'], row: Pick<ClaimRow, 'assigned_adjuster'>): string[] {
  const principals = [canonicalPrincipal(config.claims.group)];
  if (row.assigned_adjuster) principals.push(adjusterPrincipal(row.assigned_adjuster));
  return principals;
}

/** The claims-documents source (created on first use). */
export async function ensureClaimsSource(deps: Pick<ClaimsDeps, 'db' | 'config'>): Promise<{ id: string; dir: string }> {
  const dir = claimsDocumentsDir(deps.config);
  await mkdir(dir, { recursive: true });
  const found = await findSource(deps.db, claimsSourceName);
  if (found) return { id: found.id, dir };
  try {
    const added = await addSource(deps.db, { name: claimsSourceName, type: 'filesystem', path: dir });
    return { id: added.id, dir };
  } catch (error) {
    // Another request created it meanwhile.
    const again = await findSource(deps.db, claimsSourceName);
    if (again) return { id: again.id, dir };
    throw error;
  }
}

const fileNamePattern = /^[A-Za-z0-9][A-Za-z0-9 ._()-]{0,199}$/;

export function safeFileName(name: string): string {
  const base = name.split(/[\\/]/).pop()?.trim() ?? '';
  if (!fileNamePattern.test(base) || base.endsWith(sidecarSuffix) || base === 'claim.json') {
    throw new GroundworkError('claims.invalid_upload', `"${name}" is not a usable document file name.`, {
      category: 'usage',
      fix: 'Name the file with letters, digits, spaces, dots, dashes, underscores or parentheses (e.g. repair-estimate.pdf).',
    });
  }
  return base;
}

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * Writes one file of a claim into its folder with the claim's ACL sidecar. Unchanged bytes and sidecar are
 * not rewritten (re-imports leave the sync nothing to do). Returns the source ref.
 */
export async function writeClaimFile(
  dir: string,
  claimNumber: string,
  fileName: string,
  bytes: Uint8Array,
  principals: readonly string[],
): Promise<{ ref: string; changed: boolean }> {
  const folder = join(dir, claimNumber);
  await mkdir(folder, { recursive: true });
  const path = join(folder, fileName);
  const sidecar = `${JSON.stringify({ principals, tags: ['claim'], claimNumber }, null, 2)}\n`;
  let changed = false;
  const current = await readFile(path).catch(() => undefined);
  if (!current || sha(current) !== sha(bytes)) {
    await writeFile(`${path}.tmp`, bytes);
    await rename(`${path}.tmp`, path);
    changed = true;
  }
  const currentSidecar = await readFile(`${path}${sidecarSuffix}`, 'utf8').catch(() => undefined);
  if (currentSidecar !== sidecar) {
    await writeFile(`${path}${sidecarSuffix}`, sidecar);
    changed = true;
  }
  return { ref: `${claimNumber}/${fileName}`, changed };
}

/** Rewrites the ACL sidecars of a claim's files (a re-assigned adjuster); returns how many changed. */
export async function rewriteClaimSidecars(
  dir: string,
  claimNumber: string,
  refs: readonly string[],
  principals: readonly string[],
): Promise<number> {
  const sidecar = `${JSON.stringify({ principals, tags: ['claim'], claimNumber }, null, 2)}\n`;
  let changed = 0;
  for (const ref of refs) {
    const path = join(dir, ...ref.split('/'));
    const current = await readFile(`${path}${sidecarSuffix}`, 'utf8').catch(() => undefined);
    if (current === sidecar) continue;
    await writeFile(`${path}${sidecarSuffix}`, sidecar);
    changed++;
  }
  return changed;
}

let syncChain: Promise<unknown> = Promise.resolve();

/** Syncs the claims-documents source: one at a time in this process, waiting for a run of another process. */
export async function syncClaimsSource(
  deps: Pick<ClaimsDeps, 'ingestion'>,
  trigger: string,
  onProgress?: (progress: SyncProgress) => void,
): Promise<SyncSummary> {
  const run = async (): Promise<SyncSummary> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await deps.ingestion.sync({ source: claimsSourceName, trigger, ...(onProgress ? { onProgress } : {}) });
      } catch (error) {
        if (!isGroundworkError(error) || error.code !== 'ingest.sync_running' || attempt >= 60) throw error;
        await new Promise((done) => setTimeout(done, 500));
      }
    }
  };
  const next = syncChain.then(run, run);
  syncChain = next.catch(() => {});
  return next;
}

/**
 * Syncs the claims source for an API request: in server mode as a `sync-source` job for the workers (decision
 * 0014: the API process parses nothing), waiting for it up to `waitMs`; on the embedded store (one process)
 * in this process. Files still being parsed stay `pending` and are picked up by the next refresh.
 */
export async function syncClaimsSourceForApi(
  deps: Pick<ClaimsDeps, 'db' | 'ingestion' | 'jobs'>,
  waitMs = 25_000,
): Promise<void> {
  if (deps.jobs && deps.db.mode === 'server') {
    await deps.jobs.prepare('sync-source');
    const jobId = await deps.jobs.send('sync-source', { source: claimsSourceName, trigger: 'api' });
    if (jobId) await deps.jobs.waitFor('sync-source', jobId, { timeoutMs: waitMs });
    return;
  }
  await syncClaimsSource(deps, 'api');
}

/** JPEG, PNG or TIFF: a photo of the claim when it has no text (EXIF and caption via `readPhotoMetadata`). */
export function isPhotoFile(fileName: string): boolean {
  return /\.(jpe?g|png|tiff?)$/i.test(fileName);
}

/** The id a photo's citations carry (photos have no ingested document: no text to index). */
export function photoDocumentId(claimNumber: string, fileName: string): string {
  return `photo:${claimNumber}/${fileName}`;
}

/** A photo's bytes from the claims source folder (undefined when the file is gone). */
export async function readClaimPhoto(dir: string, sourceRef: string): Promise<Uint8Array | undefined> {
  const path = resolve(dir, sourceRef);
  if (!path.startsWith(`${resolve(dir)}/`)) return undefined;
  return readFile(path)
    .then((bytes) => new Uint8Array(bytes))
    .catch(() => undefined);
}

/**
 * Brings claim_documents up to date with ingestion: each file's document id and status, quarantined files with
 * their code and message; sets `first_document_at` once a claim has an indexed document.
 */
export async function refreshClaimDocuments(db: Queryable, sourceId: string, claimIds?: readonly string[]): Promise<void> {
  const { rows } = await db.query<{ claim_id: string; source_ref: string }>(
    `SELECT claim_id, source_ref FROM claim_documents${claimIds ? ' WHERE claim_id = ANY($1::text[])' : ''}`,
    claimIds ? [[...claimIds]] : [],
  );
  if (rows.length === 0) return;
  const docs = await documentsByRefs(
    db,
    sourceId,
    rows.map((r) => r.source_ref),
  );
  const quarantine = new Map((await listQuarantine(db, { sourceId })).map((q) => [q.sourceRef, q]));
  for (const row of rows) {
    const doc = docs.get(row.source_ref);
    const q = quarantine.get(row.source_ref);
    // A text-less image is a photo, not an unreadable document: the workflow reads its EXIF and caption.
    const photo = q?.code === 'parse.empty' && isPhotoFile(row.source_ref);
    const status = photo ? 'photo' : q ? 'quarantined' : doc?.status === 'indexed' ? 'indexed' : 'pending';
    await db.query(
      `UPDATE claim_documents SET document_id = $3, status = $4, error_code = $5, error_message = $6, size_bytes = coalesce($7, size_bytes)
        WHERE claim_id = $1 AND source_ref = $2`,
      [
        row.claim_id,
        row.source_ref,
        status === 'indexed' ? (doc?.id ?? null) : null,
        status,
        photo ? null : (q?.code ?? null),
        q && !photo ? q.message.slice(0, 500) : null,
        doc?.sizeBytes ?? null,
      ],
    );
  }
  await db.query(
    `UPDATE claims c SET first_document_at = (SELECT min(added_at) FROM claim_documents d WHERE d.claim_id = c.id AND d.status = 'indexed')
      WHERE c.first_document_at IS NULL AND EXISTS (SELECT 1 FROM claim_documents d WHERE d.claim_id = c.id AND d.status = 'indexed')`,
  );
}

export async function recordClaimFile(
  db: Queryable,
  claimId: string,
  ref: string,
  fileName: string,
  sizeBytes: number,
  addedBy: string,
  at: Date,
): Promise<void> {
  await db.query(
    `INSERT INTO claim_documents (claim_id, source_ref, file_name, size_bytes, added_by, added_at) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (claim_id, source_ref) DO UPDATE SET size_bytes = $4`,
    [claimId, ref, fileName, sizeBytes, addedBy, at],
  );
}

export interface UploadedDocument {
  readonly claimId: string;
  readonly claimNumber: string;
  readonly fileName: string;
  readonly documentId: string | null;
  readonly status: 'pending' | 'indexed' | 'quarantined' | 'photo';
  readonly errorCode: string | null;
  readonly errorMessage: string | null;
}

/**
 * Adds a document to a claim (POST /v1/claims/:id/documents): authorizes `claims:write` (the assigned adjuster,
 * senior or SIU), checks the size (`claims.too_large`, 413) and the name, writes it with the claim's ACL, syncs
 * the claims source (parse, OCR, quarantine) and records it; audited `claims.document.add`. An unreadable file
 * is quarantined by ingestion and the claim then shows needs_information with the file listed as missing.
 */
export async function addClaimDocument(
  deps: ClaimsDeps,
  caller: Caller,
  claimRef: string,
  file: { readonly fileName: string; readonly bytes: Uint8Array },
  options: { requestId?: string } = {},
): Promise<UploadedDocument> {
  authorize(caller, 'claims:write');
  const { db, config } = deps;
  const row = await visibleClaim(db, caller, config.claims, claimRef);
  if (!claimsRole(caller, config.claims).all && !isAssigned(caller, row)) {
    throw new GroundworkError('claims.not_assigned', `Claim ${row.claim_number} is not assigned to you.`, {
      category: 'forbidden',
      fix: 'Leave it to the assigned adjuster, or ask a senior adjuster (claims.seniorPrincipals) to decide it.',
    });
  }
  if (file.bytes.byteLength > config.claims.maxUploadBytes) {
    throw new GroundworkError(
      'claims.too_large',
      `The document is ${file.bytes.byteLength} bytes; claims.maxUploadBytes allows ${config.claims.maxUploadBytes}.`,
      { category: 'limit', fix: 'Upload a smaller file (split a large scan), or raise claims.maxUploadBytes.' },
    );
  }
  if (file.bytes.byteLength === 0) {
    throw new GroundworkError('claims.invalid_upload', 'The uploaded file is empty.', {
      category: 'usage',
      fix: 'Send multipart/form-data with the document in a part named `file` (curl -F file=@estimate.pdf).',
    });
  }
  const fileName = safeFileName(file.fileName);
  const source = await ensureClaimsSource(deps);
  const { ref } = await writeClaimFile(source.dir, row.claim_number, fileName, file.bytes, claimPrincipals(config, row));
  const now = deps.clock.now();
  await db.transaction(async (tx) => {
    await recordClaimFile(tx, row.id, ref, fileName, file.bytes.byteLength, caller.id, now);
    await recordAudit(
      tx,
      {
        actor: caller.id,
        action: 'claims.document.add',
        target: `claim:${row.claim_number}`,
        after: { file: fileName, bytes: file.bytes.byteLength },
        ...(options.requestId ? { requestId: options.requestId } : {}),
        at: now,
      },
      deps.clock,
    );
  });
  await syncClaimsSourceForApi(deps);
  await refreshClaimDocuments(db, source.id, [row.id]);
  const state = (
    await db.query<{
      document_id: string | null;
      status: UploadedDocument['status'];
      error_code: string | null;
      error_message: string | null;
    }>('SELECT document_id, status, error_code, error_message FROM claim_documents WHERE claim_id = $1 AND source_ref = $2', [
      row.id,
      ref,
    ])
  ).rows[0];
  if (state?.status === 'quarantined') {
    await db.query(
      `UPDATE claims SET status = 'needs_information', missing = (SELECT jsonb_agg(DISTINCT m) FROM jsonb_array_elements(missing || $2::jsonb) m), updated_at = $3 WHERE id = $1`,
      [row.id, JSON.stringify([`document:${fileName} (${state.error_code ?? 'ingest.unreadable'})`]), now],
    );
  }
  return {
    claimId: row.id,
    claimNumber: row.claim_number,
    fileName,
    documentId: state?.document_id ?? null,
    status: state?.status ?? 'pending',
    errorCode: state?.error_code ?? null,
    errorMessage: state?.error_message ?? null,
  };
}

/** One document of a claim with its parsed pages (the summary page shows them beside the citations). */
export interface ClaimDocumentPages {
  readonly documentId: string;
  readonly fileName: string;
  readonly mediaType: string;
  readonly ocr: boolean;
  readonly pages: readonly { readonly page: number; readonly text: string }[];
}

/** The pages of one document of a claim, when the caller may see the claim and read the document now. */
export async function getClaimDocument(
  deps: Pick<ClaimsDeps, 'db' | 'config'>,
  caller: Caller,
  claimRef: string,
  documentId: string,
): Promise<ClaimDocumentPages> {
  authorize(caller, 'claims:read');
  const row = await visibleClaim(deps.db, caller, deps.config.claims, claimRef);
  const notFound = new GroundworkError(
    'claims.document_not_found',
    `Claim ${row.claim_number} has no document "${documentId}" that you may read.`,
    {
      category: 'not_found',
      fix: 'Use a documentId from the claim summary (`groundwork claims show ID --json`).',
    },
  );
  const owned = await deps.db.query<{ file_name: string }>(
    'SELECT file_name FROM claim_documents WHERE claim_id = $1 AND document_id = $2',
    [row.id, documentId],
  );
  // Policy documents the determination cites are shown too (the caller's ACL decides either way).
  if (owned.rows.length === 0) {
    const cited = await deps.db.query(`SELECT 1 FROM claim_assessments WHERE id = $1 AND strpos(assessment::text, $2) > 0`, [
      row.latest_assessment_id,
      `"documentId": "${documentId}"`,
    ]);
    const citedCompact = await deps.db.query(
      `SELECT 1 FROM claim_assessments WHERE id = $1 AND strpos(assessment::text, $2) > 0`,
      [row.latest_assessment_id, `"documentId":"${documentId}"`],
    );
    if (cited.rows.length === 0 && citedCompact.rows.length === 0) throw notFound;
  }
  const readable = await readableDocumentIds(deps.db, caller, [documentId]);
  if (!readable.has(documentId)) throw notFound;
  const pages = (await documentPages(deps.db, [documentId], [documentId])).get(documentId);
  if (!pages) throw notFound;
  return {
    documentId,
    fileName: owned.rows[0]?.file_name ?? pages.title,
    mediaType: pages.mediaType,
    ocr: pages.ocr,
    pages: pages.pages,
  };
}

/**
 * Creates (or updates) one claim: the write path of POST /v1/claims. A re-assigned adjuster changes who may
 * read the claim's documents: their ACL sidecars are rewritten and the claims source synced at once.
 */
export async function saveClaim(
  deps: ClaimsDeps,
  caller: Caller,
  input: ClaimInput,
  options: { requestId?: string } = {},
): Promise<{ claim: ClaimItem; created: boolean }> {
  const result = await deps.db.transaction((tx) =>
    upsertClaim(tx, caller, input, { config: deps.config.claims, clock: deps.clock, ...options }),
  );
  if (result.reassigned && !result.created) await reapplyClaimAcl(deps, result.claim);
  return { claim: result.claim, created: result.created };
}

/** Rewrites a claim's document ACL (claims group + assigned adjuster) and syncs: after a re-assignment. */
export async function reapplyClaimAcl(
  deps: ClaimsDeps,
  claim: Pick<ClaimItem, 'id' | 'claimNumber' | 'assignedAdjuster'>,
): Promise<void> {
  const { rows } = await deps.db.query<{ source_ref: string }>('SELECT source_ref FROM claim_documents WHERE claim_id = $1', [
    claim.id,
  ]);
  if (rows.length === 0) return;
  const source = await ensureClaimsSource(deps);
  const changed = await rewriteClaimSidecars(
    source.dir,
    claim.claimNumber,
    rows.map((r) => r.source_ref),
    claimPrincipals(deps.config, { assigned_adjuster: claim.assignedAdjuster }),
  );
  if (changed === 0) return;
  await syncClaimsSourceForApi(deps);
  await refreshClaimDocuments(deps.db, source.id, [claim.id]);
}
