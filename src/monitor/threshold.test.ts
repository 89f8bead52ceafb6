import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isGroundworkError } from '../core/index.ts';
import { kolmogorovSmirnov, populationStability } from './kinds.ts';
import { breaches, formatDuration, parseDuration, parseThreshold } from './threshold.ts';
import { isPrivateAddress, redactWebhookUrl, signWebhook, webhookBody } from './webhooks.ts';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    assert.ok(isGroundworkError(error));
    return { code: error.code, message: error.message };
  }
  assert.fail('expected an error');
};

describe('monitor: threshold parser', () => {
  test('comparisons, relative changes and ages', () => {
    assert.deepEqual(parseThreshold('>0.2'), { type: 'compare', op: '>', limit: 0.2, text: '>0.2' });
    assert.deepEqual(parseThreshold(' <= 5 '), { type: 'compare', op: '<=', limit: 5, text: '<= 5' });
    assert.deepEqual(parseThreshold('drop>0.3'), { type: 'drop', op: '>', limit: 0.3, text: 'drop>0.3' });
    assert.deepEqual(parseThreshold('rise>=50%'), { type: 'rise', op: '>=', limit: 0.5, text: 'rise>=50%' });
    assert.deepEqual(parseThreshold('age>24h'), { type: 'age', op: '>', limit: 86_400, text: 'age>24h' });
    assert.equal(parseThreshold('AGE>90m').limit, 5400);
  });

  test('malformed thresholds name the grammar', () => {
    for (const bad of ['', '0.2', '>', '=>0.2', 'drop<0.3', 'drop>abc', 'age>24', 'age>', 'spike>2', 'rise>0', '>0.2x']) {
      const error = code(() => parseThreshold(bad));
      assert.equal(error.code, 'monitor.invalid_threshold', bad);
      assert.match(error.message, /drop>R/, bad);
    }
  });

  test('breaches: absolute, relative against the reference (none yet: undefined), ages', () => {
    assert.equal(breaches(parseThreshold('>0.2'), 0.25, null), true);
    assert.equal(breaches(parseThreshold('>0.2'), 0.2, null), false);
    assert.equal(breaches(parseThreshold('<0.5'), 0.4, null), true);
    assert.equal(breaches(parseThreshold('drop>0.3'), 60, 100), true);
    assert.equal(breaches(parseThreshold('drop>0.3'), 75, 100), false);
    assert.equal(breaches(parseThreshold('drop>0.3'), 60, null), undefined);
    assert.equal(breaches(parseThreshold('rise>0.5'), 0.02, 0.01), true);
    assert.equal(breaches(parseThreshold('rise>0.5'), 0.014, 0.01), false);
    assert.equal(breaches(parseThreshold('age>24h'), 90_000, null), true);
    assert.equal(breaches(parseThreshold('age>24h'), 3600, null), false);
  });

  test('durations', () => {
    assert.equal(parseDuration('1h'), 3600);
    assert.equal(parseDuration('7d'), 604_800);
    assert.equal(formatDuration(3600), '1h');
    assert.equal(formatDuration(5400), '90m');
    assert.equal(code(() => parseDuration('soon')).code, 'monitor.invalid');
    assert.equal(code(() => parseDuration('0h')).code, 'monitor.invalid');
  });
});

describe('monitor: statistics and webhook payloads', () => {
  test('PSI is ~0 for the same distribution and large for a shifted one; KS likewise', () => {
    const base = Array.from({ length: 1000 }, (_, i) => (i % 100) / 100);
    assert.ok(populationStability(base, base) < 0.01);
    const shifted = base.map((v) => v * 0.5);
    assert.ok(populationStability(base, shifted) > 0.5);
    assert.ok(kolmogorovSmirnov(base, base) < 0.02);
    assert.ok(kolmogorovSmirnov(base, shifted) > 0.4);
  });

  test('payload formats, signature, URL redaction and private addresses', () => {
    const notice = {
      event: 'fired' as const,
      alertId: 'alr_1',
      monitor: 'docs-count',
      kind: 'documents-count',
      useCase: null,
      source: 'docs',
      status: 'firing',
      value: 6,
      reference: 10,
      threshold: 'drop>0.3',
      window: '1h',
      firedAt: '2026-12-01T00:00:00.000Z',
      resolvedAt: null,
      exampleTraces: [],
      incidentId: null,
    };
    assert.equal(webhookBody('json', notice).type, 'groundwork.alert');
    const slack = webhookBody('slack', notice) as { text: string; blocks: unknown[] };
    assert.match(slack.text, /FIRING.*docs-count/);
    assert.ok(slack.blocks.length >= 1);
    const teams = webhookBody('teams', notice) as Record<string, unknown>;
    assert.equal(teams['@type'], 'MessageCard');
    assert.match(signWebhook('s3cret-s3cret-s3cret', 1700000000, '{}'), /^sha256=[0-9a-f]{64}$/);
    assert.equal(redactWebhookUrl('https://hooks.slack.com/services/T000/B000/XXXX'), 'https://hooks.slack.com/…');
    for (const ip of [
      '127.0.0.1',
      '10.1.2.3',
      '192.168.0.1',
      '172.20.0.1',
      '169.254.169.254',
      '::1',
      'fd00::1',
      '::ffff:127.0.0.1',
    ]) {
      assert.ok(isPrivateAddress(ip), ip);
    }
    for (const ip of ['8.8.8.8', '172.32.0.1', '2001:4860::1']) assert.ok(!isPrivateAddress(ip), ip);
  });
});
