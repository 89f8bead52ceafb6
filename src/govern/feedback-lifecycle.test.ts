import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openTestDatabase, testStoreKind } from '../../test/helpers/test-platform.ts';
import { callerWithPrincipals, createEventBus, fixedClock, type GroundworkError, localOperator } from '../core/index.ts';
import {
  feedbackHistory,
  feedbackStatuses,
  feedbackTransitions,
  fixedFeedbackByDay,
  listAudit,
  listFeedback,
  listNotices,
  markNoticesSeen,
  recordFeedback,
  updateFeedbackStatus,
} from './index.ts';

const code = (wanted: string) => (e: GroundworkError) => e.code === wanted;

describe(`feedback lifecycle (${testStoreKind})`, () => {
  test('every move against the transition table; notes; selection; per-use-case triage; events; notices', async () => {
    const db = await openTestDatabase();
    try {
      const traces = new Map([
        ['t1', { callerId: 'user:ann@x.test', useCase: 'claims' }],
        ['t2', { callerId: 'user:ann@x.test', useCase: 'claims' }],
        ['t3', { callerId: 'user:ann@x.test', useCase: null }],
      ]);
      const traceOwner = async (id: string) => traces.get(id);
      const ann = callerWithPrincipals(['user:ann@x.test']);
      const ids: string[] = [];
      for (const traceId of ['t1', 't2', 't3']) {
        ids.push((await recordFeedback(db, ann, { traceId, rating: -1, comment: 'no' }, { traceOwner })).id);
      }
      const [f1, f2, f3] = ids as [string, string, string];
      assert.equal((await listFeedback(db, ann, { scope: 'own', useCase: 'claims' })).length, 2);

      const ownershipOf = async (_db: unknown, names: readonly string[]) =>
        names.includes('claims') ? [{ name: 'claims', owner: 'user:olga@x.test', approvers: ['group:leads'] }] : [];
      const events = createEventBus();
      const published: string[] = [];
      events.subscribe('feedback-status-changed', (e) => published.push(`${e.feedbackId}:${e.from}→${e.to}`));
      const clock = fixedClock(new Date('2026-03-01T10:00:00Z'), 1000);
      const olga = callerWithPrincipals(['user:olga@x.test'], 'reviewer');
      const lead = callerWithPrincipals(['user:lee@x.test', 'group:Leads'], 'reviewer');
      const options = { ownershipOf, events, clock };

      // Input checks come before any write.
      await assert.rejects(updateFeedbackStatus(db, olga, { ids: [f1], status: 'done' }, options), (e: GroundworkError) => {
        return e.code === 'feedback.invalid_status' && feedbackStatuses.every((s) => (e.fix ?? '').includes(s));
      });
      await assert.rejects(updateFeedbackStatus(db, olga, { ids: [], status: 'fixed' }, options), code('feedback.bad_selection'));
      await assert.rejects(
        updateFeedbackStatus(db, olga, { ids: [f1], status: 'fixed', note: 'x'.repeat(2001) }, options),
        code('feedback.note_too_long'),
      );
      await assert.rejects(
        updateFeedbackStatus(db, olga, { ids: [f1], status: 'wont_fix', note: '  ' }, options),
        code('feedback.note_required'),
      );
      await assert.rejects(updateFeedbackStatus(db, ann, { ids: [f1], status: 'fixed' }, options), code('auth.forbidden'));
      // Feedback without a use case: admins only.
      await assert.rejects(
        updateFeedbackStatus(db, olga, { ids: [f3], status: 'planned' }, options),
        code('feedback.not_triager'),
      );
      await updateFeedbackStatus(db, localOperator, { ids: [f3], status: 'planned' }, options);

      // Walk every allowed and refused move on f1 (approvers match in canonical spelling: group:Leads = group:leads).
      let current: string = 'open';
      for (const [from, allowed] of Object.entries(feedbackTransitions)) {
        if (current !== from) {
          if (!feedbackTransitions[current as keyof typeof feedbackTransitions].includes(from as 'open')) {
            await updateFeedbackStatus(db, lead, { ids: [f1], status: 'open' }, options);
          }
          await updateFeedbackStatus(db, lead, { ids: [f1], status: from, note: 'to get there' }, options);
          current = from;
        }
        for (const to of feedbackStatuses) {
          if (allowed.includes(to)) continue;
          await assert.rejects(
            updateFeedbackStatus(db, olga, { ids: [f1], status: to, note: 'n' }, options),
            code('feedback.invalid_transition'),
          );
        }
      }
      // Bulk: one refused move refuses all (f1 is wont_fix now: → fixed is not allowed).
      assert.equal(current, 'wont_fix');
      await assert.rejects(
        updateFeedbackStatus(db, olga, { ids: [f1, f2], status: 'fixed', note: 'n' }, options),
        code('feedback.invalid_transition'),
      );
      assert.equal((await listFeedback(db, ann, { scope: 'own', status: ['open'] })).length, 1, 'f2 unchanged');
      const both = await updateFeedbackStatus(db, olga, { ids: [f1, f2, f2], status: 'planned' }, options);
      assert.equal(both.length, 2, 'duplicate ids count once');
      await updateFeedbackStatus(db, olga, { ids: [f1, f2], status: 'fixed', note: 'Corrected.' }, options);

      const history = await feedbackHistory(db, [f1]);
      assert.deepEqual(
        history.get(f1)?.map((h) => `${h.from}→${h.to}`),
        ['open→planned', 'planned→fixed', 'fixed→open', 'open→wont_fix', 'wont_fix→planned', 'planned→fixed'],
      );
      assert.ok(published.includes(`${f2}:planned→fixed`));
      assert.equal((await listAudit(db, { action: 'feedback.status' })).length, published.length);

      // Notices: fixed and wont_fix changes, unseen; seen per id.
      const notices = await listNotices(db, ann);
      assert.deepEqual(notices.map((n) => n.status).sort(), ['fixed', 'fixed', 'fixed', 'wont_fix']);
      const bob = callerWithPrincipals(['user:bob@x.test']);
      assert.deepEqual(await listNotices(db, bob), []);
      assert.deepEqual(await markNoticesSeen(db, bob, { ids: notices.map((n) => n.id) }), { seen: 0 });
      assert.deepEqual(await markNoticesSeen(db, ann, { ids: [notices[0]?.id as string] }), { seen: 1 });
      assert.equal((await listNotices(db, ann)).length, 3);
      assert.deepEqual(await markNoticesSeen(db, ann), { seen: 3 });
      assert.deepEqual(await markNoticesSeen(db, ann), { seen: 0 });

      const fixed = await fixedFeedbackByDay(db, 'claims');
      assert.deepEqual(
        fixed.map((d) => [d.day, d.fixed]),
        [['2026-03-01', 2]],
      );
      assert.equal((await listFeedback(db, ann, { scope: 'own', text: 'corrected' })).length, 2, 'text matches the note');
      assert.equal((await listFeedback(db, ann, { scope: 'own', text: '100%' })).length, 0, 'LIKE wildcards are literal');
    } finally {
      await db.close();
    }
  });
});
