import { type Caller, GroundworkError, newId } from '../core/index.ts';
import { authorize, recordAudit } from '../govern/index.ts';
import type { Queryable } from '../store/index.ts';
import { type ClaimsDeps, claimsRole, isAssigned, visibleClaim } from './claims.ts';
import { type ClaimTier, claimTiers } from './model.ts';

export type { ClaimNoteView, ClaimTierChangeView } from './notes-read.ts';

/**
 * Claim notes and tier changes — the write paths behind the claims built-in actions (`create_claim_note`,
 * `set_claim_tier`, src/claims/actions.ts) and usable directly. Each checks the CALLER's access to the claim
 * (visible, and assigned to them or senior/SIU), stores once per idempotency key (a re-run of the same action
 * proposal stores nothing new), is audited and shows on the claim summary.
 */

export const maxNoteLength = 4000;

const invalidNote = (message: string) =>
  new GroundworkError('claims.invalid_note', message, {
    category: 'usage',
    fix: `Give a note of 1–${maxNoteLength} characters (and for a tier change one of ${claimTiers.join(', ')} with a reason).`,
  });

async function claimForWrite(deps: Pick<ClaimsDeps, 'db' | 'config'>, db: Queryable, caller: Caller, claimRef: string) {
  const row = await visibleClaim(db, caller, deps.config.claims, claimRef, true);
  if (!claimsRole(caller, deps.config.claims).all && !isAssigned(caller, row)) {
    throw new GroundworkError('claims.not_assigned', `Claim ${row.claim_number} is not assigned to you.`, {
      category: 'forbidden',
      fix: 'Leave it to the assigned adjuster, or ask a senior adjuster (claims.seniorPrincipals).',
    });
  }
  return row;
}

/** Checks that the caller may write notes / tier changes on the claim (the actions' check at proposal). */
export async function assertClaimWritable(
  deps: Pick<ClaimsDeps, 'db' | 'config'>,
  caller: Caller,
  claimRef: string,
): Promise<void> {
  authorize(caller, 'claims:write');
  await claimForWrite(deps, deps.db, caller, claimRef);
}

/** Adds a note to a claim (action `create_claim_note`); idempotent by `idempotencyKey`. */
export async function addClaimNote(
  deps: Pick<ClaimsDeps, 'db' | 'config' | 'clock'>,
  caller: Caller,
  claimRef: string,
  input: { readonly note: string },
  options: { idempotencyKey?: string; requestId?: string } = {},
): Promise<{ noteId: string; claimNumber: string; created: boolean }> {
  authorize(caller, 'claims:write');
  const note = typeof input.note === 'string' ? input.note.trim() : '';
  if (note === '' || note.length > maxNoteLength) throw invalidNote(`A claim note needs 1–${maxNoteLength} characters.`);
  return deps.db.transaction(async (tx) => {
    const row = await claimForWrite(deps, tx, caller, claimRef);
    if (options.idempotencyKey) {
      const existing = (
        await tx.query<{ id: string }>('SELECT id FROM claim_notes WHERE idempotency_key = $1', [options.idempotencyKey])
      ).rows[0];
      if (existing) return { noteId: existing.id, claimNumber: row.claim_number, created: false };
    }
    const id = newId('cln');
    const now = deps.clock.now();
    await tx.query(
      'INSERT INTO claim_notes (id, claim_id, note, author, idempotency_key, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [id, row.id, note, caller.id, options.idempotencyKey ?? null, now],
    );
    await recordAudit(
      tx,
      {
        actor: caller.id,
        action: 'claims.note',
        target: `claim:${row.claim_number}`,
        after: { note: id, chars: note.length },
        ...(options.requestId ? { requestId: options.requestId } : {}),
        at: now,
      },
      deps.clock,
    );
    return { noteId: id, claimNumber: row.claim_number, created: true };
  });
}

/**
 * Sets a claim's tier by hand (action `set_claim_tier`, class propose: a second person approves): the tier, a
 * reason, who and who approved; idempotent by `idempotencyKey`. The next `claims process` routes it afresh.
 */
export async function setClaimTier(
  deps: Pick<ClaimsDeps, 'db' | 'config' | 'clock'>,
  caller: Caller,
  claimRef: string,
  input: { readonly tier: string; readonly reason: string },
  options: { idempotencyKey?: string; approvedBy?: string | null; requestId?: string } = {},
): Promise<{ changeId: string; claimNumber: string; before: ClaimTier | null; tier: ClaimTier; created: boolean }> {
  authorize(caller, 'claims:write');
  if (!(claimTiers as readonly string[]).includes(input.tier))
    throw invalidNote(`"${input.tier}" is not a tier (${claimTiers.join(', ')}).`);
  const tier = input.tier as ClaimTier;
  const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
  if (reason === '' || reason.length > maxNoteLength) throw invalidNote('A tier change needs a reason.');
  return deps.db.transaction(async (tx) => {
    const row = await claimForWrite(deps, tx, caller, claimRef);
    if (options.idempotencyKey) {
      const existing = (
        await tx.query<{ id: string; tier_before: ClaimTier | null }>(
          'SELECT id, tier_before FROM claim_tier_changes WHERE idempotency_key = $1',
          [options.idempotencyKey],
        )
      ).rows[0];
      if (existing)
        return { changeId: existing.id, claimNumber: row.claim_number, before: existing.tier_before, tier, created: false };
    }
    const id = newId('clt');
    const now = deps.clock.now();
    const before = (row.tier ?? null) as ClaimTier | null;
    await tx.query(
      `INSERT INTO claim_tier_changes (id, claim_id, tier_before, tier_after, reason, actor, approved_by, idempotency_key, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [id, row.id, before, tier, reason, caller.id, options.approvedBy ?? null, options.idempotencyKey ?? null, now],
    );
    await tx.query('UPDATE claims SET tier = $2, updated_at = $3 WHERE id = $1', [row.id, tier, now]);
    await recordAudit(
      tx,
      {
        actor: caller.id,
        action: 'claims.tier.set',
        target: `claim:${row.claim_number}`,
        before: { tier: before },
        after: { tier, change: id, approvedBy: options.approvedBy ?? null },
        ...(options.requestId ? { requestId: options.requestId } : {}),
        at: now,
      },
      deps.clock,
    );
    return { changeId: id, claimNumber: row.claim_number, before, tier, created: true };
  });
}
