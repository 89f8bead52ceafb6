import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { saveUseCase } from '../answer/index.ts';
import { localOperator, type Role } from '../core/index.ts';
import { createApiKey, listAudit } from '../govern/index.ts';
import { addSource } from '../ingest/index.ts';
import { createPrompt, labelPrompt } from '../prompts/index.ts';
import { killUseCase, restoreUseCase, setStage } from '../rollout/index.ts';
import { createApp } from './index.ts';

type Json = Record<string, unknown>;
type FeedbackJson = {
  id: string;
  status: string;
  statusNote: string | null;
  useCase: string | null;
  question: string | null;
  answer: string | null;
  answerWithheld?: string;
  comment: string | null;
  history: Array<{ from: string; to: string; note: string | null }>;
  callerId: string;
};

/** Two sources (staff, board), a use case searching both, its owner, a builder who does not own it, two users. */
async function setUp() {
  const staffFolder = mkdtempSync(join(tmpdir(), 'gw-fb-staff-'));
  writeFileSync(join(staffFolder, 'hours.txt'), 'The claims office is open from nine to five on weekdays.\n');
  const boardFolder = mkdtempSync(join(tmpdir(), 'gw-fb-board-'));
  writeFileSync(join(boardFolder, 'minutes.txt'), 'The board decided the claims office hours stay the same.\n');
  const platform = await createTestPlatform({ observe: { textRetention: 'keep' } });
  await addSource(platform.db, { name: 'share', type: 'filesystem', path: staffFolder, readableBy: ['group:staff'] });
  await addSource(platform.db, { name: 'board-share', type: 'filesystem', path: boardFolder, readableBy: ['group:board'] });
  await platform.ingestion.sync({ source: 'share' });
  await platform.ingestion.sync({ source: 'board-share' });
  await platform.answerer.useCases.create('claims', {
    description: 'Questions about claims handling',
    sources: ['share', 'board-share'],
    owner: 'user:olga@x.test',
    approvers: ['group:claims-leads'],
    status: 'general',
  });
  await platform.answerer.useCases.create('board-only', { principals: ['group:board'], status: 'general' });
  const people: Record<string, { role: Role; principals: string[] }> = {
    ann: { role: 'user', principals: ['user:ann@x.test', 'group:staff'] },
    bob: { role: 'user', principals: ['user:bob@x.test', 'group:staff'] },
    olga: { role: 'reviewer', principals: ['user:olga@x.test', 'group:staff'] },
    lead: { role: 'reviewer', principals: ['user:lead@x.test', 'group:claims-leads'] },
    bill: { role: 'builder', principals: ['user:bill@x.test', 'group:staff'] },
    viewer: { role: 'viewer', principals: ['user:vic@x.test', 'group:staff'] },
    admin: { role: 'admin', principals: ['user:root@x.test'] },
  };
  const tokens: Record<string, string> = {};
  for (const [name, p] of Object.entries(people)) {
    tokens[name] = (await createApiKey(platform.db, { name, ...p }, { actor: 'local:operator' })).token;
  }
  const { app } = createApp(platform, { webRoot: false, authCacheMs: 0 });
  const call = async (who: string, path: string, init: { method?: string; body?: unknown } = {}) => {
    const response = await app.request(`http://127.0.0.1${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': 'application/json', host: '127.0.0.1' },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    return { status: response.status, body: (await response.json()) as Json };
  };
  const askAndRate = async (who: string, comment: string) => {
    const answer = await call(who, '/v1/answers', {
      method: 'POST',
      body: { question: 'When is the claims office open?', useCase: 'claims' },
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    await platform.observe.recorder.flush();
    const feedback = await call(who, '/v1/feedback', {
      method: 'POST',
      body: { traceId: answer.body.traceId, rating: -1, category: 'outdated', comment },
    });
    assert.equal(feedback.status, 201, JSON.stringify(feedback.body));
    return feedback.body.id as string;
  };
  return { platform, call, askAndRate };
}

describe(`feedback users can see, over HTTP (${testStoreKind})`, () => {
  test('lifecycle: my feedback, owner inbox with filters, single and bulk triage, notices, audit', async () => {
    const { platform, call, askAndRate } = await setUp();
    try {
      const annFb = await askAndRate('ann', 'the hours changed last month');
      const bobFb = await askAndRate('bob', 'wrong hours');

      const mine = await call('ann', '/v1/feedback/mine');
      assert.equal(mine.status, 200);
      const annItems = mine.body.feedback as FeedbackJson[];
      assert.deepEqual(
        annItems.map((f) => f.id),
        [annFb],
      );
      assert.equal(annItems[0]?.status, 'open');
      assert.equal(annItems[0]?.useCase, 'claims');
      assert.equal(annItems[0]?.question, 'When is the claims office open?');

      // Plain users cannot triage nor open the inbox; a builder who does not own the use case cannot triage it.
      assert.equal((await call('ann', '/v1/feedback?inbox=true')).status, 403);
      assert.equal((await call('ann', `/v1/feedback/${annFb}`, { method: 'PATCH', body: { status: 'fixed' } })).status, 403);
      const notOwner = await call('bill', `/v1/feedback/${annFb}`, { method: 'PATCH', body: { status: 'fixed' } });
      assert.equal(notOwner.status, 403);
      assert.equal((notOwner.body.error as Json).code, 'feedback.not_triager');
      assert.deepEqual((await call('bill', '/v1/feedback?inbox=true')).body.feedback, []);

      // The owner's inbox, with filters.
      const inbox = await call('olga', '/v1/feedback?inbox=true&useCase=claims&status=open&rating=-1&category=outdated');
      assert.equal(inbox.status, 200);
      assert.deepEqual((inbox.body.feedback as FeedbackJson[]).map((f) => f.id).sort(), [annFb, bobFb].sort());
      assert.ok((inbox.body.feedback as FeedbackJson[]).every((f) => f.question === 'When is the claims office open?'));
      const text = await call('olga', '/v1/feedback?inbox=true&q=LAST%20MONTH');
      assert.deepEqual(
        (text.body.feedback as FeedbackJson[]).map((f) => f.id),
        [annFb],
      );
      assert.deepEqual((await call('olga', '/v1/feedback?inbox=true&status=fixed')).body.feedback, []);
      assert.deepEqual((await call('olga', '/v1/feedback?inbox=true&since=2999-01-01')).body.feedback, []);
      const badStatus = await call('olga', '/v1/feedback?inbox=true&status=done');
      assert.equal(badStatus.status, 400);
      assert.match(JSON.stringify(badStatus.body), /open.*planned.*fixed.*wont_fix/);
      const badPatch = await call('olga', `/v1/feedback/${annFb}`, { method: 'PATCH', body: { status: 'closed' } });
      assert.equal(badPatch.status, 400);
      assert.match(JSON.stringify(badPatch.body), /wont_fix/);

      // Bulk is all or nothing.
      const partly = await call('olga', '/v1/feedback/bulk', {
        method: 'POST',
        body: { ids: [annFb, bobFb, 'fb_missing'], status: 'planned' },
      });
      assert.equal(partly.status, 404);
      assert.match(JSON.stringify(partly.body), /fb_missing/);
      assert.equal(((await call('ann', '/v1/feedback/mine')).body.feedback as FeedbackJson[])[0]?.status, 'open');
      const bulk = await call('lead', '/v1/feedback/bulk', {
        method: 'POST',
        body: { ids: [annFb, bobFb], status: 'planned', note: 'Updating the hours document' },
      });
      assert.equal(bulk.status, 200, JSON.stringify(bulk.body));
      assert.equal(bulk.body.updated, 2);

      const fixed = await call('olga', `/v1/feedback/${annFb}`, {
        method: 'PATCH',
        body: { status: 'fixed', note: 'The hours document now says nine to six.' },
      });
      assert.equal(fixed.status, 200);
      assert.equal(fixed.body.status, 'fixed');
      const again = await call('olga', `/v1/feedback/${annFb}`, { method: 'PATCH', body: { status: 'fixed' } });
      assert.equal(again.status, 409);
      assert.equal((again.body.error as Json).code, 'feedback.invalid_transition');
      const noNote = await call('olga', `/v1/feedback/${bobFb}`, { method: 'PATCH', body: { status: 'wont_fix' } });
      assert.equal(noNote.status, 400);
      assert.equal((noNote.body.error as Json).code, 'feedback.note_required');

      // Notices: Ann's fixed feedback; nothing for Bob (planned is no notice); Bob cannot mark Ann's seen.
      const notices = await call('ann', '/v1/notices');
      const annNotices = notices.body.notices as Array<{ id: string; status: string; note: string; feedbackId: string }>;
      assert.equal(annNotices.length, 1);
      assert.equal(annNotices[0]?.status, 'fixed');
      assert.equal(annNotices[0]?.feedbackId, annFb);
      assert.equal(annNotices[0]?.note, 'The hours document now says nine to six.');
      assert.deepEqual((await call('bob', '/v1/notices')).body.notices, []);
      assert.equal((await call('bob', '/v1/notices/seen', { method: 'POST', body: { ids: [annNotices[0]?.id] } })).body.seen, 0);
      assert.equal(((await call('ann', '/v1/notices')).body.notices as unknown[]).length, 1);

      const after = ((await call('ann', '/v1/feedback/mine')).body.feedback as FeedbackJson[])[0];
      assert.equal(after?.status, 'fixed');
      assert.equal(after?.statusNote, 'The hours document now says nine to six.');
      assert.deepEqual(
        after?.history.map((h) => `${h.from}→${h.to}`),
        ['open→planned', 'planned→fixed'],
      );
      // Users only ever see their own feedback, mine=true or not.
      assert.deepEqual(
        ((await call('bob', '/v1/feedback/mine')).body.feedback as FeedbackJson[]).map((f) => f.id),
        [bobFb],
      );
      assert.deepEqual(
        ((await call('bob', '/v1/feedback?useCase=claims')).body.feedback as FeedbackJson[]).map((f) => f.id),
        [bobFb],
      );

      assert.equal((await call('ann', '/v1/notices/seen', { method: 'POST', body: {} })).body.seen, 1);
      assert.deepEqual((await call('ann', '/v1/notices')).body.notices, []);

      const audit = await listAudit(platform.db, { action: 'feedback.status' });
      assert.equal(audit.length, 3);
      assert.ok(
        audit.every((a) => !JSON.stringify(a.after).includes('nine to six')),
        'the note text stays out of the audit log',
      );

      // A cited document that became unreadable: the answer is withheld from the asker's own view.
      await platform.db.query("UPDATE documents SET principals = '{group:nobody}'");
      const withheld = ((await call('ann', '/v1/feedback/mine')).body.feedback as FeedbackJson[])[0];
      assert.equal(withheld?.answer, null);
      assert.equal(withheld?.answerWithheld, 'restricted');
      assert.equal(withheld?.comment, null);
    } finally {
      await platform.close();
    }
  });

  test('capability card: derived, readable sources only, dismissed per user; release notes for users; no access → 404', async () => {
    const { platform, call, askAndRate } = await setUp();
    try {
      const card = await call('ann', '/v1/use-cases/claims/card');
      assert.equal(card.status, 200);
      assert.equal(card.body.derived, true);
      assert.deepEqual(card.body.sources, ['share'], 'board-share holds nothing Ann may read: not named');
      assert.equal(card.body.seen, false);
      assert.ok((card.body.canDo as string[]).some((line) => line.includes('Questions about claims handling')));
      assert.equal((await call('ann', '/v1/use-cases/claims/card/seen', { method: 'POST' })).status, 200);
      assert.equal((await call('ann', '/v1/use-cases/claims/card')).body.seen, true);
      assert.equal((await call('bob', '/v1/use-cases/claims/card')).body.seen, false, 'a dismissal is per user');
      assert.deepEqual((await call('admin', '/v1/use-cases/claims/card')).body.sources, ['board-share', 'share']);

      // A written card replaces the derived lists.
      await saveUseCase(platform.governance, platform.db, localOperator, 'claims', {
        description: 'Questions about claims handling and office hours',
        card: { canDo: ['Tell you office hours'], cannotDo: ['Decide a claim'], verifyWhen: ['Always for payouts'] },
      });
      const written = await call('ann', '/v1/use-cases/claims/card');
      assert.equal(written.body.derived, false);
      assert.deepEqual(written.body.cannotDo, ['Decide a claim']);
      const badCard = await call('admin', '/v1/use-cases/claims', { method: 'PUT', body: { card: { canDo: 'everything' } } });
      assert.equal(badCard.status, 400);
      await saveUseCase(platform.governance, platform.db, localOperator, 'claims', { card: null });
      assert.equal((await call('ann', '/v1/use-cases/claims/card')).body.derived, true, 'null clears the written card');
      await saveUseCase(platform.governance, platform.db, localOperator, 'claims', {
        card: { canDo: ['Tell you office hours'], cannotDo: ['Decide a claim'], verifyWhen: ['Always for payouts'] },
      });

      // Use cases Ann may not use: 404 for the card, its dismissal and its release notes.
      assert.equal((await call('ann', '/v1/use-cases/board-only/card')).status, 404);
      assert.equal((await call('ann', '/v1/use-cases/board-only/card/seen', { method: 'POST' })).status, 404);
      assert.equal((await call('ann', '/v1/use-cases/board-only/release-notes')).status, 404);

      // Release notes: the settings change, a fixed report; source changes without details for users.
      const annFb = await askAndRate('ann', 'old hours');
      await call('olga', `/v1/feedback/${annFb}`, { method: 'PATCH', body: { status: 'fixed', note: 'done' } });
      const notes = await call('ann', '/v1/use-cases/claims/release-notes');
      assert.equal(notes.status, 200);
      const entries = notes.body.entries as Array<{ kind: string; title: string; details?: string; at: string }>;
      assert.ok(
        entries.some(
          (e) => e.kind === 'settings' && /its scope/.test(e.title) && /what it says it can and cannot do/.test(e.title),
        ),
        JSON.stringify(entries),
      );
      assert.ok(entries.some((e) => e.kind === 'feedback' && e.title === '1 reported problem fixed'));
      assert.ok(
        entries.every((e) => !/group:|readableBy|path/.test(JSON.stringify(e))),
        'no ACL or path details for users',
      );
      assert.ok(!JSON.stringify(entries).includes('done'), 'no feedback notes in release notes');
      assert.equal((await call('viewer', '/v1/use-cases/claims/release-notes')).status, 200);

      // A prompt version going live and a resolved incident: users get plain words, reviewers the titles.
      const template = 'Answer from the context.\n{{context}}\nQuestion: {{question}}';
      await createPrompt(platform.db, {
        name: 'claims-prompt',
        template,
        message: 'v1',
        labels: ['production'],
        author: 'local:operator',
      });
      await createPrompt(platform.db, {
        name: 'claims-prompt',
        template: `${template}\nBrief.`,
        message: 'v2',
        author: 'local:operator',
      });
      await saveUseCase(platform.governance, platform.db, localOperator, 'claims', { promptRef: 'claims-prompt' });
      await labelPrompt(platform.db, 'claims-prompt', 2, 'production', { actor: 'user:pat@x.test', reason: 'shorter answers' });
      const incident = await call('olga', '/v1/incidents', {
        method: 'POST',
        body: { title: 'Internal: index rebuild broke citations', severity: 'sev3', useCase: 'claims' },
      });
      assert.equal(incident.status, 201, JSON.stringify(incident.body));
      assert.equal((await call('olga', `/v1/incidents/${incident.body.id}/resolve`, { method: 'POST', body: {} })).status, 200);
      const userNotes = JSON.stringify((await call('ann', '/v1/use-cases/claims/release-notes')).body.entries);
      assert.match(userNotes, /Answers now use prompt version 2 \(was 1\)/);
      assert.match(userNotes, /A problem affecting answers was resolved/);
      assert.ok(!userNotes.includes('index rebuild') && !userNotes.includes('shorter answers'), 'staff text stays with staff');
      const staffNotes = JSON.stringify((await call('olga', '/v1/use-cases/claims/release-notes')).body.entries);
      assert.match(staffNotes, /Resolved incident: Internal: index rebuild broke citations/);
      assert.match(staffNotes, /shorter answers/);

      // Availability: a narrower stage, the kill switch with the owner's message, and back — in plain words,
      // without cohort principals.
      const before = await platform.db.query<{ status: string }>(`SELECT status FROM use_cases WHERE name = 'claims'`);
      const narrowed = await setStage(platform.governance, platform.db, localOperator, 'claims', {
        stage: 'limited',
        percent: 25,
      });
      assert.equal(narrowed.status, 'applied');
      await killUseCase(platform.db, localOperator, 'claims', {
        message: 'Paused while we fix the citations; use the handbook.',
      });
      await restoreUseCase(platform.db, localOperator, 'claims');
      const availability = (
        (await call('ann', '/v1/use-cases/claims/release-notes')).body.entries as Array<{
          kind: string;
          title: string;
          details?: string;
        }>
      ).filter((e) => e.kind === 'availability');
      assert.deepEqual(
        availability.map((e) => e.title),
        ['Available again', 'Switched off for now', 'Available to selected groups and 25% of its other users'],
        `from ${before.rows[0]?.status}`,
      );
      assert.equal(availability[1]?.details, 'Paused while we fix the citations; use the handbook.');
    } finally {
      await platform.close();
    }
  });
});
