import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { openTestDatabase, testStoreKind } from '../../test/helpers/test-platform.ts';
import { callerWithPrincipals, fixedClock, type GroundworkError, roles } from '../core/index.ts';
import {
  authenticateApiKey,
  authorize,
  canonicalJson,
  createApiKey,
  createOidcVerifier,
  hasActiveApiKeys,
  hasScope,
  listApiKeys,
  listAudit,
  listFeedback,
  recordAudit,
  recordFeedback,
  revokeApiKey,
  roleScopes,
  verifyAuditChain,
} from './index.ts';

const actor = { actor: 'local:operator' };

describe(`govern (${testStoreKind})`, () => {
  test('roles → scopes: each role includes the one below; authorize throws auth.forbidden', () => {
    for (let i = 1; i < roles.length; i++) {
      const lower = roleScopes[roles[i - 1] as (typeof roles)[number]];
      const higher = roleScopes[roles[i] as (typeof roles)[number]];
      for (const scope of lower) assert.ok(higher.has(scope), `${roles[i]} lacks ${scope}`);
    }
    const viewer = callerWithPrincipals(['user:v@x.test'], 'viewer');
    assert.equal(hasScope(viewer, 'search'), true);
    assert.equal(hasScope(viewer, 'ask'), false);
    assert.throws(
      () => authorize(viewer, 'keys:admin'),
      (e: GroundworkError) => e.code === 'auth.forbidden' && e.category === 'forbidden',
    );
  });

  test('canonical JSON sorts keys and survives a jsonb round trip', () => {
    assert.equal(canonicalJson({ b: 1, a: [true, null, 'x'], c: undefined }), '{"a":[true,null,"x"],"b":1}');
  });

  test('API keys: shown once, stored hashed, authenticate, expire and revoke (audited)', async () => {
    const db = await openTestDatabase();
    try {
      const clock = fixedClock(new Date('2026-01-01T00:00:00Z'));
      assert.equal(await hasActiveApiKeys(db, clock), false);
      const { key, token } = await createApiKey(
        db,
        { name: 'alice laptop', role: 'user', principals: ['user:alice@x.test', 'group:claims'], expiresInDays: 30 },
        { ...actor, clock },
      );
      assert.match(token, /^gw_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
      assert.ok(token.startsWith(key.prefix));
      const stored = await db.query<{ secret_hash: string }>('SELECT secret_hash FROM api_keys');
      assert.notEqual(stored.rows[0]?.secret_hash, token);
      assert.ok(!JSON.stringify(await listApiKeys(db, { clock })).includes(token.slice(16)));
      assert.equal(await hasActiveApiKeys(db, clock), true);

      const caller = await authenticateApiKey(db, token, clock);
      assert.deepEqual(caller, {
        id: 'user:alice@x.test',
        role: 'user',
        principals: ['user:alice@x.test', 'group:claims'],
        seesEverything: false,
        // The key behind the person: governance follows it to whoever created the key.
        credential: `key:${key.id}`,
      });
      const invalid = (e: GroundworkError) => e.code === 'auth.invalid_key' && e.category === 'unauthenticated';
      // Change the last character (to something it is not: a random token can end in 'A').
      await assert.rejects(authenticateApiKey(db, `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`, clock), invalid);
      await assert.rejects(authenticateApiKey(db, 'gw_nope', clock), invalid);
      await assert.rejects(authenticateApiKey(db, token, fixedClock(new Date('2026-02-01T00:00:00Z'))), invalid);

      const revoked = await revokeApiKey(db, key.id, { ...actor, clock });
      assert.equal(revoked.status, 'revoked');
      await assert.rejects(authenticateApiKey(db, token, clock), invalid);
      await revokeApiKey(db, key.id, { ...actor, clock }); // idempotent, not audited twice
      await assert.rejects(revokeApiKey(db, 'key_missing', actor), (e: GroundworkError) => e.code === 'key.not_found');

      const audit = await listAudit(db);
      assert.deepEqual(
        audit.map((e) => e.action),
        ['key.revoke', 'key.create'],
      );
      assert.ok(!JSON.stringify(audit).includes(token.slice(16)), 'the token never reaches the audit log');
      await assert.rejects(
        createApiKey(db, { name: 'x', role: 'user', principals: ['alice'] }, actor),
        (e: GroundworkError) => e.code === 'key.invalid',
      );
    } finally {
      await db.close();
    }
  });

  test('audit: appends in the caller transaction, rolls back with it, and the database refuses edits', async () => {
    const db = await openTestDatabase();
    try {
      await assert.rejects(
        db.transaction(async (tx) => {
          await recordAudit(tx, { actor: 'user:a@x.test', action: 'source.create', target: 'source:s1', after: { a: 1 } });
          throw new Error('change failed');
        }),
      );
      assert.equal((await listAudit(db)).length, 0);
      const concurrent = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          db.transaction((tx) =>
            recordAudit(tx, { actor: 'a', action: 'config.change', target: `t${i}`, before: { i }, after: { i: i + 1 } }),
          ),
        ),
      );
      assert.deepEqual(
        concurrent.map((e) => e.seq).sort((a, b) => a - b),
        [1, 2, 3, 4, 5, 6, 7, 8],
      );
      assert.deepEqual(await verifyAuditChain(db, 3).then((v) => [v.ok, v.entries]), [true, 8]);
      await assert.rejects(db.query(`UPDATE audit_log SET actor = 'mallory' WHERE seq = 2`), /append-only/);
      await assert.rejects(db.query('DELETE FROM audit_log WHERE seq = 2'), /append-only/);
    } finally {
      await db.close();
    }
  });

  test('audit verify names the first edited entry, then a deleted one, then a deleted tail', async () => {
    const db = await openTestDatabase();
    try {
      for (let i = 0; i < 6; i++) {
        await db.transaction((tx) =>
          recordAudit(tx, { actor: 'a', action: 'prompt.label_move', target: `p${i}`, after: { label: 'prod', v: i } }),
        );
      }
      // An attacker with owner rights disables the guard; the chain still tells.
      await db.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only');
      await db.query(`UPDATE audit_log SET after = '{"label":"prod","v":99}' WHERE seq = 3`);
      let result = await verifyAuditChain(db);
      assert.equal(result.ok, false);
      assert.equal(result.firstBad?.seq, 3);
      assert.equal(result.firstBad?.problem, 'hash_mismatch');

      await db.query(`UPDATE audit_log SET after = '{"label":"prod","v":2}' WHERE seq = 3`);
      assert.equal((await verifyAuditChain(db)).ok, true);
      await db.query('DELETE FROM audit_log WHERE seq = 4');
      result = await verifyAuditChain(db);
      assert.equal(result.firstBad?.seq, 4);
      assert.equal(result.firstBad?.problem, 'missing_entry');

      const db2 = await openTestDatabase();
      try {
        for (let i = 0; i < 3; i++) await db2.transaction((tx) => recordAudit(tx, { actor: 'a', action: 'x', target: `t${i}` }));
        await db2.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only');
        await db2.query('DELETE FROM audit_log WHERE seq = 3');
        const tail = await verifyAuditChain(db2);
        assert.equal(tail.ok, false);
        assert.equal(tail.firstBad?.seq, 3);
      } finally {
        await db2.close();
      }
    } finally {
      await db.close();
    }
  });

  test('feedback: only on your own traces; reviewers list all, users their own', async () => {
    const db = await openTestDatabase();
    try {
      const owners = new Map([
        ['trc_a', 'user:alice@x.test'],
        ['trc_b', 'user:bob@x.test'],
      ]);
      const traceOwner = async (id: string) => owners.get(id);
      const alice = callerWithPrincipals(['user:alice@x.test']);
      const bob = callerWithPrincipals(['user:bob@x.test']);
      const saved = await recordFeedback(
        db,
        alice,
        { traceId: 'trc_a', rating: -1, category: 'wrong', comment: 'no' },
        { traceOwner },
      );
      assert.equal(saved.rating, -1);
      await recordFeedback(db, alice, { traceId: 'trc_a', rating: 1 }, { traceOwner }); // replaces
      const notFound = (e: GroundworkError) => e.code === 'feedback.trace_not_found' && e.category === 'not_found';
      await assert.rejects(recordFeedback(db, alice, { traceId: 'trc_b', rating: 1 }, { traceOwner }), notFound);
      await assert.rejects(recordFeedback(db, alice, { traceId: 'trc_zz', rating: 1 }, { traceOwner }), notFound);
      await recordFeedback(db, bob, { traceId: 'trc_b', rating: 1 }, { traceOwner });
      assert.equal((await listFeedback(db, alice, { scope: 'own' })).length, 1);
      assert.equal((await listFeedback(db, alice, { scope: 'all' })).length, 2);
    } finally {
      await db.close();
    }
  });
});

