import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { getClaim, saveClaim } from '../claims/index.ts';
import { callerWithPrincipals, type GroundworkError, localOperator } from '../core/index.ts';
import type { Platform } from '../create-platform.ts';

const code = (expected: string) => (error: unknown) => {
  assert.equal((error as GroundworkError).code, expected, String(error));
  return true;
};

/** Who may create, change and re-assign claim records (an attacker's low-privilege key must not take a claim). */
describe(`claims: who may create, change and re-assign a claim (${testStoreKind})`, () => {
  let platform: Platform;
  const ana = callerWithPrincipals(['user:ana@x.test', 'group:claims']);
  const ben = callerWithPrincipals(['user:ben@x.test', 'group:claims']);
  const underwriter = callerWithPrincipals(['user:uma@x.test', 'group:underwriting']);
  const senior = callerWithPrincipals(['user:sue@x.test', 'group:claims', 'group:claims-senior']);
  before(async () => {
    platform = await createTestPlatform();
    await saveClaim(platform, localOperator, { claimNumber: 'CL-1', policyNumber: 'P-1', assignedAdjuster: 'ana@x.test' });
  });
  after(() => platform.close());

  test('another adjuster cannot take a claim by re-saving it with themselves as adjuster', async () => {
    await assert.rejects(
      saveClaim(platform, ben, { claimNumber: 'CL-1', assignedAdjuster: 'ben@x.test' }),
      code('claims.not_found'),
    );
    // The assigned adjuster may update fields but not re-assign; a senior may re-assign.
    await saveClaim(platform, ana, { claimNumber: 'CL-1', region: 'north' });
    await assert.rejects(
      saveClaim(platform, ana, { claimNumber: 'CL-1', assignedAdjuster: 'ben@x.test' }),
      code('claims.not_assigned'),
    );
    const { claim } = await saveClaim(platform, senior, { claimNumber: 'CL-1', assignedAdjuster: 'ben@x.test' });
    assert.equal(claim.assignedAdjuster, 'ben@x.test');
    assert.equal((await getClaim(platform, localOperator, 'CL-1')).region, 'north');
  });

  test('creating a claim takes the claims group; an adjuster assigns new claims only to themselves', async () => {
    await assert.rejects(
      saveClaim(platform, underwriter, { claimNumber: 'CL-2', assignedAdjuster: 'uma@x.test' }),
      code('claims.not_claims_staff'),
    );
    await assert.rejects(
      saveClaim(platform, ana, { claimNumber: 'CL-3', assignedAdjuster: 'ben@x.test' }),
      code('claims.not_assigned'),
    );
    const { created } = await saveClaim(platform, ana, { claimNumber: 'CL-4', assignedAdjuster: 'ana@x.test' });
    assert.equal(created, true);
  });
});
