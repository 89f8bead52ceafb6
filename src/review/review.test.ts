import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  alice,
  ask,
  bob,
  carl,
  ravi,
  restrictDocument,
  rita,
  seedCorpus,
  settle,
  uma,
} from '../../test/helpers/review-corpus.ts';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { usageReport } from '../adoption/index.ts';
import { callerWithPrincipals, type GroundworkError, localOperator } from '../core/index.ts';
import { acceptCandidate, listCandidates, loadDataset } from '../evaluate/index.ts';
import { listAudit, recordFeedback } from '../govern/index.ts';
import {
  enqueueSampledAnswer,
  getReview,
  gradeReview,
  listReviews,
  nextReview,
  reviewDraw,
  reviewStats,
  reviewToCandidate,
  sampleDecision,
  samplingRates,
} from './index.ts';

const everything = { sampleRate: 1, lowConfidenceRate: 1, refusedRate: 1, negativeFeedbackRate: 1 };

describe(`review sampling (pure)`, () => {
  test('the draw is deterministic and uniform; the share sampled matches each stratum rate', () => {
    assert.equal(reviewDraw('trc_1'), reviewDraw('trc_1'));
    const rates = {
      sampleRate: 0.05,
      lowConfidenceRate: 0.5,
      lowConfidenceBelow: 0.4,
      refusedRate: 0.2,
      negativeFeedbackRate: 1,
    };
    const n = 20_000;
    const share = (answer: { confidence: number; refused: boolean; negativeFeedback?: boolean }) => {
      let sampled = 0;
      for (let i = 0; i < n; i++) if (sampleDecision(rates, `trc_${i}`, answer).sampled) sampled++;
      return sampled / n;
    };
    assert.ok(Math.abs(share({ confidence: 0.9, refused: false }) - 0.05) < 0.01);
    assert.ok(Math.abs(share({ confidence: 0.2, refused: false }) - 0.5) < 0.02);
    assert.ok(Math.abs(share({ confidence: 0.9, refused: true }) - 0.2) < 0.02);
    assert.equal(share({ confidence: 0.9, refused: false, negativeFeedback: true }), 1);
    // The stratum with the highest applicable rate wins; a higher rate includes what a lower one sampled.
    assert.equal(sampleDecision(rates, 'x', { confidence: 0.1, refused: true }).stratum, 'low-confidence');
    assert.equal(sampleDecision(rates, 'x', { confidence: 0.9, refused: true }).stratum, 'refused');
    for (let i = 0; i < 2000; i++) {
      const base = sampleDecision(rates, `t${i}`, { confidence: 0.9, refused: false });
      if (base.sampled) assert.ok(sampleDecision(rates, `t${i}`, { confidence: 0.1, refused: false }).sampled);
    }
  });

  test('per use case overrides apply over the global rates', () => {
    const config = {
      sampleRate: 0.05,
      lowConfidenceRate: 0.5,
      lowConfidenceBelow: 0.5,
      refusedRate: 0.2,
      negativeFeedbackRate: 1,
      leaseMinutes: 15,
      useCases: { claims: { sampleRate: 0.5 } },
    };
    assert.equal(samplingRates(config, 'claims').sampleRate, 0.5);
    assert.equal(samplingRates(config, 'claims').refusedRate, 0.2);
    assert.equal(samplingRates(config, 'other').sampleRate, 0.05);
  });
});

