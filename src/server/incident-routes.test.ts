import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { localOperator, type Role } from '../core/index.ts';
import { createApiKey, listAudit, verifyAuditChain } from '../govern/index.ts';
import { addSource, requestSourceAclMap } from '../ingest/index.ts';
import { createApp } from './index.ts';

type Json = Record<string, unknown>;

async function setup() {
  const folder = mkdtempSync(join(tmpdir(), 'gw-incidents-'));
  mkdirSync(join(folder, 'claims'));
  writeFileSync(
    join(folder, 'claims', 'cl-0142.txt'),
    'Claim CL-0142 water damage. The adjuster approved a payment of 18,400 dollars for the kitchen ceiling.\n',
  );
  writeFileSync(join(folder, 'hours.txt'), 'The claims office is open from nine to five on weekdays.\n');
  const aclMap = join(folder, '..', `${folder.split('/').pop()}-acl.yaml`);
  writeFileSync(aclMap, 'default: [group:staff]\nrules:\n  - match: "claims/**"\n    principals: [group:claims]\n');
  const platform = await createTestPlatform();
  const built = createApp(platform, { webRoot: false, authCacheMs: 0 });
  await addSource(platform.db, { name: 'share', type: 'filesystem', path: folder, aclMapPath: aclMap });
  await platform.ingestion.sync({ source: 'share' });
  const keys: Record<string, { role: Role; principals: string[] }> = {
    viewer: { role: 'viewer', principals: ['user:val@x.test', 'group:staff', 'group:claims'] },
    user: { role: 'user', principals: ['user:uma@x.test', 'group:staff', 'group:claims'] },
    reviewer: { role: 'reviewer', principals: ['user:rita@x.test', 'group:staff', 'group:claims'] },
    admin: { role: 'admin', principals: ['user:ada@x.test', 'group:staff'] },
    lawyer: { role: 'user', principals: ['user:lee@x.test', 'group:legal', 'group:staff'] },
  };
  const tokens: Record<string, string> = {};
  for (const [name, key] of Object.entries(keys)) {
    tokens[name] = (await createApiKey(platform.db, { name, ...key }, { actor: 'local:operator' })).token;
  }
  const call = async (who: string, path: string, method = 'GET', body?: unknown) => {
    const response = await built.app.request(`http://127.0.0.1${path}`, {
      method,
      headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, text, json: (text ? JSON.parse(text) : {}) as Json };
  };
  return {
    platform,
    call,
    aclMap,
    async close() {
      await built.close();
      await platform.close();
    },
  };
}

const codeOf = (json: Json) => (json.error as { code?: string } | undefined)?.code;

describe(`incidents over HTTP (${testStoreKind})`, () => {
  test('open → triaged → mitigated → resolved, moves back need a note, sev2 needs a post-incident note; audited', async () => {
    const t = await setup();
    try {
      const seen: string[] = [];
      t.platform.events.subscribe('incident-changed', (event) => seen.push(`${event.action}:${event.status}:${event.severity}`));
      const asked = await t.call('reviewer', '/v1/answers', 'POST', { question: 'What payment was approved for claim CL-0142?' });
      assert.equal(asked.status, 200, asked.text);
      const traceId = asked.json.traceId as string;
      await t.platform.observe.recorder.flush();

      const opened = await t.call('reviewer', '/v1/incidents', 'POST', {
        title: 'Wrong payment amount quoted',
        severity: 'sev2',
        useCase: 'default',
        description: 'A customer was told the wrong amount.',
        links: [{ kind: 'trace', ref: traceId }],
      });
      assert.equal(opened.status, 201, opened.text);
      const id = opened.json.id as string;
      assert.match(id, /^inc_/);
      assert.equal(opened.json.status, 'open');
      const link = (opened.json.links as Json[])[0] as Json;
      assert.equal(link.ref, traceId);
      assert.equal((link.trace as Json).useCase, 'default');
      assert.equal((link.trace as Json).documentsRestricted, false);
      // The incident shows ids and non-content trace fields only: never the question, answer or documents.
      assert.doesNotMatch(opened.text, /18,400|kitchen|CL-0142|cl-0142/);

      const unknownTrace = await t.call('reviewer', `/v1/incidents/${id}`, 'PATCH', {
        links: { add: [{ kind: 'trace', ref: 'trc_doesnotexist' }] },
      });
      assert.equal(unknownTrace.status, 404);
      assert.equal(codeOf(unknownTrace.json), 'incidents.link_not_found');

      const feedback = await t.call('reviewer', '/v1/feedback', 'POST', { traceId, rating: -1, category: 'wrong' });
      assert.equal(feedback.status, 201, feedback.text);
      const linkedFeedback = await t.call('reviewer', `/v1/incidents/${id}`, 'PATCH', {
        links: { add: [{ kind: 'feedback', ref: feedback.json.id as string }] },
      });
      assert.equal(linkedFeedback.status, 200, linkedFeedback.text);
      const unknownFeedback = await t.call('reviewer', `/v1/incidents/${id}`, 'PATCH', {
        links: { add: [{ kind: 'feedback', ref: 'fb_nope' }] },
      });
      assert.equal(codeOf(unknownFeedback.json), 'incidents.link_not_found');
      const triaged = await t.call('reviewer', `/v1/incidents/${id}`, 'PATCH', { status: 'triaged', note: 'Reproduced.' });
      assert.equal(triaged.status, 200, triaged.text);
      const back = await t.call('reviewer', `/v1/incidents/${id}`, 'PATCH', { status: 'open' });
      assert.equal(back.status, 400);
      assert.equal(codeOf(back.json), 'incidents.note_required');
      const toResolved = await t.call('reviewer', `/v1/incidents/${id}`, 'PATCH', { status: 'resolved' });
      assert.equal(codeOf(toResolved.json), 'incidents.resolve_required');
      const empty = await t.call('reviewer', `/v1/incidents/${id}`, 'PATCH', {});
      assert.equal(codeOf(empty.json), 'incidents.empty_update');
      assert.equal(
        (
          await t.call('reviewer', `/v1/incidents/${id}`, 'PATCH', {
            status: 'mitigated',
            severity: 'sev3',
            note: 'Prompt fixed.',
          })
        ).status,
        200,
      );
      // Severity lowered to sev3 … and raised again: sev2 needs a post-incident note.
      await t.call('reviewer', `/v1/incidents/${id}`, 'PATCH', { severity: 'sev2' });
      const noNote = await t.call('reviewer', `/v1/incidents/${id}/resolve`, 'POST', { note: 'done' });
      assert.equal(noNote.status, 400, noNote.text);
      assert.equal(codeOf(noNote.json), 'incidents.post_incident_note_required');
      assert.match(noNote.text, /post-incident note/);
      const resolved = await t.call('reviewer', `/v1/incidents/${id}/resolve`, 'POST', {
        postIncidentNote: 'The production prompt dropped the citation rule; restored it and added an eval case.',
      });
      assert.equal(resolved.status, 200, resolved.text);
      assert.equal(resolved.json.status, 'resolved');
      assert.equal(resolved.json.resolvedBy, 'user:rita@x.test');
      const again = await t.call('reviewer', `/v1/incidents/${id}/resolve`, 'POST', {});
      assert.equal(again.status, 409);
      assert.equal(codeOf(again.json), 'incidents.already_resolved');
      const reopened = await t.call('reviewer', `/v1/incidents/${id}`, 'PATCH', { status: 'open', note: 'It happened again.' });
      assert.equal(reopened.status, 200, reopened.text);
      assert.equal(reopened.json.resolvedAt, null);
      // The post-incident note is kept, so resolving again needs no new one.
      assert.equal((await t.call('reviewer', `/v1/incidents/${id}/resolve`, 'POST', {})).status, 200);

      const detail = await t.call('reviewer', `/v1/incidents/${id}`);
      const kinds = (detail.json.timeline as Json[]).map((e) => e.kind);
      assert.deepEqual(kinds, [
        'opened',
        'link',
        'link',
        'status',
        'status',
        'severity',
        'severity',
        'resolved',
        'status',
        'resolved',
      ]);
      const listed = await t.call('reviewer', '/v1/incidents?useCase=default');
      assert.equal((listed.json.incidents as Json[]).length, 1);
      assert.equal(((await t.call('reviewer', '/v1/incidents?active=true')).json.incidents as Json[]).length, 0);

      const actions = (await listAudit(t.platform.db, { limit: 1000 }))
        .filter((e) => e.target === `incident:${id}`)
        .map((e) => e.action);
      assert.deepEqual(actions.reverse(), [
        'incident.open',
        'incident.update',
        'incident.update',
        'incident.update',
        'incident.update',
        'incident.resolve',
        'incident.update',
        'incident.resolve',
      ]);
      assert.equal((await verifyAuditChain(t.platform.db)).ok, true);
      assert.equal((await t.call('reviewer', '/v1/incidents/inc_nope')).status, 404);
      // One incident-changed event per committed write, none for refused ones.
      assert.deepEqual(seen, [
        'open:open:sev2',
        'update:open:sev2',
        'update:triaged:sev2',
        'update:mitigated:sev3',
        'update:mitigated:sev2',
        'resolve:resolved:sev2',
        'update:open:sev2',
        'resolve:resolved:sev2',
      ]);
    } finally {
      await t.close();
    }
  });

  test('attacker with a low-privilege key: viewers and users can neither read nor change incidents (randomized)', async () => {
    const t = await setup();
    try {
      const opened = await t.call('reviewer', '/v1/incidents', 'POST', { title: 'Outage', severity: 'sev4' });
      assert.equal(opened.status, 201, opened.text);
      const id = opened.json.id as string;
      const random = (n: number) => Math.floor(Math.random() * n);
      const pick = <T>(xs: readonly T[]) => xs[random(xs.length)] as T;
      for (let i = 0; i < 30; i++) {
        const who = pick(['viewer', 'user']);
        const target = pick([id, 'inc_nope', `inc_${random(1e9)}`, '../../keys', '%00']);
        const [path, method, body] = pick([
          ['/v1/incidents', 'GET', undefined],
          ['/v1/incidents', 'POST', { title: 'x', severity: pick(['sev1', 'sev9']) }],
          [`/v1/incidents/${encodeURIComponent(target)}`, 'GET', undefined],
          [`/v1/incidents/${encodeURIComponent(target)}`, 'PATCH', { status: pick(['open', 'resolved', 'bogus']), note: 'n' }],
          [`/v1/incidents/${encodeURIComponent(target)}/resolve`, 'POST', { postIncidentNote: 'x' }],
        ] as const);
        const response = await t.call(who, path, method, body);
        assert.equal(response.status, 403, `${who} ${method} ${path}: ${response.text}`);
        assert.doesNotMatch(response.text, /Outage/);
      }
      // Bad input from someone allowed: 400 with the field named, never 500.
      for (let i = 0; i < 20; i++) {
        const body = pick([
          { title: '', severity: 'sev1' },
          { title: 'x', severity: 'sev0' },
          { title: 'x', severity: 'sev1', links: [{ kind: 'trace', ref: 'a b' }] },
          { title: 'x', severity: 'sev1', links: [{ kind: 'doc', ref: 'x' }] },
          { title: 'x'.repeat(201), severity: 'sev1' },
          { title: 'x', severity: 'sev1', extra: true },
          { title: 'x', severity: 'sev1', useCase: 'no-such-use-case' },
        ]);
        const response = await t.call('reviewer', '/v1/incidents', 'POST', body);
        assert.ok(response.status === 400 || response.status === 404, `${JSON.stringify(body)}: ${response.text}`);
      }
      const detail = await t.call('reviewer', `/v1/incidents/${id}`);
      assert.equal(detail.json.status, 'open');
      assert.equal((detail.json.timeline as Json[]).length, 1);

      // A reviewer sees only incidents of use cases they may use (like traces); an admin sees all.
      await t.platform.answerer.useCases.create('legal-qa', { principals: ['group:legal'], status: 'general' });
      const secret = await t.call('admin', '/v1/incidents', 'POST', {
        title: 'Privileged memo quoted',
        severity: 'sev1',
        useCase: 'legal-qa',
      });
      assert.equal(secret.status, 201, secret.text);
      const secretId = secret.json.id as string;
      const listed = await t.call('reviewer', '/v1/incidents');
      assert.doesNotMatch(listed.text, /Privileged memo/);
      for (const [path, method, body] of [
        [`/v1/incidents/${secretId}`, 'GET', undefined],
        [`/v1/incidents/${secretId}`, 'PATCH', { note: 'peek' }],
        [`/v1/incidents/${secretId}/resolve`, 'POST', { postIncidentNote: 'x' }],
        ['/v1/use-cases/legal-qa/changes', 'GET', undefined],
        ['/v1/incidents', 'POST', { title: 'probe', severity: 'sev4', useCase: 'legal-qa' }],
      ] as const) {
        const probe = await t.call('reviewer', path, method, body);
        assert.equal(probe.status, 404, `${method} ${path}: ${probe.text}`);
        assert.doesNotMatch(probe.text, /Privileged memo/);
      }
      assert.match((await t.call('admin', '/v1/incidents')).text, /Privileged memo/);
      // A trace of someone else in a use case the reviewer may not use cannot be linked (indistinguishable from none).
      const asked = await t.call('lawyer', '/v1/answers', 'POST', { question: 'When is the office open?', useCase: 'legal-qa' });
      assert.equal(asked.status, 200, asked.text);
      await t.platform.observe.recorder.flush();
      const probeLink = await t.call('reviewer', `/v1/incidents/${id}`, 'PATCH', {
        links: { add: [{ kind: 'trace', ref: asked.json.traceId as string }] },
      });
      assert.equal(probeLink.status, 404, probeLink.text);
      assert.equal(codeOf(probeLink.json), 'incidents.link_not_found');
      const adminLink = await t.call('admin', `/v1/incidents/${secretId}`, 'PATCH', {
        links: { add: [{ kind: 'trace', ref: asked.json.traceId as string }] },
      });
      assert.equal(adminLink.status, 200, adminLink.text);
      const lawyerFeedback = await t.call('lawyer', '/v1/feedback', 'POST', { traceId: asked.json.traceId, rating: -1 });
      assert.equal(lawyerFeedback.status, 201, lawyerFeedback.text);
      const probeFeedback = await t.call('reviewer', `/v1/incidents/${id}`, 'PATCH', {
        links: { add: [{ kind: 'feedback', ref: lawyerFeedback.json.id as string }] },
      });
      assert.equal(codeOf(probeFeedback.json), 'incidents.link_not_found', 'feedback on a trace the reviewer may not see');
      assert.equal((await t.call('admin', `/v1/incidents/${secretId}`)).json.status, 'open');
    } finally {
      await t.close();
    }
  });

  test('a reviewer who lost access to a linked trace’s document sees the link, flagged, and nothing of the document', async () => {
    const t = await setup();
    try {
      const asked = await t.call('reviewer', '/v1/answers', 'POST', { question: 'What payment was approved for claim CL-0142?' });
      assert.match(asked.json.answer as string, /18,400/);
      const traceId = asked.json.traceId as string;
      const documentId = (asked.json.citations as Json[])[0]?.documentId as string;
      await t.platform.observe.recorder.flush();
      const opened = await t.call('reviewer', '/v1/incidents', 'POST', {
        title: 'Payment amount',
        severity: 'sev3',
        links: [{ kind: 'trace', ref: traceId }],
      });
      assert.equal(opened.status, 201, opened.text);
      writeFileSync(t.aclMap, 'default: [group:staff]\nrules:\n  - match: "claims/**"\n    principals: [group:claims-leads]\n');
      await requestSourceAclMap(t.platform.governance, t.platform.db, localOperator, 'share', t.aclMap);
      await t.platform.ingestion.sync({ source: 'share' });
      const detail = await t.call('reviewer', `/v1/incidents/${opened.json.id as string}`);
      assert.equal(detail.status, 200);
      const link = (detail.json.links as Json[])[0] as Json;
      assert.equal((link.trace as Json).documentsRestricted, true);
      assert.doesNotMatch(detail.text, /18,400|kitchen|cl-0142/i);
      assert.doesNotMatch(detail.text, new RegExp(documentId));
      // The admin (not the asker, no use of the trace's use case needed) sees the link; a trace nobody may see is null.
      const admin = await t.call('admin', `/v1/incidents/${opened.json.id as string}`);
      assert.equal(admin.status, 200);
      assert.doesNotMatch(admin.text, /18,400|kitchen/);
    } finally {
      await t.close();
    }
  });
});
