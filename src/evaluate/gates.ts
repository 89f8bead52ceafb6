import { GroundworkError } from '../core/index.ts';
import { knownMetricNames, parseMetricName } from './eval-metrics.ts';
import type { MetricSummary } from './types.ts';

/**
 * Quality gates: `--fail-if "ndcg@10 < 0.6"`. A gate fails the run when the condition holds for the
 * metric's mean. Parsed strictly: an unknown metric or operator is a usage error listing what is known.
 */
export type GateOperator = '<' | '<=' | '>' | '>=';

export interface Gate {
  readonly expression: string;
  readonly metric: string;
  readonly operator: GateOperator;
  readonly threshold: number;
}

export interface GateOutcome extends Gate {
  /** The metric's mean in the run; null when no case produced it. */
  readonly value: number | null;
  readonly failed: boolean;
  readonly reason: string;
}

const pattern = /^\s*([A-Za-z_]+(?:@\d+)?)\s*(<=|>=|<|>|==|=|!=)?\s*(.*?)\s*$/;

export function parseGate(expression: string): Gate {
  const match = pattern.exec(expression);
  const [, metricText = '', operator, thresholdText = ''] = match ?? [];
  if (!match || !metricText) {
    throw gateError(expression, 'it is not of the form "METRIC OPERATOR NUMBER"');
  }
  const metric = metricText.toLowerCase();
  if (!parseMetricName(metric)) {
    throw new GroundworkError('evaluate.unknown_metric', `Unknown metric "${metricText}" in gate "${expression}".`, {
      category: 'usage',
      fix: `Use one of: ${knownMetricNames.join(', ')} (K between 1 and 1000), e.g. --fail-if "ndcg@10 < 0.6".`,
      details: { metric: metricText, known: knownMetricNames },
    });
  }
  if (!operator || !['<', '<=', '>', '>='].includes(operator)) {
    throw gateError(expression, `the operator must be one of <, <=, >, >=${operator ? ` (got "${operator}")` : ''}`);
  }
  if (!/^-?\d+(\.\d+)?$/.test(thresholdText)) {
    throw gateError(expression, `the threshold "${thresholdText}" is not a number`);
  }
  return { expression: expression.trim(), metric, operator: operator as GateOperator, threshold: Number(thresholdText) };
}

function gateError(expression: string, why: string): GroundworkError {
  return new GroundworkError('evaluate.invalid_gate', `Invalid gate "${expression}": ${why}.`, {
    category: 'usage',
    fix: 'Write gates as METRIC OPERATOR NUMBER, e.g. --fail-if "ndcg@10 < 0.6" or --fail-if "latency_ms > 800".',
  });
}

function holds(value: number, operator: GateOperator, threshold: number): boolean {
  if (operator === '<') return value < threshold;
  if (operator === '<=') return value <= threshold;
  if (operator === '>') return value > threshold;
  return value >= threshold;
}

/** Evaluates gates against a run's metrics. A gate on a metric the run did not produce fails. */
export function evaluateGates(gates: readonly Gate[], metrics: Readonly<Record<string, MetricSummary>>): GateOutcome[] {
  return gates.map((gate) => {
    const summary = metrics[gate.metric];
    if (!summary || summary.n === 0) {
      return { ...gate, value: null, failed: true, reason: `${gate.metric} was not measured in this run` };
    }
    const failed = holds(summary.mean, gate.operator, gate.threshold);
    return {
      ...gate,
      value: summary.mean,
      failed,
      reason: `${gate.metric} = ${summary.mean.toFixed(4)}`,
    };
  });
}
