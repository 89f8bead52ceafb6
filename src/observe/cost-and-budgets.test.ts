import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { fixedClock, type GroundworkError } from '../core/index.ts';
import { simulateAnswer } from './fixtures/simulate-answer.ts';
import { buildPriceTable, checkBudget, costReport, listBudgetEvents, priceFor, setBudget } from './index.ts';

describe('prices', () => {
  test('exact, provider-qualified, prefix and configured prices', () => {
    const table = buildPriceTable({ models: { 'azure:gpt-4o-mini': { inputPerMillion: 0.2, outputPerMillion: 0.8 } } });
    assert.equal(priceFor(table, 'openai', 'gpt-4o-mini')?.inputPerMillion, 0.15);
    assert.equal(priceFor(table, 'openai', 'gpt-4o-mini-2024-07-18')?.inputPerMillion, 0.15);
    assert.equal(priceFor(table, 'azure', 'gpt-4o-mini')?.inputPerMillion, 0.2);
    assert.equal(priceFor(table, 'openai', 'my-finetune'), undefined);
    assert.equal(table.asOf, '2026-11');
  });
});

describe(`cost and budgets (${testStoreKind})`, () => {
  test('cost report by use case, user, model and day, including ingestion spend', async () => {
    const platform = await createTestPlatform({ observe: { prices: { ocrPerPage: 0.01 } } });
    try {
      await simulateAnswer(platform.tracer, { useCase: 'underwriting-qa', caller: 'user:a@x.com' });
      await simulateAnswer(platform.tracer, { useCase: 'underwriting-qa', caller: 'user:b@x.com' });
      await simulateAnswer(platform.tracer, { useCase: 'claims-qa', caller: 'user:a@x.com', inputTokens: 0, outputTokens: 0 });
      const sync = platform.tracer.startSpan('sync', undefined, {
        'groundwork.operation': 'sync',
        'groundwork.source': 'corpus',
      });
      platform.tracer.startSpan('ocr', sync.context, { 'groundwork.ocr.pages': 10 }).end();
      platform.tracer
        .startSpan('embed', sync.context, {
          'gen_ai.operation.name': 'embeddings',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'text-embedding-3-small',
          'gen_ai.usage.input_tokens': 1_000_000,
        })
        .end();
      sync.end();
      await platform.observe.recorder.flush();
      const since = new Date(Date.now() - 86_400_000);
      const byUseCase = await costReport(platform.db, { by: 'use-case', since });
      const rows = Object.fromEntries(byUseCase.rows.map((row) => [row.key, row]));
      assert.equal(rows['underwriting-qa']?.requests, 2);
      assert.ok(Math.abs((rows['underwriting-qa']?.costUsd ?? 0) - 0.42) < 1e-5);
      assert.ok(Math.abs((rows['(sync)']?.costUsd ?? 0) - (0.1 + 0.02)) < 1e-9, 'OCR 10 pages + 1M embedding tokens');
      assert.equal(rows['(sync)']?.embeddingTokens, 1_000_000);
      const byUser = await costReport(platform.db, { by: 'user', since });
      assert.equal(byUser.rows.find((row) => row.key === 'user:a@x.com')?.requests, 2);
      const byModel = await costReport(platform.db, { by: 'model', since });
      assert.deepEqual(byModel.rows.map((row) => row.key).sort(), [
        '(ocr)',
        'openai:gpt-4o-mini',
        'openai:text-embedding-3-small',
      ]);
      const byDay = await costReport(platform.db, { by: 'day', since });
      assert.equal(byDay.rows.length, 1);
      assert.equal(byDay.total.requests, 4);
    } finally {
      await platform.close();
    }
  });

  test('a budget warns at its threshold, then blocks with budget.exhausted; events are recorded once per period', async () => {
    const platform = await createTestPlatform();
    try {
      const { db } = platform;
      const clock = fixedClock(new Date());
      assert.equal((await checkBudget(db, 'underwriting-qa')).state, 'none');
      await setBudget(db, { useCase: 'underwriting-qa', dailyUsd: 0.5, monthlyUsd: 100, actor: 'local:operator' });
      await simulateAnswer(platform.tracer); // $0.21
      await platform.observe.recorder.flush();
      assert.equal((await checkBudget(db, 'underwriting-qa', { clock })).state, 'ok');
      await simulateAnswer(platform.tracer); // $0.42 ≥ 80% of 0.5
      await platform.observe.recorder.flush();
      const warning = await checkBudget(db, 'underwriting-qa', { clock });
      assert.equal(warning.state, 'warning');
      assert.equal(warning.blocked, false);
      assert.ok(Math.abs((warning.daily?.ratio ?? 0) - 0.84) < 1e-4);
      await checkBudget(db, 'underwriting-qa', { clock });
      await simulateAnswer(platform.tracer); // $0.63 > 0.5
      await platform.observe.recorder.flush();
      // Not blocking yet: exhausted is reported, the request may go on.
      const exhausted = await checkBudget(db, 'underwriting-qa', { clock });
      assert.equal(exhausted.state, 'exhausted');
      assert.equal(exhausted.blocked, false);
      await setBudget(db, { useCase: 'underwriting-qa', block: true, actor: 'local:operator' });
      await assert.rejects(checkBudget(db, 'underwriting-qa', { clock }), (error: GroundworkError) => {
        assert.equal(error.code, 'budget.exhausted');
        assert.equal(error.category, 'limit');
        assert.match(error.fix ?? '', /groundwork cost budget set underwriting-qa --daily/);
        return true;
      });
      await assert.rejects(checkBudget(db, 'underwriting-qa', { clock }), /exhausted/);
      const events = await listBudgetEvents(db, 'underwriting-qa');
      assert.deepEqual(events.map((event) => event.kind).sort(), ['blocked', 'warned']);
      const metrics = await platform.observe.renderMetrics();
      assert.match(metrics, /groundwork_budget_events\{use_case="underwriting-qa",kind="warned"\} 1/);
      assert.match(metrics, /groundwork_budget_events\{use_case="underwriting-qa",kind="blocked"\} 1/);
      assert.match(metrics, /groundwork_budget_used_ratio\{use_case="underwriting-qa",period="day"\} 1\.26/);
      // Other use cases and the monthly limit are unaffected.
      const other = await setBudget(db, { useCase: 'claims-qa', monthlyUsd: 10, actor: 'local:operator' });
      assert.equal(other.dailyUsd, null);
      assert.equal((await checkBudget(db, 'claims-qa', { clock })).state, 'ok');
      await assert.rejects(
        setBudget(db, { useCase: 'claims-qa', dailyUsd: -1, actor: 'x' }),
        (error: GroundworkError) => error.code === 'budget.invalid',
      );
    } finally {
      await platform.close();
    }
  });
});

describe(`queue depth (${testStoreKind})`, () => {
  test('groundwork_queue_depth counts unfinished jobs per queue from the job table', async () => {
    const platform = await createTestPlatform();
    try {
      assert.doesNotMatch(await platform.observe.renderMetrics(), /groundwork_queue_depth\{/);
      await platform.jobs.send('sync-source', { source: 'corpus' });
      assert.match(await platform.observe.renderMetrics(), /groundwork_queue_depth\{queue="sync-source"\} 1/);
    } finally {
      await platform.close();
    }
  });
});