describe('OIDC verification against a loopback JWKS', () => {
  test('verifies signature, issuer, audience and expiry; maps claims to principals and roles', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const other = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    let issuer = '';
    const server: Server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/.well-known/openid-configuration') res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
      else if (req.url === '/jwks') res.end(JSON.stringify({ keys: [jwk] }));
      else res.writeHead(404).end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const verifier = createOidcVerifier({
        issuer,
        audience: 'groundwork',
        principalsClaim: 'groups',
        principalPrefix: 'group:',
        userClaim: 'email',
        rolesClaim: 'roles',
        roleMapping: { 'gw-builders': 'builder', 'gw-readers': 'viewer' },
        defaultRole: 'user',
      });
      const sign = (
        claims: Record<string, unknown>,
        options: { key?: CryptoKey; exp?: string; aud?: string; iss?: string } = {},
      ) =>
        new SignJWT(claims)
          .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
          .setIssuer(options.iss ?? issuer)
          .setAudience(options.aud ?? 'groundwork')
          .setSubject('00u1')
          .setIssuedAt()
          .setExpirationTime(options.exp ?? '5m')
          .sign(options.key ?? privateKey);

      const caller = await verifier.verify(
        await sign({ email: 'Alice@X.test', groups: ['Claims', 'gw-builders'], roles: ['gw-readers'] }),
      );
      assert.deepEqual(caller, {
        id: 'user:alice@x.test',
        role: 'builder',
        principals: ['user:alice@x.test', 'group:claims', 'group:gw-builders'],
        seesEverything: false,
      });
      assert.equal((await verifier.verify(await sign({}))).id, 'user:00u1');
      assert.equal((await verifier.verify(await sign({}))).role, 'user');

      const rejected = (reason: RegExp) => (e: GroundworkError) => e.code === 'auth.invalid_token' && reason.test(e.message);
      await assert.rejects(verifier.verify(await sign({}, { exp: '-5m' })), rejected(/expired/));
      await assert.rejects(verifier.verify(await sign({}, { aud: 'someone-else' })), rejected(/aud/));
      await assert.rejects(verifier.verify(await sign({}, { iss: 'https://evil.test' })), rejected(/iss/));
      await assert.rejects(verifier.verify(await sign({}, { key: other.privateKey })), rejected(/signature/));
      await assert.rejects(verifier.verify('not.a.jwt'), rejected(/./));
    } finally {
      server.close();
    }
  });
});
