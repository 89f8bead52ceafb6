import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createMetricsRegistry } from './index.ts';

describe('metrics registry', () => {
  test('renders counters, gauges and histograms in the Prometheus text format 0.0.4', async () => {
    const registry = createMetricsRegistry();
    const requests = registry.counter('demo_requests_total', 'Requests.\nSecond line', ['use_case', 'outcome']);
    requests.inc({ use_case: 'uw "qa"', outcome: 'answered' });
    requests.inc({ use_case: 'uw "qa"', outcome: 'answered' }, 2);
    requests.inc({ use_case: 'a\\b', outcome: 'refused' });
    requests.inc({ use_case: 'x', outcome: 'y' }, -5);
    const depth = registry.gauge('demo_queue_depth', 'Depth.', ['queue']);
    depth.set({ queue: 'sync' }, 7);
    const latency = registry.histogram('demo_latency_seconds', 'Latency.', [], [0.1, 1]);
    latency.observe({}, 0.05);
    latency.observe({}, 0.5);
    latency.observe({}, 3);
    let collected = 0;
    registry.addCollector(async () => {
      collected += 1;
      depth.set({ queue: 'embed' }, 2);
    });
    registry.addCollector(async () => {
      throw new Error('collector failures do not break /metrics');
    });
    const text = await registry.render();
    assert.equal(collected, 1);
    assert.equal(
      text,
      [
        '# HELP demo_requests_total Requests.\\nSecond line',
        '# TYPE demo_requests_total counter',
        'demo_requests_total{use_case="uw \\"qa\\"",outcome="answered"} 3',
        'demo_requests_total{use_case="a\\\\b",outcome="refused"} 1',
        '# HELP demo_queue_depth Depth.',
        '# TYPE demo_queue_depth gauge',
        'demo_queue_depth{queue="sync"} 7',
        'demo_queue_depth{queue="embed"} 2',
        '# HELP demo_latency_seconds Latency.',
        '# TYPE demo_latency_seconds histogram',
        'demo_latency_seconds_bucket{le="0.1"} 1',
        'demo_latency_seconds_bucket{le="1"} 2',
        'demo_latency_seconds_bucket{le="+Inf"} 3',
        'demo_latency_seconds_sum 3.55',
        'demo_latency_seconds_count 3',
        '',
      ].join('\n'),
    );
    assert.throws(() => registry.gauge('demo_requests_total', 'again'), /already a counter/);
    assert.throws(() => registry.counter('bad-name', 'x'), /Invalid metric name/);
  });
});
