/**
 * Typed lifecycle events of ingestion, for observability (traces, cost of OCR pages and embedding tokens).
 * Every event carries the `runId` of the sync run it belongs to.
 */

/** Counts of one sync run (also the `counts` of its `sync_runs` row). */
export interface SyncCounts {
  added: number;
  updated: number;
  deleted: number;
  unchanged: number;
  renamed: number;
  quarantined: number;
  /** Chunks written by this run. */
  chunks: number;
  /** Documents (including children) written by this run. */
  documents: number;
  /** Pages parsed and pages OCRed by this run. */
  pages: number;
  ocrPages: number;
}

declare module '../../core/events.ts' {
  interface GroundworkEventMap {
    'sync-start': { runId: string; sourceId: string; sourceName: string; trigger: string };
    'document-parsed': {
      runId: string;
      sourceId: string;
      sourceRef: string;
      mediaType: string;
      pages: number;
      ocrPages: number;
      bytes: number;
      durationMs: number;
      warnings: number;
    };
    'document-indexed': {
      runId: string;
      sourceId: string;
      documentId: string;
      sourceRef: string;
      action: 'added' | 'updated' | 'renamed';
      chunks: number;
      principalsDetermined: boolean;
      sensitivity: string;
    };
    'document-deleted': { runId: string; sourceId: string; documentId: string; sourceRef: string };
    'document-quarantined': { runId: string; sourceId: string; sourceRef: string; code: string; message: string };
    'embed-end': {
      runId: string;
      model: string;
      /** Texts sent to the model (cache misses). */
      count: number;
      /** Texts served from the embedding cache. */
      cached: number;
      tokens: number;
      durationMs: number;
    };
    'sync-end': {
      runId: string;
      sourceId: string;
      sourceName: string;
      status: 'succeeded' | 'partial' | 'failed';
      counts: SyncCounts;
      durationMs: number;
      error?: string;
    };
  }
}
