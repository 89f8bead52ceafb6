import { z } from 'zod';
import { registerBuiltinAction } from '../actions/index.ts';
import { type Caller, type Clock, GroundworkError } from '../core/index.ts';
import type { Database } from '../store/index.ts';
import type { ClaimsDeps } from './claims.ts';
import { claimTiers } from './model.ts';
import { addClaimNote, assertClaimWritable, maxNoteLength, setClaimTier } from './notes.ts';

/**
 * The claims built-in actions (issue 19), registered with the actions feature: `create_claim_note` and
 * `set_claim_tier` (class `propose`: a second person approves). Proposing checks the proposer may write the
 * claim (an actor without access to the claim cannot propose); executing goes through the claims feature's own
 * write functions (`addClaimNote`, `setClaimTier`) as the approved actor, whose access is checked again at
 * execution, with the proposal's idempotency key (a re-run stores nothing twice).
 *
 * The executors need the claims configuration (group, senior and SIU principals): `bindClaimsActions` (called at
 * composition, create-platform) binds it to the platform's database.
 */
const bound = new WeakMap<object, Pick<ClaimsDeps, 'db' | 'config' | 'clock'>>();

export function bindClaimsActions(deps: Pick<ClaimsDeps, 'db' | 'config' | 'clock'>): void {
  bound.set(deps.db, deps);
}

function depsFor(context: { readonly db: Database; readonly clock: Clock }): Pick<ClaimsDeps, 'db' | 'config' | 'clock'> {
  const deps = bound.get(context.db);
  if (!deps) {
    throw new GroundworkError('claims.not_found', 'The claims workflow is not set up on this platform.', {
      category: 'not_found',
      fix: 'Run the action on a Groundwork platform with the claims workflow (create-platform binds it).',
    });
  }
  return { ...deps, db: context.db, clock: context.clock };
}

/**
 * Default invocation policy: the claims group and the senior / SIU groups (the default `claims.group`,
 * `claims.seniorPrincipals`, `claims.siuPrincipals`); `groundwork actions policy` replaces it. Agents of other
 * use cases are not offered claims tools.
 */
const allow = { principals: ['group:claims', 'group:claims-senior', 'group:siu'] };

const precheck = async (context: { db: Database; actor: Caller; clock: Clock }, input: unknown) =>
  assertClaimWritable(depsFor(context), context.actor, (input as { claimId: string }).claimId);

registerBuiltinAction({
  name: 'create_claim_note',
  description: 'Add a note to a claim (shown on the claim summary with its author). Changes nothing else.',
  input: z.strictObject({
    claimId: z.string().min(1).max(128).describe('the claim id or claim number'),
    note: z.string().min(1).max(maxNoteLength).describe('the note'),
  }),
  class: 'propose',
  hints: { readOnly: false, destructive: false, idempotent: true },
  targetField: 'claimId',
  executorKind: 'built-in: stores a note on the claim (claims feature)',
  allow,
  precheck,
  async execute(context, input) {
    const { claimId, note } = input as { claimId: string; note: string };
    return addClaimNote(depsFor(context), context.actor, claimId, { note }, { idempotencyKey: context.idempotencyKey });
  },
});

registerBuiltinAction({
  name: 'set_claim_tier',
  description: "Set a claim's routing tier by hand, with a reason (a second person approves).",
  input: z.strictObject({
    claimId: z.string().min(1).max(128).describe('the claim id or claim number'),
    tier: z.enum(claimTiers).describe('the new tier'),
    reason: z.string().min(1).max(maxNoteLength).describe('why the tier changes'),
  }),
  class: 'propose',
  hints: { readOnly: false, destructive: false, idempotent: true },
  targetField: 'claimId',
  executorKind: "built-in: sets the claim's tier (claims feature)",
  allow,
  precheck,
  async execute(context, input) {
    const { claimId, tier, reason } = input as { claimId: string; tier: string; reason: string };
    return setClaimTier(
      depsFor(context),
      context.actor,
      claimId,
      { tier, reason },
      { idempotencyKey: context.idempotencyKey, approvedBy: context.approvedBy },
    );
  },
});
