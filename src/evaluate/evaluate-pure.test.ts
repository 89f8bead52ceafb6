import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  evaluateGates,
  exactMatch,
  isClaimSupported,
  offlineGroundedness,
  pairedBootstrap,
  parseGate,
  parseJsonlCases,
  parseMetricName,
  renderJUnit,
  renderMarkdown,
  summarizeMetrics,
  tokenF1,
} from './index.ts';

describe('evaluate: pure functions', () => {
  test('gates parse strictly with clear errors', () => {
    assert.deepEqual(parseGate('ndcg@10 < 0.6'), {
      expression: 'ndcg@10 < 0.6',
      metric: 'ndcg@10',
      operator: '<',
      threshold: 0.6,
    });
    assert.deepEqual(parseGate(' latency_ms>=800 ').operator, '>=');
    assert.throws(
      () => parseGate('ndgc@10 < 0.6'),
      (error: Error & { code: string; fix: string }) => {
        assert.equal(error.code, 'evaluate.unknown_metric');
        assert.match(error.message, /Unknown metric "ndgc@10"/);
        assert.match(error.fix, /ndcg@K, recall@K, precision@K, mrr@K, map, citation_precision/);
        return true;
      },
    );
    assert.throws(() => parseGate('ndcg@10 = 0.6'), /operator must be one of/);
    assert.throws(() => parseGate('ndcg@10 < high'), /threshold "high" is not a number/);
    assert.throws(() => parseGate('recall@0 < 1'), /Unknown metric/);
    assert.equal(parseMetricName('MAP')?.base, 'map');
  });

  test('gates fail when the condition holds or the metric is missing', () => {
    const metrics = summarizeMetrics([
      { sample: 0, metrics: { 'ndcg@10': 0.5 } },
      { sample: 0, metrics: { 'ndcg@10': 0.7 } },
    ]);
    const outcomes = evaluateGates(
      [parseGate('ndcg@10 < 0.6'), parseGate('ndcg@10 < 0.7'), parseGate('groundedness < 0.8')],
      metrics,
    );
    assert.deepEqual(
      outcomes.map((o) => o.failed),
      [false, true, true],
    );
    assert.equal(outcomes[2]?.value, null);
  });

  test('paired bootstrap is seeded and brackets the difference', () => {
    const a = Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? 1 : 0.5));
    const b = a.map((x, i) => x - (i % 2 === 0 ? 0.1 : 0));
    const one = pairedBootstrap(a, b, { resamples: 2000, seed: 3 });
    const two = pairedBootstrap(a, b, { resamples: 2000, seed: 3 });
    assert.deepEqual(one, two);
    assert.ok(Math.abs(one.difference + 0.05) < 1e-9);
    assert.ok(one.low < one.difference && one.difference < one.high && one.high < 0);
    const same = pairedBootstrap(a, a, { resamples: 500 });
    assert.deepEqual([same.low, same.high], [0, 0]);
  });

  test('answer metrics follow SQuAD normalisation', () => {
    assert.equal(exactMatch('The deductible is $250.', 'deductible is 250'), 1);
    assert.equal(tokenF1('fire damage up to 500000 dollars', 'Fire damage up to 500000 dollars'), 1);
    assert.ok(Math.abs(tokenF1('fire damage', 'fire damage is covered') - 2 / 3) < 1e-9);
    assert.equal(tokenF1('', 'x'), 0);
  });

  test('groundedness catches changed numbers, negations and swapped entities', () => {
    const context = 'The insurer pays Alice for the roof. The deductible is 250 dollars. Flood damage is not covered.';
    assert.equal(isClaimSupported('The deductible is 250 dollars.', [context]), true);
    assert.equal(isClaimSupported('The deductible is 350 dollars.', [context]), false);
    assert.equal(isClaimSupported('Flood damage is covered.', [context]), false);
    assert.equal(isClaimSupported('Alice pays the insurer for the roof.', [context]), false);
    assert.equal(offlineGroundedness('The deductible is 250 dollars [1]. Pets are covered.', [context]), 0.5);
  });

  test('JSONL parser reports unknown keys and contradictions per line', () => {
    const parsed = parseJsonlCases(
      [
        JSON.stringify({ question: 'a', expect_refusal: true, relevant_documents: ['x'] }),
        JSON.stringify({ id: 1, question: 'b', principals: ['staff'] }),
        JSON.stringify({ id: 1, question: 'c' }),
        JSON.stringify({ id: 1, question: 'd' }),
      ].join('\n'),
    );
    assert.deepEqual(
      parsed.problems.map((p) => p.line),
      [1, 2, 4],
    );
    assert.match(parsed.problems[2]?.reason ?? '', /duplicate id "1" \(first on line 3\)/);
  });

  test('JSONL parser refuses text no database can hold (NUL, lone surrogates) with the line and field', () => {
    const parsed = parseJsonlCases(
      ['{"question": "roof\\u0000age?"}', '{"question": "ok", "principals": ["group:a\\ud800"]}', '{"question": "fine"}'].join(
        '\n',
      ),
    );
    assert.equal(parsed.cases.length, 1);
    assert.deepEqual(
      parsed.problems.map((p) => [p.line, p.reason.split(':')[0]]),
      [
        [1, 'question'],
        [2, 'principals.0'],
      ],
    );
    assert.match(parsed.problems[0]?.reason ?? '', /NUL character/);
  });

  test('reports: Markdown table and JUnit with one test case per gate', () => {
    const metrics = summarizeMetrics([{ sample: 0, metrics: { 'ndcg@10': 0.5 } }]);
    const report = {
      runId: 'evr_1',
      dataset: 'policies@1',
      mode: 'retrieval',
      caseCount: 1,
      errors: 0,
      metrics,
      gates: evaluateGates([parseGate('ndcg@10 < 0.6')], metrics),
      passed: false,
    };
    assert.match(renderMarkdown(report), /\| ndcg@10 \| 0\.5000 \| 1 \|/);
    const junit = renderJUnit(report);
    assert.match(junit, /<testsuites name="groundwork-evaluation" tests="2" failures="1"/);
    assert.match(junit, /name="gate: ndcg@10 &lt; 0.6"><failure message="ndcg@10 = 0.5000"/);
  });
});
