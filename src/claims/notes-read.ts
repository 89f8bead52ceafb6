import type { Queryable } from '../store/index.ts';
import type { ClaimTier } from './model.ts';

/** Reading a claim's notes and manual tier changes (the claim summary shows them; written in notes.ts). */

export interface ClaimNoteView {
  readonly id: string;
  readonly note: string;
  readonly author: string;
  readonly createdAt: Date;
}

export interface ClaimTierChangeView {
  readonly id: string;
  readonly before: ClaimTier | null;
  readonly after: ClaimTier;
  readonly reason: string;
  readonly actor: string;
  readonly approvedBy: string | null;
  readonly createdAt: Date;
}

export async function claimNotes(db: Queryable, claimId: string): Promise<ClaimNoteView[]> {
  const { rows } = await db.query<{ id: string; note: string; author: string; created_at: Date }>(
    'SELECT id, note, author, created_at FROM claim_notes WHERE claim_id = $1 ORDER BY created_at, id',
    [claimId],
  );
  return rows.map((r) => ({ id: r.id, note: r.note, author: r.author, createdAt: r.created_at }));
}

export async function claimTierChanges(db: Queryable, claimId: string): Promise<ClaimTierChangeView[]> {
  const { rows } = await db.query<{
    id: string;
    tier_before: ClaimTier | null;
    tier_after: ClaimTier;
    reason: string;
    actor: string;
    approved_by: string | null;
    created_at: Date;
  }>(
    'SELECT id, tier_before, tier_after, reason, actor, approved_by, created_at FROM claim_tier_changes WHERE claim_id = $1 ORDER BY created_at, id',
    [claimId],
  );
  return rows.map((r) => ({
    id: r.id,
    before: r.tier_before,
    after: r.tier_after,
    reason: r.reason,
    actor: r.actor,
    approvedBy: r.approved_by,
    createdAt: r.created_at,
  }));
}
