import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type GeneratedFixture, generatedClaimsFixture } from '../../test/helpers/claims-fixtures.ts';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { approveProposal, executeProposal, getProposal, proposeAction } from '../actions/index.ts';
import { getClaim, importClaims, processClaim, saveClaim } from '../claims/index.ts';
import { callerWithPrincipals, type GroundworkError, localOperator } from '../core/index.ts';
import type { Platform } from '../create-platform.ts';
import { listAudit } from '../govern/index.ts';
import { actionDeps } from '../worker.ts';

const alice = callerWithPrincipals(['user:alice@example.com', 'group:claims']);
const bob = callerWithPrincipals(['user:bob@example.com', 'group:claims']);
/** A reviewer (may approve proposals) in the claims group. */
const rhea = callerWithPrincipals(['user:rhea@example.com', 'group:claims'], 'reviewer');
const eve = callerWithPrincipals(['user:eve@example.com', 'group:underwriting']);
const code = (expected: string) => (error: unknown) => (error as GroundworkError).code === expected;

/** The claims built-in actions (issue 19) through the real actions feature: propose → approve → execute once. */
describe(`claims actions: create_claim_note and set_claim_tier (${testStoreKind})`, () => {
  let platform: Platform;
  let dir: string;
  let fx: GeneratedFixture;
  const deps = () => actionDeps(platform);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gw-claims-actions-'));
    platform = await createTestPlatform({ dataDir: join(dir, 'data'), claims: { documentsDir: join(dir, 'claim-docs') } });
    fx = await generatedClaimsFixture(join(dir, 'import'));
    await importClaims(platform, localOperator, fx.dir);
    await processClaim(platform, alice, fx.fastTrack.claimNumber);
  });
  after(async () => {
    await platform.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('both are listed as built-ins of class propose', () => {
    for (const name of ['create_claim_note', 'set_claim_tier']) {
      const action = platform.actions.get(name);
      assert.equal(action?.source, 'builtin', name);
      assert.equal(action?.class, 'propose', name);
    }
  });

  test('set_claim_tier: proposed, approved by another person, executed exactly once through the claims write path', async () => {
    const claimId = fx.fastTrack.claimNumber;
    assert.equal((await getClaim(platform, alice, claimId)).tier, 'fast_track');
    const input = { claimId, tier: 'senior_review', reason: 'The repair shop is under investigation elsewhere.' };
    await assert.rejects(
      proposeAction(deps(), alice, { action: 'set_claim_tier', input: { ...input, tier: 'urgent' } }),
      code('actions.invalid_input'),
    );
    const proposal = await proposeAction(deps(), alice, { action: 'set_claim_tier', input });
    assert.equal(proposal.status, 'proposed');
    // Proposed is not done.
    assert.equal((await getClaim(platform, alice, claimId)).tier, 'fast_track');
    await assert.rejects(approveProposal(deps(), alice, proposal.id, { inputHash: proposal.inputHash }), code('auth.forbidden'));
    await approveProposal(deps(), rhea, proposal.id, { inputHash: proposal.inputHash });
    const first = await executeProposal(deps(), proposal.id);
    assert.equal(first.status, 'executed', JSON.stringify(first));
    assert.equal((await executeProposal(deps(), proposal.id)).ran, false, 'exactly once');
    const claim = await getClaim(platform, alice, claimId);
    assert.equal(claim.tier, 'senior_review');
    assert.equal(claim.tierChanges.length, 1);
    assert.deepEqual(
      { ...claim.tierChanges[0], id: undefined, createdAt: undefined },
      {
        id: undefined,
        createdAt: undefined,
        before: 'fast_track',
        after: 'senior_review',
        reason: input.reason,
        actor: alice.id,
        approvedBy: rhea.id,
      },
    );
    assert.equal((await listAudit(platform.db, { action: 'claims.tier.set' })).length, 1);
  });

  test('create_claim_note: stored once with its author and the idempotency key, shown on the summary', async () => {
    const claimId = fx.fastTrack.claimNumber;
    const proposal = await proposeAction(deps(), alice, {
      action: 'create_claim_note',
      input: { claimId, note: 'Called the insured: photos of the other car to follow.' },
    });
    await approveProposal(deps(), rhea, proposal.id, { inputHash: proposal.inputHash });
    assert.equal((await executeProposal(deps(), proposal.id)).status, 'executed');
    assert.equal((await executeProposal(deps(), proposal.id)).ran, false);
    const notes = (await getClaim(platform, alice, claimId)).notes;
    assert.equal(notes.length, 1);
    assert.equal(notes[0]?.author, alice.id);
    assert.match(notes[0]?.note ?? '', /photos of the other car/);
    const stored = await getProposal(deps(), alice, proposal.id);
    assert.equal((stored.result as { noteId: string }).noteId, notes[0]?.id);
  });

  test('an actor without access to the claim cannot propose; access is checked again at execution', async () => {
    const claimId = fx.siu.claimNumber; // bob's claim
    const input = { claimId, tier: 'standard', reason: 'not fraud' };
    // Outside the claims groups: the default policy refuses; inside them, the claim must be theirs to see.
    await assert.rejects(proposeAction(deps(), eve, { action: 'set_claim_tier', input }), code('actions.not_allowed'));
    await assert.rejects(proposeAction(deps(), alice, { action: 'set_claim_tier', input }), code('claims.not_found'));
    await assert.rejects(
      proposeAction(deps(), alice, { action: 'create_claim_note', input: { claimId, note: 'x' } }),
      code('claims.not_found'),
    );
    // Bob proposes on his claim; the claim moves to alice before approval: executing as bob is refused.
    await processClaim(platform, bob, claimId);
    const proposal = await proposeAction(deps(), bob, { action: 'set_claim_tier', input });
    await saveClaim(platform, localOperator, { claimNumber: claimId, assignedAdjuster: 'alice@example.com' });
    await approveProposal(deps(), rhea, proposal.id, { inputHash: proposal.inputHash });
    const outcome = await executeProposal(deps(), proposal.id);
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.error, 'claims.not_found');
    const claim = await getClaim(platform, alice, claimId);
    assert.equal(claim.tier, fx.siu.tier, 'the tier is unchanged');
    assert.deepEqual(claim.tierChanges, []);
  });
});
