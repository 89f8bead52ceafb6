import { GroundworkError } from '../core/index.ts';

/**
 * Threshold expressions of monitors, a small grammar:
 *
 *   threshold := comparison | relative | age
 *   comparison := ('>' | '>=' | '<' | '<=') number        e.g. `>0.2`, `<0.5`
 *   relative   := ('drop' | 'rise') ('>' | '>=') ratio     e.g. `drop>0.3` (fell by more than 30%), `rise>50%`
 *   age        := 'age' ('>' | '>=') duration              e.g. `age>24h`
 *   ratio      := number | number '%'
 *   duration   := number ('s' | 'm' | 'h' | 'd' | 'w')
 *
 * `drop` / `rise` compare the value with a reference: the kind's baseline window where it has one
 * (cost-per-answer, tokens-per-answer), otherwise the value of the monitor's last healthy evaluation.
 */
export type ThresholdOperator = '>' | '>=' | '<' | '<=';

export type Threshold =
  | { readonly type: 'compare'; readonly op: ThresholdOperator; readonly limit: number; readonly text: string }
  | { readonly type: 'drop' | 'rise'; readonly op: '>' | '>='; readonly limit: number; readonly text: string }
  | { readonly type: 'age'; readonly op: '>' | '>='; readonly limit: number; readonly text: string };

export const thresholdGrammar =
  '`>N`, `>=N`, `<N`, `<=N` (compare the value), `drop>R` / `rise>R` (relative fall / rise vs the reference, R a ratio such as 0.3 or 30%), `age>D` (D a duration such as 90m, 24h, 7d)';

const durationUnits: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

function invalid(text: string, why: string): GroundworkError {
  return new GroundworkError('monitor.invalid_threshold', `Threshold "${text}" ${why}. Write one of: ${thresholdGrammar}.`, {
    category: 'usage',
    fix: 'Write `>0.2`, `<0.5`, `drop>0.3`, `rise>0.5` or `age>24h` (docs/monitoring.md "Thresholds").',
    details: { threshold: text },
  });
}

/** `30m` → 1800. @throws `monitor.invalid` naming the flag. */
export function parseDuration(text: string, what = 'window'): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$/.exec(text);
  const seconds = match ? Number(match[1]) * (durationUnits[match[2] as string] as number) : Number.NaN;
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 400 * 86_400) {
    throw new GroundworkError('monitor.invalid', `${what} "${text}" is not a duration such as 30m, 1h, 24h or 7d.`, {
      category: 'usage',
      fix: `Give ${what} as a number and a unit (s, m, h, d, w), at most 400d: e.g. 1h.`,
      details: { [what]: text },
    });
  }
  return Math.round(seconds);
}

/** 3600 → `1h` (the shortest exact unit). */
export function formatDuration(seconds: number): string {
  for (const unit of ['w', 'd', 'h', 'm'] as const) {
    const size = durationUnits[unit] as number;
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

/** Parses a threshold expression. @throws `monitor.invalid_threshold` with the grammar. */
export function parseThreshold(input: string): Threshold {
  const text = input.trim();
  if (!text) throw invalid(input, 'is empty');
  const relative = /^(drop|rise|age)\s*(>=|>)\s*(.+)$/i.exec(text);
  if (relative) {
    const word = (relative[1] as string).toLowerCase() as 'drop' | 'rise' | 'age';
    const op = relative[2] as '>' | '>=';
    const operand = (relative[3] as string).trim();
    if (word === 'age') {
      const match = /^(\d+(?:\.\d+)?)\s*([smhdw])$/.exec(operand);
      if (!match) throw invalid(input, `needs a duration after "age${op}" (e.g. 24h)`);
      return { type: 'age', op, limit: Number(match[1]) * (durationUnits[match[2] as string] as number), text };
    }
    const match = /^(\d+(?:\.\d+)?)(%?)$/.exec(operand);
    if (!match) throw invalid(input, `needs a ratio after "${word}${op}" (e.g. 0.3 or 30%)`);
    const limit = Number(match[1]) / (match[2] ? 100 : 1);
    if (!(limit > 0)) throw invalid(input, `needs a ratio above 0 after "${word}${op}"`);
    return { type: word, op, limit, text };
  }
  if (/^(drop|rise|age)\b/i.test(text)) throw invalid(input, 'needs > or >= after drop, rise or age');
  const compare = /^(>=|<=|>|<)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)$/i.exec(text);
  if (!compare) {
    const word = /^[a-z]+/i.exec(text)?.[0];
    throw invalid(input, word ? `starts with "${word}", which is not drop, rise or age` : 'does not parse');
  }
  return { type: 'compare', op: compare[1] as ThresholdOperator, limit: Number(compare[2]), text };
}

function holds(op: '>' | '>=' | '<' | '<=', value: number, limit: number): boolean {
  return op === '>' ? value > limit : op === '>=' ? value >= limit : op === '<' ? value < limit : value <= limit;
}

/**
 * Whether `value` breaches the threshold. Relative thresholds need a positive reference (else `undefined`:
 * nothing to compare with yet). Age thresholds take the value in seconds.
 */
export function breaches(threshold: Threshold, value: number, reference: number | null): boolean | undefined {
  if (threshold.type === 'compare' || threshold.type === 'age') return holds(threshold.op, value, threshold.limit);
  if (reference === null || !(reference > 0)) return undefined;
  const change = threshold.type === 'drop' ? (reference - value) / reference : (value - reference) / reference;
  return holds(threshold.op, change, threshold.limit);
}
