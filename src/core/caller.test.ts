import assert from 'node:assert/strict';
import { test } from 'node:test';
import { callerWithPrincipals, canonicalPrincipal } from './caller.ts';

test('callers carry canonical principals, so ACL matching in SQL is exact', () => {
  assert.equal(canonicalPrincipal('  Group:Claims  Adjusters '), 'group:claims adjusters');
  assert.equal(canonicalPrincipal('USER:Alice@Example.COM'), 'user:alice@example.com');
  const caller = callerWithPrincipals(['group:Underwriting', 'group:underwriting', ' user:Bob@Example.com']);
  assert.deepEqual(caller.principals, ['group:underwriting', 'user:bob@example.com']);
  assert.equal(caller.id, 'user:bob@example.com');
  assert.equal(caller.seesEverything, false);
});
