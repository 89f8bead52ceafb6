import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openTestDatabase, testStoreKind } from '../../test/helpers/test-platform.ts';
import {
  callerWithPrincipals,
  configSchema,
  createEventBus,
  createTracer,
  localOperator,
  type SpanRecord,
} from '../core/index.ts';
import type { ModelResolver } from '../models/index.ts';
import { createRetriever } from '../retrieve/index.ts';
import type { Database } from '../store/index.ts';
import { insertInsurerCorpus, staff } from './fixtures/insurer-corpus.ts';
import { type Answerer, createAnswerer, extractiveLabel, refusalText } from './index.ts';
import { numbersIn, splitSentences } from './text.ts';

const noModels: Pick<ModelResolver, 'chat' | 'describe' | 'defaultChat'> = {
  defaultChat: undefined,
  chat: () => {
    throw new Error('no model in extractive tests');
  },
  describe: () => {
    throw new Error('no model in extractive tests');
  },
};

describe('answer: text helpers', () => {
  test('sentences split on punctuation but not on abbreviations or amounts', () => {
    const text =
      'Coverage C is 50% of Coverage A, e.g. $150,000.00 for a $300,000 dwelling. Flood is excluded.\n- Item one\n- Item two';
    assert.deepEqual(
      splitSentences(text).map((s) => s.text),
      [
        'Coverage C is 50% of Coverage A, e.g. $150,000.00 for a $300,000 dwelling.',
        'Flood is excluded.',
        '- Item one',
        '- Item two',
      ],
    );
    assert.deepEqual(numbersIn('$1,000 and 2.50 and 12%, HO-3'), ['1000', '2.5', '12', '3']);
  });
});

describe(`answer: extractive mode (${testStoreKind})`, () => {
  let db: Database;
  let answerer: Answerer;
  const spans: SpanRecord[] = [];

  before(async () => {
    db = await openTestDatabase();
    await insertInsurerCorpus(db);
    const events = createEventBus();
    events.subscribe('span-end', (span) => spans.push(span));
    const tracer = createTracer(events);
    const retriever = createRetriever({ db, config: configSchema.parse({}).retrieval, tracer });
    answerer = createAnswerer({ db, retriever, models: noModels, tracer, events });
  });
  after(async () => {
    await db.close();
  });

  test('answers the HO-3 water damage deductible with the right sentence first, cited', async () => {
    const answer = await answerer.ask({
      question: 'What is the deductible for water damage under policy form HO-3?',
      caller: callerWithPrincipals([staff]),
    });
    assert.equal(answer.mode, 'extractive');
    assert.equal(answer.label, extractiveLabel);
    assert.equal(answer.refused, false);
    assert.match(answer.answer, /^The deductible for water damage under HO-3 is \$1,000 per occurrence \[\d\]\./);
    const first = answer.citations[0];
    assert.equal(first?.documentId, 'ho3');
    assert.equal(first?.chunkId, 'ho3-c0');
    assert.equal(first?.page, 4);
    assert.equal(first?.title, 'Policy Form HO-3 Homeowners Special Form');
    assert.ok(!/HO-5 is \$2,500/.test(answer.answer), 'the HO-5 distractor is not quoted');
    assert.ok(answer.confidence >= 0.36, `confidence ${answer.confidence}`);
    assert.deepEqual(answer.usage, { inputTokens: 0, outputTokens: 0 });
    // Trace: answer root with assemble and groundedness children.
    const root = spans.find((s) => s.name === 'answer' && s.traceId === answer.traceId);
    assert.equal(root?.attributes['groundwork.mode'], 'extractive');
    assert.equal(root?.attributes['groundwork.use_case'], 'default');
    assert.match(String(root?.attributes['groundwork.prompt.version']), /^inline:[0-9a-f]{8}$/);
    const children = spans.filter((s) => s.parentSpanId === root?.spanId).map((s) => s.name);
    assert.ok(children.includes('assemble') && children.includes('groundedness'), children.join(','));
  });

  test('other questions find their sentence first', async () => {
    const cases: Array<[string, RegExp]> = [
      ['How soon must the first notice of loss be recorded?', /^The first notice of loss must be recorded within 24 hours/],
      ['Which water damage claims need an independent adjuster?', /^Water damage claims above \$10,000 require an inspection/],
      ['What is the fleet discount for commercial auto?', /^A fleet discount of 10% applies/],
      ['Are roofs older than 25 years eligible for HO-3?', /^Roofs older than 25 years are declined for HO-3/],
      ['Is earthquake covered under HO-3?', /earthquake/],
    ];
    for (const [question, expected] of cases) {
      const answer = await answerer.ask({ question, caller: callerWithPrincipals([staff]) });
      assert.equal(answer.refused, false, question);
      assert.match(answer.answer, expected, question);
    }
  });

  test('refuses when the documents do not answer, without guessing', async () => {
    for (const question of [
      'What is the deductible for earthquake damage under a cyber insurance policy?',
      'What is the waiting period for pet insurance?',
    ]) {
      const answer = await answerer.ask({ question, caller: callerWithPrincipals([staff]) });
      assert.equal(answer.refused, true, `${question} → ${answer.answer} (${answer.confidence})`);
      assert.equal(answer.answer, refusalText);
      assert.deepEqual(answer.citations, []);
    }
  });

  test('permissions hold: a caller without access gets no answer from restricted documents', async () => {
    const question = 'Up to what amount may adjusters set reserves?';
    const outsider = await answerer.ask({ question, caller: callerWithPrincipals([staff]) });
    assert.ok(!outsider.answer.includes('25,000'), outsider.answer);
    assert.ok(!outsider.citations.some((c) => c.documentId === 'claims-authority'));
    const manager = await answerer.ask({ question, caller: callerWithPrincipals(['group:claims-managers']) });
    assert.match(manager.answer, /Adjusters may set reserves up to \$25,000/);
    const operator = await answerer.ask({ question, caller: localOperator });
    assert.equal(operator.refused, false);
  });

  test('bullets style and use-case source restriction', async () => {
    await answerer.useCases.create('underwriting-qa', { sources: ['underwriting'], style: 'bullets', principals: [staff] });
    const answer = await answerer.ask({
      question: 'What is the maximum Coverage A without referral?',
      caller: callerWithPrincipals([staff]),
      useCase: 'underwriting-qa',
    });
    assert.match(answer.answer, /^- The maximum Coverage A an underwriter may bind without referral is \$1,500,000 \[1\]\./);
    assert.ok(answer.citations.every((c) => c.uri.includes('/underwriting/')));
    const claimsOnly = await answerer.ask({
      question: 'What is the deductible for water damage under HO-3?',
      caller: callerWithPrincipals([staff]),
      useCase: 'underwriting-qa',
    });
    assert.ok(!claimsOnly.citations.some((c) => c.documentId === 'ho3'), 'policy forms are outside the use case');
    // A source name that does not exist matches nothing (fails closed), rather than everything.
    await answerer.useCases.create('misconfigured', { sources: ['no-such-source'] });
    const none = await answerer.ask({
      question: 'What is the deductible for water damage under HO-3?',
      caller: callerWithPrincipals([staff]),
      useCase: 'misconfigured',
    });
    assert.equal(none.refused, true);
    assert.equal(none.refusalReason, 'no_passages');
  });
});
