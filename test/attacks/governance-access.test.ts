/**
 * Attack tests on who may see and decide governance records (issue 15): low-privilege keys on every new route,
 * 404 vs 403 (no existence oracle for ids), and change requests of use cases the reader may not use.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Role } from '../../src/core/index.ts';
import type { Platform } from '../../src/create-platform.ts';
import { type ChangeRequest, createApiKey, verifyAuditChain } from '../../src/govern/index.ts';
import { createPrompt } from '../../src/prompts/index.ts';
import { createApp } from '../../src/server/index.ts';
import { createTestPlatform, testStoreKind } from '../helpers/test-platform.ts';

type Reply = { status: number; body: Record<string, unknown>; text: string };

async function keyFor(platform: Platform, principal: string, role: Role): Promise<string> {
  return (await createApiKey(platform.db, { name: principal, role, principals: [principal] }, { actor: 'local:operator' })).token;
}

async function setup() {
  const platform = await createTestPlatform();
  const { app } = createApp(platform, { webRoot: false, authCacheMs: 0 });
  const call = async (token: string, method: string, path: string, body?: unknown): Promise<Reply> => {
    const response = await app.request(`http://127.0.0.1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      parsed = { raw: text };
    }
    return { status: response.status, body: parsed, text };
  };
  const template = 'Answer from the context.\n{{context}}\nQuestion: {{question}}';
  await createPrompt(platform.db, { name: 'qa', template, message: 'v1', labels: ['production'], author: 'local:operator' });
  await createPrompt(platform.db, { name: 'qa', template: `${template}\nv2`, message: 'v2', author: 'local:operator' });
  return { platform, call };
}

describe(`attacks on governance access (${testStoreKind})`, () => {
  test('viewers and users are refused on every governance route alike for existing and unknown ids (no existence oracle)', async () => {
    const { platform, call } = await setup();
    try {
      const root = await keyFor(platform, 'user:root@x.test', 'admin');
      const alice = await keyFor(platform, 'user:alice@x.test', 'builder');
      assert.equal((await call(root, 'PUT', '/v1/use-cases/claims', { promptRef: 'qa' })).status, 200);
      const change = (await call(alice, 'POST', '/v1/prompts/qa/labels', { label: 'production', version: 2 })).body
        .changeRequest as ChangeRequest;
      const incident = await call(alice, 'POST', '/v1/incidents', { title: 'x', severity: 'sev3', useCase: 'claims' });
      assert.equal(incident.status, 201, incident.text);
      const ids = {
        change: [change.id, 'chg_01aaaaaaaaaaaaaaaaaaaaaaaa'],
        incident: [incident.body.id as string, 'inc_01aaaaaaaaaaaaaaaaaaaaaaaa'],
        useCase: ['claims', 'nosuchcase'],
      };
      const routes = (i: number): Array<[string, string, unknown?]> => [
        ['GET', '/v1/changes'],
        ['GET', `/v1/changes/${ids.change[i]}`],
        ['POST', `/v1/changes/${ids.change[i]}/approve`, {}],
        ['POST', `/v1/changes/${ids.change[i]}/reject`, {}],
        ['POST', `/v1/changes/${ids.change[i]}/withdraw`, {}],
        ['GET', '/v1/incidents'],
        ['GET', `/v1/incidents/${ids.incident[i]}`],
        ['PATCH', `/v1/incidents/${ids.incident[i]}`, { note: 'x' }],
        ['POST', `/v1/incidents/${ids.incident[i]}/resolve`, { note: 'x' }],
        ['POST', `/v1/incidents/${ids.incident[i]}/rollback`, { reason: 'x' }],
        ['GET', `/v1/use-cases/${ids.useCase[i]}/changes`],
      ];
      for (const role of ['viewer', 'user'] as const) {
        const token = await keyFor(platform, `user:${role}@x.test`, role);
        const order = [0, 1].sort(() => Math.random() - 0.5);
        for (const i of order) {
          for (const [method, path, body] of routes(i)) {
            const reply = await call(token, method, path, body);
            // withdraw needs only changes:read, which viewers and users lack too.
            assert.equal(reply.status, 403, `${role} ${method} ${path}: ${reply.text}`);
            assert.equal((reply.body.error as { code: string }).code, 'auth.forbidden');
          }
        }
      }
      assert.equal(
        ((await call(root, 'GET', `/v1/changes/${change.id}`)).body.changeRequest as ChangeRequest).status,
        'pending',
        'nothing decided by the refused calls',
      );
      assert.equal((await verifyAuditChain(platform.db)).ok, true);
    } finally {
      await platform.close();
    }
  });

  test('a reviewer who may not use a use case does not see its change requests (GET /v1/changes hides them as GET /v1/use-cases/:name does)', async () => {
    const { platform, call } = await setup();
    try {
      const root = await keyFor(platform, 'user:root@x.test', 'admin');
      const rita = await keyFor(platform, 'user:rita@x.test', 'reviewer');
      const created = await call(root, 'PUT', '/v1/use-cases/secret', {
        description: 'merger desk',
        principals: ['group:mergers'],
      });
      assert.equal(created.status, 200, created.text);
      const pilot = await call(root, 'PUT', '/v1/use-cases/secret', {
        status: 'pilot',
        description: 'Project Falcon merger desk',
      });
      assert.equal(pilot.status, 202, pilot.text);
      assert.equal((await call(rita, 'GET', '/v1/use-cases/secret')).status, 404, 'the use case is hidden from rita');
      const listed = await call(rita, 'GET', '/v1/changes');
      assert.ok(!listed.text.includes('Project Falcon'), 'no after of a hidden use case');
      assert.ok(!listed.text.includes('"secret"'), 'not even its name');
      const one = await call(rita, 'GET', `/v1/changes/${(pilot.body.changeRequest as ChangeRequest).id}`);
      assert.equal(one.status, 404, one.text);
    } finally {
      await platform.close();
    }
  });
});
