import type { Clock, EventBus, GroundworkConfig, IdGenerator, Logger, SecretResolver } from '../core/index.ts';
import type { Database } from '../store/index.ts';
import { chunkDocument } from './chunking/index.ts';
import { createParserPool, type ParserPool, parseLimitsFromConfig } from './parsers/index.ts';
import { runSync, type SyncOptions, type SyncSummary } from './run-sync.ts';
import type { Source } from './sources/source.ts';
import type { Embedder } from './sync/embed-chunks.ts';
import type { ChunkFn, ParseFn } from './sync/prepare-document.ts';
import type { SourceRecord } from './sync/source-registry.ts';

export interface CreateIngestionOptions {
  readonly db: Database;
  readonly events: EventBus;
  readonly logger: Logger;
  /** `governance.governedKinds` decides whether ACL map file edits apply without a request (absent: they do). */
  readonly config: Pick<GroundworkConfig, 'ingest' | 'protect'> & {
    readonly governance?: Pick<GroundworkConfig['governance'], 'governedKinds'>;
  };
  readonly clock?: Clock;
  readonly ids?: IdGenerator;
  /** Absent: lexical-only ingestion. */
  readonly embedder?: Embedder | undefined;
  /** Default: the built-in parsers in a pool of worker threads (crash isolation, per-file timeout). */
  readonly parse?: ParseFn;
  /** Default: the structure-aware chunker. */
  readonly chunk?: ChunkFn;
  readonly openSource?: (record: SourceRecord) => Source | Promise<Source>;
  /** Resolves connectors' `…Env` settings (the platform's secrets); without it they resolve to nothing. */
  readonly secrets?: SecretResolver;
}

/** Ingestion wired to its long-lived resources (the parse worker pool). Close it when done. */
export interface Ingestion {
  /** Syncs one source; see `runSync`. */
  sync(options: SyncOptions): Promise<SyncSummary>;
  /** Stops parse workers and their OCR engines. */
  close(): Promise<void>;
}

export function createIngestion(options: CreateIngestionOptions): Ingestion {
  const { ingest, protect } = options.config;
  let pool: ParserPool | undefined;
  const parse: ParseFn =
    options.parse ??
    ((input) => {
      pool ??= createParserPool({
        size: ingest.concurrency,
        timeoutMs: ingest.parseTimeoutMs,
        pageTimeoutMs: ingest.pageTimeoutMs,
        documentTimeoutMs: ingest.documentTimeoutMs,
      });
      // The sync has hashed the bytes already and needs them no more: move them to the worker, do not copy.
      return pool.parse(input, { timeoutMs: ingest.parseTimeoutMs, transfer: true });
    });
  const chunk: ChunkFn = options.chunk ?? ((document, chunking) => chunkDocument(document, chunking));
  return {
    sync: (syncOptions) =>
      runSync(
        {
          db: options.db,
          events: options.events,
          logger: options.logger,
          ingest,
          protect,
          limits: parseLimitsFromConfig(ingest),
          parse,
          chunk,
          embedder: options.embedder,
          // Governed ACL changes: a file edited on disk is not applied without a `source.acl` request.
          aclMapFiles: options.config.governance?.governedKinds.includes('source.acl') ? 'approved' : 'follow',
          ...(options.clock ? { clock: options.clock } : {}),
          ...(options.ids ? { ids: options.ids } : {}),
          ...(options.openSource ? { openSource: options.openSource } : {}),
          ...(options.secrets ? { secrets: options.secrets } : {}),
        },
        syncOptions,
      ),
    async close() {
      const current = pool;
      pool = undefined;
      await current?.close();
    },
  };
}
