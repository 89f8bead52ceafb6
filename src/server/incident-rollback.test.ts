import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import type { Role } from '../core/index.ts';
import type { Platform } from '../create-platform.ts';
import { type ChangeRequest, createApiKey, listAudit, verifyAuditChain } from '../govern/index.ts';
import { createModelConfig, createPrompt, labelPrompt } from '../prompts/index.ts';
import { createApp } from './index.ts';

type Json = Record<string, unknown>;
const template = 'Answer from the context.\n{{context}}\nQuestion: {{question}}';

const production = async (platform: Platform) =>
  Number(
    (
      await platform.db.query<{ version: number }>(
        `SELECT version FROM prompt_labels WHERE kind = 'prompt' AND name = 'qa-prompt' AND label = 'production'`,
      )
    ).rows[0]?.version,
  );

describe(`rollback from an incident (${testStoreKind})`, () => {
  test('a normal rollback is a change request another person approves; an emergency one applies at once, flagged, owner/on-call/admin only', async () => {
    const platform = await createTestPlatform();
    const { app } = createApp(platform, { webRoot: false, authCacheMs: 0 });
    try {
      const operator = { actor: 'local:operator' };
      await createPrompt(platform.db, { name: 'qa-prompt', template, message: 'v1', author: 'user:pat@x.test' });
      await createPrompt(platform.db, {
        name: 'qa-prompt',
        template: `${template}\nBe brief.`,
        message: 'v2',
        author: 'user:pat@x.test',
      });
      await createPrompt(platform.db, {
        name: 'qa-prompt',
        template: `${template}\nBe terse.`,
        message: 'v3',
        author: 'user:pat@x.test',
      });
      await labelPrompt(platform.db, 'qa-prompt', 1, 'production', operator);
      await labelPrompt(platform.db, 'qa-prompt', 2, 'production', operator);
      await platform.answerer.useCases.create('qa', {
        promptRef: 'qa-prompt',
        owner: 'user:olga@x.test',
        onCall: 'user:otto@x.test',
        approvers: ['user:ben@x.test', 'user:bea@x.test', 'user:otto@x.test'],
        // Approvers of a draft use case do not count (governance.md): a pilot's do.
        status: 'pilot',
      });
      const people: Record<string, Role> = { bea: 'builder', ben: 'builder', otto: 'builder', uma: 'user', rita: 'reviewer' };
      const tokens: Record<string, string> = {};
      for (const [person, role] of Object.entries(people)) {
        tokens[person] = (
          await createApiKey(platform.db, { name: person, role, principals: [`user:${person}@x.test`] }, operator)
        ).token;
      }
      const call = async (who: string, method: string, path: string, body?: unknown) => {
        const response = await app.request(`http://127.0.0.1${path}`, {
          method,
          headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const text = await response.text();
        return { status: response.status, text, json: (text ? JSON.parse(text) : {}) as Json };
      };
      const code = (json: Json) => (json.error as { code?: string } | undefined)?.code;

      const opened = await call('bea', 'POST', '/v1/incidents', {
        title: 'Terse answers drop citations',
        severity: 'sev2',
        useCase: 'qa',
      });
      assert.equal(opened.status, 201, opened.text);
      const id = opened.json.id as string;
      const bogus = await call('bea', 'PATCH', `/v1/incidents/${id}`, { links: { add: [{ kind: 'change', ref: 'chg_nope' }] } });
      assert.equal(bogus.status, 404);
      assert.equal(code(bogus.json), 'incidents.link_not_found');

      // Low-privilege keys cannot roll back: a user has no incidents:write, a reviewer no prompts:write.
      for (const who of ['uma', 'rita']) {
        const denied = await call(who, 'POST', `/v1/incidents/${id}/rollback`, { reason: 'x' });
        assert.equal(denied.status, 403, `${who}: ${denied.text}`);
      }
      assert.equal(code((await call('bea', 'POST', `/v1/incidents/${id}/rollback`, {})).json), 'request.invalid');

      // Normal: a change request (202), linked and on the timeline; nothing changed yet.
      const requested = await call('bea', 'POST', `/v1/incidents/${id}/rollback`, {
        reason: 'v2 drops citations',
        target: 'prompt',
      });
      assert.equal(requested.status, 202, requested.text);
      const [pending] = requested.json.rollbacks as Json[];
      assert.equal(pending?.status, 'pending');
      assert.equal(pending?.from, 2);
      assert.equal(pending?.to, 1);
      const change = pending?.changeRequest as ChangeRequest;
      assert.equal(
        (requested.json.changeRequest as ChangeRequest).id,
        change.id,
        'the 202 carries changeRequest, as every governed write',
      );
      assert.equal(change.status, 'pending');
      assert.match(change.reason ?? '', new RegExp(`incident ${id}: v2 drops citations`));
      assert.equal(await production(platform), 2);
      const incident = requested.json.incident as Json;
      assert.ok((incident.links as Json[]).some((l) => l.kind === 'change' && l.ref === change.id));
      assert.equal((incident.timeline as Json[]).at(-2)?.kind, 'rollback');

      const own = await call('bea', 'POST', `/v1/changes/${change.id}/approve`, {});
      assert.equal(own.status, 403);
      assert.equal(code(own.json), 'govern.self_approval');
      const approved = await call('ben', 'POST', `/v1/changes/${change.id}/approve`, { comment: 'yes, roll back' });
      assert.equal(approved.status, 200, approved.text);
      assert.equal(await production(platform), 1);

      // Emergency: only an admin, the owner or the on-call.
      await labelPrompt(platform.db, 'qa-prompt', 3, 'production', operator);
      const notOnCall = await call('bea', 'POST', `/v1/incidents/${id}/rollback`, { reason: 'now', emergency: true });
      assert.equal(notOnCall.status, 403);
      assert.equal(code(notOnCall.json), 'incidents.emergency_not_allowed');
      assert.match(notOnCall.text, /user:olga@x\.test|user:otto@x\.test/);
      const emergency = await call('otto', 'POST', `/v1/incidents/${id}/rollback`, {
        reason: 'citations gone again',
        emergency: true,
      });
      assert.equal(emergency.status, 200, emergency.text);
      const [applied] = emergency.json.rollbacks as Json[];
      assert.equal(applied?.status, 'applied');
      assert.equal(applied?.emergency, true);
      assert.equal(await production(platform), 1);
      const flagged = applied?.changeRequest as ChangeRequest & { awaitingRetrospective: boolean };
      assert.equal(flagged.emergency, true);
      assert.equal(flagged.awaitingRetrospective, true);
      const retro = await call('otto', 'POST', `/v1/changes/${flagged.id}/approve`, {});
      assert.equal(code(retro.json), 'govern.self_approval');
      assert.equal(
        (await call('ben', 'POST', `/v1/changes/${flagged.id}/approve`, { comment: 'retrospectively fine' })).status,
        200,
      );

      // The change log shows both rollbacks with their approvers, the emergency flagged, and the incident.
      const log = await call('rita', 'GET', '/v1/use-cases/qa/changes');
      assert.equal(log.status, 200, log.text);
      const entries = log.json.entries as Json[];
      const rollbacks = entries.filter((e) => e.action === 'prompt.rollback');
      assert.equal(rollbacks.length, 2, log.text);
      for (const entry of rollbacks) {
        assert.deepEqual(entry.approvers, ['user:ben@x.test']);
        assert.deepEqual(entry.incidents, [id]);
      }
      assert.equal(rollbacks[0]?.emergency, true);
      assert.equal(rollbacks[0]?.author, 'user:otto@x.test');
      assert.equal(rollbacks[1]?.author, 'user:bea@x.test');
      // An applied change request appears once (as the label move it made), not twice.
      assert.equal(entries.filter((e) => e.area === 'change_request').length, 0, log.text);

      // Model configuration too: `both` rolls back what has an earlier version and skips the rest.
      const config = (temperature: number) => ({ provider: 'openai', model: 'gpt-4o-mini', parameters: { temperature } });
      await createModelConfig(platform.db, {
        name: 'qa',
        config: config(0),
        message: 'm1',
        labels: ['production'],
        author: 'local:operator',
      });
      await createModelConfig(platform.db, {
        name: 'qa',
        config: config(0.7),
        message: 'm2',
        labels: ['production'],
        author: 'local:operator',
      });
      const both = await call('otto', 'POST', `/v1/incidents/${id}/rollback`, {
        reason: 'temperature too high',
        emergency: true,
      });
      assert.equal(both.status, 200, both.text);
      const outcomes = (both.json.rollbacks as Json[]).map((r) => [r.kind, r.status, r.from, r.to]);
      assert.deepEqual(outcomes, [['model', 'applied', 2, 1]], 'the prompt (at its first version) is skipped');
      const model = await platform.db.query<{ version: number }>(
        `SELECT version FROM prompt_labels WHERE kind = 'model' AND name = 'qa' AND label = 'production'`,
      );
      assert.equal(Number(model.rows[0]?.version), 1);
      const nothing = await call('otto', 'POST', `/v1/incidents/${id}/rollback`, { reason: 'again', emergency: true });
      assert.equal(nothing.status, 409, nothing.text);
      assert.equal(code(nothing.json), 'incidents.nothing_to_roll_back');

      const actions = (await listAudit(platform.db, { limit: 200 }))
        .filter((e) => e.target === `incident:${id}`)
        .map((e) => e.action);
      assert.equal(actions.filter((a) => a === 'incident.rollback').length, 3);
      assert.equal((await verifyAuditChain(platform.db)).ok, true);
    } finally {
      await platform.close();
    }
  });
});
