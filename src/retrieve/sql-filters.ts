import type { Caller } from '../core/index.ts';
import { readablePredicate } from '../protect/index.ts';
import type { SearchFilters } from './types.ts';

/** Collects positional parameters for one statement. */
export class Params {
  readonly values: unknown[] = [];
  /** Adds a value and returns its placeholder (`$n`). */
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/**
 * The visibility and filter predicate over `chunks c JOIN documents d`, applied inside every retrieval query
 * before ranking limits: the caller's principals must overlap the chunk's ACL (`&&` on the GIN-indexed
 * `principals` array; an empty ACL is visible to nobody) unless `caller.seesEverything`; deleted documents
 * never match. Returns SQL with placeholders added to `params`.
 */
export function visibilityPredicate(caller: Caller, filters: SearchFilters | undefined, params: Params): string {
  const clauses: string[] = [`d.status <> 'deleted'`];
  if (!caller.seesEverything) clauses.push(readablePredicate('c.principals', caller, (value) => params.add(value)));
  if (filters?.sourceIds) clauses.push(`c.source_id = ANY(${params.add([...filters.sourceIds])}::text[])`);
  if (filters?.sensitivity) clauses.push(`c.sensitivity = ANY(${params.add([...filters.sensitivity])}::text[])`);
  if (filters?.mediaTypes) clauses.push(`d.media_type = ANY(${params.add([...filters.mediaTypes])}::text[])`);
  if (filters?.modifiedAfter) clauses.push(`d.source_modified_at >= ${params.add(filters.modifiedAfter)}::timestamptz`);
  if (filters?.modifiedBefore) clauses.push(`d.source_modified_at <= ${params.add(filters.modifiedBefore)}::timestamptz`);
  if (filters?.metadata && Object.keys(filters.metadata).length > 0) {
    clauses.push(`d.metadata @> ${params.add(JSON.stringify(filters.metadata))}::jsonb`);
  }
  return clauses.join(' AND ');
}

/** True when the predicate restricts more than deleted documents (ACL or any filter). */
export function isRestricted(caller: Caller, filters: SearchFilters | undefined): boolean {
  if (!caller.seesEverything) return true;
  if (!filters) return false;
  return Boolean(
    filters.sourceIds ||
      filters.sensitivity ||
      filters.mediaTypes ||
      filters.modifiedAfter ||
      filters.modifiedBefore ||
      (filters.metadata && Object.keys(filters.metadata).length > 0),
  );
}
