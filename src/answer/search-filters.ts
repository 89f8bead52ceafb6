import { sourceIdsOf } from '../ingest/index.ts';
import type { SearchFilters } from '../retrieve/index.ts';
import type { Queryable } from '../store/index.ts';
import type { UseCase } from './types.ts';

/**
 * The retrieval filters a use case imposes (its sources, media types, sensitivity, dates, metadata): what its
 * answers search within, and what a search "in" the use case (the MCP `search` tool) is limited to.
 */
export async function searchFiltersOfUseCase(db: Queryable, useCase: UseCase): Promise<SearchFilters> {
  const f = useCase.retrieval.filters ?? {};
  const filters: {
    -readonly [K in keyof SearchFilters]: SearchFilters[K];
  } = {};
  if (f.mediaTypes) filters.mediaTypes = f.mediaTypes;
  if (f.sensitivity) filters.sensitivity = f.sensitivity;
  if (f.metadata) filters.metadata = f.metadata;
  if (f.modifiedAfter) filters.modifiedAfter = new Date(f.modifiedAfter);
  if (f.modifiedBefore) filters.modifiedBefore = new Date(f.modifiedBefore);
  // Names or ids; unknown entries match nothing, so a misconfigured use case finds nothing rather than everything.
  if (useCase.sources.length > 0) filters.sourceIds = await sourceIdsOf(db, useCase.sources);
  return filters;
}
