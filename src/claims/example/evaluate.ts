/**
 * Scoring an assessment against the generated ground truth: field-level precision/recall/F1 (a field is right
 * when its value equals the truth after normalisation), fraud indicators per code, outcome and tier.
 */
import type { ClaimAssessment } from '../model.ts';

const norm = (value: unknown) =>
  String(value ?? '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/\.$/, '')
    .trim();
const near = (a: unknown, b: unknown) => typeof a === 'number' && typeof b === 'number' && Math.abs(a - b) < 0.011;

/** Whether an extracted value equals the truth. */
export function sameFieldValue(field: string, predicted: unknown, truth: unknown): boolean {
  if (truth === null || truth === undefined) return predicted === null || predicted === undefined;
  if (predicted === null || predicted === undefined) return false;
  if (typeof truth === 'number') return near(predicted, truth);
  if (typeof truth === 'string') return norm(predicted) === norm(truth);
  if (!Array.isArray(truth) || !Array.isArray(predicted)) return false;
  if (truth.length !== predicted.length) return false;
  const key = (item: unknown): string => {
    if (typeof item !== 'object' || item === null) return norm(item);
    const record = item as Record<string, unknown>;
    if (field === 'parties') return [record.role, record.name, record.address, record.phone].map(norm).join('|');
    if (field === 'vehicles') return [record.year, record.make, record.model, record.vin, record.plate].map(norm).join('|');
    if (field === 'repairLineItems')
      return [norm(record.part), Number(record.labourHours).toFixed(1), Number(record.amount).toFixed(2)].join('|');
    if (field === 'coverages')
      return [
        norm(record.name),
        record.limit === null ? '' : Number(record.limit).toFixed(2),
        record.deductible === null ? '' : Number(record.deductible).toFixed(2),
      ].join('|');
    return JSON.stringify(record);
  };
  const a = predicted.map(key).sort();
  const b = truth.map(key).sort();
  return a.every((value, index) => value === b[index]);
}

export interface FieldCounts {
  tp: number;
  fp: number;
  fn: number;
}

/** Adds one claim's fields to the per-field counts: TP right value, FP a wrong or unwarranted value, FN truth not (rightly) found. */
export function countFields(
  counts: Map<string, FieldCounts>,
  extracted: ClaimAssessment['extracted'],
  truth: Readonly<Record<string, unknown>>,
  fields: readonly string[] = Object.keys(truth),
): void {
  for (const field of fields) {
    const entry = counts.get(field) ?? { tp: 0, fp: 0, fn: 0 };
    const predicted = extracted[field];
    const value = predicted && predicted.status !== 'missing' ? predicted.value : null;
    const expected = truth[field] ?? null;
    if (value !== null && expected !== null && sameFieldValue(field, value, expected)) entry.tp++;
    else {
      if (value !== null) entry.fp++;
      if (expected !== null) entry.fn++;
    }
    counts.set(field, entry);
  }
}

export function prf(counts: FieldCounts): { precision: number; recall: number; f1: number } {
  const precision = counts.tp + counts.fp > 0 ? counts.tp / (counts.tp + counts.fp) : 1;
  const recall = counts.tp + counts.fn > 0 ? counts.tp / (counts.tp + counts.fn) : 1;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1 };
}