describe(`review queue (${testStoreKind})`, () => {
  test('answers are sampled by the event subscriber per use case rate; negative feedback later enqueues an answer; drop retention samples nothing', async () => {
    const platform = await createTestPlatform({
      observe: { textRetention: 'keep' },
      // Nothing sampled at answer time in underwriting-qa, everything in claims-qa; all negative feedback.
      review: {
        sampleRate: 0,
        lowConfidenceRate: 0,
        refusedRate: 0,
        negativeFeedbackRate: 1,
        useCases: { 'claims-qa': { sampleRate: 1 } },
      },
    });
    try {
      await seedCorpus(platform);
      const uw = await ask(platform, alice, 'underwriting-qa', 'What is the flood deductible for coastal risks?');
      const cl = await ask(platform, bob, 'claims-qa', 'When do claims need a second adjuster?');
      let items = await listReviews(platform.db, localOperator);
      assert.deepEqual(
        items.map((i) => [i.traceId, i.useCase, i.stratum]),
        [[cl, 'claims-qa', 'base']],
      );
      await recordFeedback(
        platform.db,
        alice,
        { traceId: uw, rating: -1, category: 'wrong' },
        { traceOwner: async () => alice.id, events: platform.events },
      );
      await settle(platform);
      items = await listReviews(platform.db, localOperator, { useCase: 'underwriting-qa' });
      assert.deepEqual(
        items.map((i) => [i.traceId, i.stratum, i.status]),
        [[uw, 'negative-feedback', 'pending']],
      );
      // Feedback on an answer already queued moves it to the negative-feedback stratum (served first).
      await recordFeedback(
        platform.db,
        bob,
        { traceId: cl, rating: -1 },
        { traceOwner: async () => bob.id, events: platform.events },
      );
      await settle(platform);
      assert.equal((await listReviews(platform.db, localOperator, { useCase: 'claims-qa' }))[0]?.stratum, 'negative-feedback');
      // Idempotent per trace.
      await enqueueSampledAnswer(platform.db, {
        traceId: cl,
        useCase: 'claims-qa',
        askerId: bob.id,
        stratum: 'base',
        confidence: 0.9,
        refused: false,
        at: new Date(),
      });
      assert.equal((await listReviews(platform.db, localOperator)).length, 2);
    } finally {
      await platform.close();
    }
    const evaluation = await createTestPlatform({ observe: { textRetention: 'keep' }, review: everything });
    try {
      await seedCorpus(evaluation);
      // An answer asked inside another operation's trace (an evaluation run's case) is not a production answer.
      const run = evaluation.tracer.startSpan('evaluation', undefined, { 'groundwork.operation': 'evaluation' });
      await evaluation.answerer.ask({
        question: 'What is the flood deductible?',
        caller: alice,
        useCase: 'underwriting-qa',
        trace: run.context,
      });
      run.end();
      await settle(evaluation);
      assert.deepEqual(await listReviews(evaluation.db, localOperator), []);
      await ask(evaluation, alice, 'underwriting-qa', 'What is the flood deductible?');
      assert.equal((await listReviews(evaluation.db, localOperator)).length, 1);
    } finally {
      await evaluation.close();
    }
    const dropped = await createTestPlatform({ observe: { textRetention: 'drop' }, review: everything });
    try {
      await seedCorpus(dropped);
      await ask(dropped, alice, 'underwriting-qa', 'What is the flood deductible for coastal risks?');
      assert.deepEqual(await listReviews(dropped.db, localOperator), []);
    } finally {
      await dropped.close();
    }
  });

  test('two reviewers claiming at once never get the same item; a lease expires; nobody is handed their own answer', async () => {
    let now = new Date('2026-06-01T10:00:00Z');
    const platform = await createTestPlatform({ observe: { textRetention: 'keep' }, review: everything });
    const clock = { now: () => new Date(now) };
    try {
      await seedCorpus(platform);
      const traces: string[] = [];
      for (let i = 0; i < 6; i++)
        traces.push(await ask(platform, alice, 'underwriting-qa', `What is the flood deductible ${i}?`));
      const own = await ask(platform, uma, 'underwriting-qa', 'What is the coastal flood deductible?');
      // Rounds of concurrent claims by three reviewers: every claim is a different item.
      const claimed = new Map<string, string>();
      for (let round = 0; round < 2; round++) {
        const results = await Promise.all(
          [rita, ravi, uma].map(async (r) => ({ r, item: await nextReview(platform.db, r, { clock }) })),
        );
        for (const { r, item } of results) {
          if (!item) continue;
          assert.ok(!claimed.has(item.id) || claimed.get(item.id) === r.id, `${item.id} handed to two reviewers`);
          claimed.set(item.id, r.id);
          assert.notEqual(item.traceId === own && r.id === uma.id, true, 'uma got her own answer');
        }
        // A reviewer asking again keeps their claim (the same item).
        const ritas = results.find((x) => x.r === rita)?.item;
        assert.ok(ritas);
        assert.equal((await nextReview(platform.db, rita, { clock }))?.id, ritas.id);
        for (const { r, item } of results) {
          if (item && round === 0) await gradeReview(platform.db, r, item.id, { verdict: 'correct' }, { clock });
        }
      }
      const pendingOfRita = (await listReviews(platform.db, localOperator, { status: 'pending', clock })).find(
        (i) => i.claimedBy === rita.id,
      );
      assert.ok(pendingOfRita);
      // Another reviewer cannot grade an item under rita's lease…
      await assert.rejects(
        gradeReview(platform.db, ravi, pendingOfRita.id, { verdict: 'wrong' }, { clock }),
        (e: GroundworkError) => e.code === 'review.claimed',
      );
      // …until it expires (15 minutes).
      now = new Date(now.getTime() + 16 * 60_000);
      await gradeReview(platform.db, ravi, pendingOfRita.id, { verdict: 'wrong' }, { clock });
      // Four eyes: uma never gets, and may not grade, her own answer.
      const ownItem = (await listReviews(platform.db, localOperator)).find((i) => i.traceId === own);
      assert.ok(ownItem);
      await assert.rejects(
        gradeReview(platform.db, uma, ownItem.id, { verdict: 'correct' }, { clock }),
        (e: GroundworkError) => e.code === 'review.own_answer',
      );
      for (let i = 0; i < 10; i++) {
        const item = await nextReview(platform.db, uma, { clock });
        if (!item) break;
        assert.notEqual(item.traceId, own);
        await gradeReview(platform.db, uma, item.id, { verdict: 'correct' }, { clock });
      }
      const left = await listReviews(platform.db, uma, { status: 'pending', clock });
      assert.equal(left.map((i) => i.traceId).join(), own);
      assert.equal(left[0]?.ownAnswer, true);
      const actions = (await listAudit(platform.db, { limit: 200 })).map((e) => e.action);
      assert.ok(actions.includes('review.claim') && actions.includes('review.grade'));
      // Graded twice → conflict.
      await assert.rejects(
        gradeReview(platform.db, rita, pendingOfRita.id, { verdict: 'correct' }, { clock }),
        (e: GroundworkError) => e.code === 'review.already_graded',
      );
    } finally {
      await platform.close();
    }
  });

  test('eight reviewers claiming concurrently over a shared pool get eight different items (repeated)', async () => {
    const platform = await createTestPlatform({ observe: { textRetention: 'keep' }, review: everything });
    try {
      await seedCorpus(platform);
      for (let i = 0; i < 24; i++) {
        await enqueueSampledAnswer(platform.db, {
          traceId: `trc_pool_${i}`,
          useCase: 'underwriting-qa',
          askerId: alice.id,
          stratum: i % 3 === 0 ? 'low-confidence' : 'base',
          confidence: 0.4,
          refused: false,
          at: new Date(Date.now() - i * 1000),
        });
      }
      const reviewers = Array.from({ length: 8 }, (_, i) =>
        callerWithPrincipals([`user:r${i}@example.com`, 'group:underwriting'], 'reviewer'),
      );
      const seen = new Set<string>();
      for (let round = 0; round < 3; round++) {
        const claimed = await Promise.all(reviewers.map((r) => nextReview(platform.db, r)));
        const ids = claimed.map((item) => item?.id);
        assert.equal(new Set(ids).size, 8, `round ${round}: ${ids.join(', ')}`);
        // The eight low-confidence items are served first.
        if (round === 0) assert.ok(claimed.every((item) => item?.stratum === 'low-confidence'));
        for (const [k, item] of claimed.entries()) {
          assert.ok(item && !seen.has(item.id));
          seen.add(item.id);
          await gradeReview(platform.db, reviewers[k] as typeof alice, item.id, { verdict: 'correct' });
        }
      }
      assert.equal(seen.size, 24);
      assert.equal(await nextReview(platform.db, rita), undefined);
    } finally {
      await platform.close();
    }
  });

  test('a grade moves the adoption override rate, feeds reviewStats and becomes an evaluation candidate with the corrected answer', async () => {
    const platform = await createTestPlatform({ observe: { textRetention: 'keep' }, review: everything });
    try {
      await seedCorpus(platform);
      const first = await ask(platform, alice, 'underwriting-qa', 'What is the flood deductible for coastal risks?');
      await ask(platform, alice, 'underwriting-qa', 'Is there a flood deductible?');
      const before = await usageReport(platform.db, localOperator, { useCase: 'underwriting-qa' });
      assert.equal(before.overrideRate, null);
      const item = await nextReview(platform.db, rita);
      assert.ok(item);
      assert.ok(item.question?.includes('flood'));
      assert.ok(item.answer);
      assert.equal(item.withheldPassages, 0);
      assert.ok(item.passages.length >= 1);
      assert.match(item.passages[0]?.text ?? '', /1000 euros/);
      const graded = await gradeReview(
        platform.db,
        rita,
        item.id,
        {
          verdict: 'partially',
          grounded: 'no',
          correctedAnswer: 'The flood deductible is 1000 euros.',
          reason: 'missing amount',
          toEval: true,
        },
        { events: platform.events },
      );
      await settle(platform);
      assert.equal(graded.overridden, true);
      assert.equal(graded.grounded, false);
      assert.ok(graded.candidate);
      const second = await nextReview(platform.db, rita);
      assert.ok(second && second.id !== item.id);
      await gradeReview(platform.db, rita, second.id, { verdict: 'correct', grounded: true }, { events: platform.events });
      await settle(platform);
      const after = await usageReport(platform.db, localOperator, { useCase: 'underwriting-qa' });
      assert.equal(after.overrideRate, 0.5);
      const stats = await reviewStats(platform.db, 'underwriting-qa', new Date(Date.now() - 3600_000));
      assert.deepEqual(
        { ...stats, since: undefined },
        {
          useCase: 'underwriting-qa',
          since: undefined,
          sampled: 2,
          graded: 2,
          correct: 1,
          partially: 1,
          wrong: 0,
          ungrounded: 1,
          overridden: 1,
        },
      );
      // The candidate: the asker's question, visible to those holding the asker's principals, expected answer = corrected.
      const candidates = await listCandidates(platform.db, alice);
      const candidate = candidates.find((c) => c.reviewId === item.id);
      assert.ok(candidate);
      assert.equal(candidate.traceId, item.traceId);
      assert.equal(candidate.expectedAnswer, 'The flood deductible is 1000 euros.');
      assert.equal(candidate.category, 'review:partially');
      // One click again: the same candidate; from the second review a new one.
      assert.equal((await reviewToCandidate(platform.db, rita, item.id)).id, candidate.id);
      const fromSecond = await reviewToCandidate(platform.db, rita, second.id);
      assert.notEqual(fromSecond.id, candidate.id);
      // Accepting uses the corrected answer as the reference answer.
      await acceptCandidate(platform.db, candidate.id, { dataset: 'reviewed', caller: localOperator });
      const dataset = await loadDataset(platform.db, 'reviewed');
      assert.equal(dataset.cases[0]?.referenceAnswer, 'The flood deductible is 1000 euros.');
      assert.ok(dataset.cases[0]?.tags.includes('review'));
      assert.equal(first, item.traceId);
      const audit = (await listAudit(platform.db, { limit: 50 })).find((e) => e.action === 'review.grade');
      assert.ok(audit && !JSON.stringify(audit).includes('missing amount'), 'no free text in the audit log');
    } finally {
      await platform.close();
    }
  });

  test('reviewers see only their use cases; passages from documents they may not read now are withheld and counted', async () => {
    const platform = await createTestPlatform({ observe: { textRetention: 'keep' }, review: everything });
    try {
      await seedCorpus(platform);
      const uw = await ask(platform, alice, 'underwriting-qa', 'What is the flood deductible for coastal risks?');
      await ask(platform, bob, 'claims-qa', 'When do claims need a second adjuster?');
      assert.deepEqual(
        (await listReviews(platform.db, carl)).map((i) => i.useCase),
        ['claims-qa'],
      );
      const uwItem = (await listReviews(platform.db, rita)).find((i) => i.traceId === uw);
      assert.ok(uwItem);
      await assert.rejects(getReview(platform.db, carl, uwItem.id), (e: GroundworkError) => e.code === 'review.not_found');
      await assert.rejects(
        gradeReview(platform.db, carl, uwItem.id, { verdict: 'wrong' }),
        (e: GroundworkError) => e.code === 'review.not_found',
      );
      await assert.rejects(
        listReviews(platform.db, carl, { useCase: 'underwriting-qa' }),
        (e: GroundworkError) => e.code === 'review.use_case_not_reviewable',
      );
      const carls = await nextReview(platform.db, carl);
      assert.ok(carls);
      assert.equal(carls.useCase, 'claims-qa');
      await gradeReview(platform.db, carl, carls.id, { verdict: 'correct' });
      assert.equal(await nextReview(platform.db, carl), undefined);
      // rita reads the passage now…
      const visible = await getReview(platform.db, rita, uwItem.id);
      assert.equal(visible.passages.length, 1);
      assert.equal(visible.withheldPassages, 0);
      // …and after the document's ACL changes, it disappears (counted as withheld), and so does the answer.
      await restrictDocument(platform, 'doc_uw', ['group:legal']);
      const withheld = await getReview(platform.db, rita, uwItem.id);
      assert.deepEqual(withheld.passages, []);
      assert.equal(withheld.withheldPassages, 1);
      assert.equal(withheld.answer, null);
      assert.equal(withheld.answerWithheld, 'restricted');
      assert.ok(!JSON.stringify(withheld).includes('1000 euros'));
      assert.ok(!JSON.stringify(withheld).includes('doc_uw'));
      // Users cannot touch the queue at all.
      await assert.rejects(listReviews(platform.db, alice), (e: GroundworkError) => e.code === 'auth.forbidden');
      await assert.rejects(nextReview(platform.db, alice), (e: GroundworkError) => e.code === 'auth.forbidden');
    } finally {
      await platform.close();
    }
  });
});
