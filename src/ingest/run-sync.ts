import { hostname } from 'node:os';
import {
  type Clock,
  type EventBus,
  type GroundworkConfig,
  GroundworkError,
  type IdGenerator,
  isGroundworkError,
  type Logger,
  newId,
  type SecretResolver,
  systemClock,
  toGroundworkError,
} from '../core/index.ts';
import { loadIdentityMappings } from '../govern/index.ts';
import {
  type AclMap,
  type AclRuleWarning,
  assertNoShadowedRules,
  compilePiiPatterns,
  deriveSensitivity,
  resolveDocumentAccess,
  trackAclRuleUsage,
} from '../protect/index.ts';
import type { Database } from '../store/index.ts';
import type { ParseLimits } from './parsers/index.ts';
import type { FetchedItem, Source, SourceItem, SourceProblem } from './sources/source.ts';
import { backfillInjectionSpans } from './sync/backfill-injection.ts';
import { renameDocument, writeDocument } from './sync/document-writer.ts';
import { type Embedder, embedWithCache } from './sync/embed-chunks.ts';
import type { SyncCounts } from './sync/ingest-events.ts';
import {
  type ChunkFn,
  childSeparator,
  type ParseFn,
  type PrepareContext,
  type PreparedDocument,
  prepareDocument,
  sha256,
} from './sync/prepare-document.ts';
import { clearQuarantine, recordQuarantine } from './sync/quarantine-store.ts';
import { getSource, openSource, readAclMapFile, type SourceRecord } from './sync/source-registry.ts';

/** What a sync needs; built once per platform (see `createIngestion`). */
export interface SyncDeps {
  readonly db: Database;
  readonly events: EventBus;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly ids?: IdGenerator;
  readonly ingest: GroundworkConfig['ingest'];
  readonly protect: GroundworkConfig['protect'];
  readonly limits: ParseLimits;
  readonly parse: ParseFn;
  readonly chunk: ChunkFn;
  /** Absent: lexical-only ingestion (no embeddings). */
  readonly embedder?: Embedder | undefined;
  /** Opens the connector of a stored source; default: by its type. Tests substitute one. */
  readonly openSource?: (record: SourceRecord) => Source | Promise<Source>;
  /** Resolves connectors' `…Env` settings (the platform's secrets); without it they resolve to nothing. */
  readonly secrets?: SecretResolver;
  /**
   * How a sync treats a source's ACL map file: `follow` re-reads it and applies edits at the next sync;
   * `approved` (when `source.acl` changes are governed) applies the stored, approved copy and reports a file
   * that differs from it as a warning — an edit on disk must not change who may read what without a request.
   * Default `follow`.
   */
  readonly aclMapFiles?: 'follow' | 'approved';
}

/** Progress of a running sync, for progress bars. `total` is known once the listing is complete. */
export interface SyncProgress {
  readonly listed: number;
  readonly done: number;
  readonly total: number | undefined;
  readonly current?: string;
}

export interface SyncOptions {
  /** Source name or id. */
  readonly source: string;
  /** What started the run (`cli`, `worker`, `api`); stored on the run. */
  readonly trigger?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: SyncProgress) => void;
}

/** A file that went to quarantine (or stayed there) in a run. */
export interface QuarantinedFile {
  readonly path: string;
  readonly code: string;
  readonly message: string;
}

/** The result of one sync (`groundwork sync --json`). */
export interface SyncSummary {
  readonly runId: string;
  readonly source: string;
  readonly sourceId: string;
  readonly status: 'succeeded' | 'partial';
  readonly added: number;
  readonly updated: number;
  readonly deleted: number;
  readonly unchanged: number;
  readonly renamed: number;
  readonly quarantined: readonly QuarantinedFile[];
  readonly chunks: number;
  readonly documents: number;
  readonly pages: number;
  readonly ocrPages: number;
  readonly durationMs: number;
  /** ACL rules that matched files of this run but decided none of them (a later rule replaced them). */
  readonly aclWarnings: readonly AclRuleWarning[];
  /**
   * Documents of the source (after the run) that no principal may read — only the local operator on the
   * server sees them: no ACL map rule, default, sidecar or `--readable-by` decided who may.
   */
  readonly unreadableDocuments: number;
  /**
   * Set when the ACL map file differs from the approved copy (`aclMapFiles: approved`): the sync applied the
   * approved copy; the edit needs a `source.acl` change request.
   */
  readonly aclMapDrift?: { readonly path: string; readonly message: string };
}

interface ExistingDocument {
  readonly id: string;
  readonly ref: string;
  readonly version: string | null;
  readonly sidecarVersion: string | null;
  readonly contentHash: string | null;
  readonly fingerprint: string | null;
  readonly status: string;
}

/**
 * Bump when the pipeline's output for the same input changes (forces re-processing of every document).
 * 2: PII detection finds names, places, organisations, addresses and more identifiers, so chunk spans,
 *    documents' PII summaries and sensitivity labels change for unchanged files.
 */
const pipelineVersion = 2;

/** A run whose process is on another host counts as dead after this long without a heartbeat. */
const staleAfterMs = 120_000;
const heartbeatEveryMs = 5_000;

/** What a source's listing found, for the steps after it (renames, deletions, problems). */
interface Listing {
  readonly seen: Set<string>;
  /** New refs held back until the listing ends: each may be a rename of a document that disappeared. */
  readonly newItems: SourceItem[];
  /** Explicit deletions (incremental sources only). */
  readonly deletedRefs: Set<string>;
  readonly unreadableDirs: string[];
  readonly problems: SourceProblem[];
}

/** Everything one run's steps share: the source, its pipeline settings, counters and the per-file queue. */
interface SyncRun {
  readonly deps: SyncDeps;
  readonly options: SyncOptions;
  readonly db: Database;
  readonly events: EventBus;
  readonly ids: IdGenerator;
  readonly clock: Clock;
  readonly record: SourceRecord;
  readonly runId: string;
  /** performance.now() at the start. */
  readonly started: number;
  readonly counts: SyncCounts;
  readonly quarantinedFiles: QuarantinedFile[];
  readonly tasks: TaskQueue;
  readonly progress: ProgressState;
  heartbeatAt: number;
}

/** A run's pipeline: the ACL map in force, its fingerprint, and how files are prepared. */
interface Pipeline {
  readonly aclMap: AclMap | undefined;
  /** The ACL map file differs from the approved copy (not applied). */
  readonly aclMapDrift: { readonly path: string; readonly message: string } | undefined;
  readonly fingerprint: string;
  readonly prepareContext: PrepareContext;
  readonly source: Source;
  readonly existing: Map<string, ExistingDocument>;
  readonly quarantine: Map<string, { version: string | null; code: string; message: string }>;
}

interface ProgressState {
  listed: number;
  done: number;
  listingComplete: boolean;
}

/** Bounded concurrency over the per-file work; the first error of any task fails the run. */
interface TaskQueue {
  readonly inFlight: Set<Promise<void>>;
  schedule(work: () => Promise<void>): Promise<void>;
  drain(): Promise<void>;
}

/**
 * Syncs one source: lists it, plans (new / changed / unchanged / renamed / deleted), and processes each new
 * or changed file — parse (isolated, with a timeout) → principals → chunk → PII → sensitivity → embed →
 * write in one transaction. Bad files go to quarantine and the run goes on. Idempotent: a re-run of an
 * unchanged source reads no file. Safe to kill at any point: every write is one transaction, deletions only
 * follow a complete listing, and the next run marks the dead run `interrupted`.
 *
 * The steps, in order: `openRun` → `preparePipeline` → `listAndProcess` → `processNewItems` (renames and new
 * files) → `applyDeletions` → `finishRun`; `failRun` records a run that threw.
 *
 * @throws GroundworkError `ingest.sync_running` (another live run of this source), `ingest.source_not_found`,
 *   `ingest.source_unavailable`; anything unexpected fails the run (status `failed`) and is rethrown.
 */
export async function runSync(deps: SyncDeps, options: SyncOptions): Promise<SyncSummary> {
  const run = await openRun(deps, options);
  let opened: Source | undefined;
  try {
    const pipeline = await preparePipeline(run);
    opened = pipeline.source;
    const ruleUsage = trackAclRuleUsage(pipeline.aclMap);
    const listing = await listAndProcess(run, pipeline, ruleUsage);
    const missing = missingDocuments(pipeline, listing);
    const renamedIds = await processNewItems(run, pipeline, listing, missing);
    await run.tasks.drain();
    await applyDeletions(run, pipeline, listing, missing, renamedIds);
    // Chunks indexed before the prompt-injection detector existed get their spans (text scan only).
    await backfillInjectionSpans(run.db, run.record.id, options.signal);
    return await finishRun(run, ruleUsage.warnings(), pipeline.aclMapDrift);
  } catch (error) {
    await failRun(run, error);
    throw error;
  } finally {
    await opened?.close?.().catch(() => {});
  }
}

/** Step 1: loads the source, registers the run (refusing a second live one) and announces it. */
async function openRun(deps: SyncDeps, options: SyncOptions): Promise<SyncRun> {
  const ids = deps.ids ?? newId;
  const started = performance.now();
  const record = await getSource(deps.db, options.source);
  const runId = ids('run');
  const trigger = options.trigger ?? 'cli';
  await startRun(deps.db, record, runId, trigger);
  deps.events.publish('sync-start', { runId, sourceId: record.id, sourceName: record.name, trigger });
  const progress: ProgressState = { listed: 0, done: 0, listingComplete: false };
  const run: SyncRun = {
    deps,
    options,
    db: deps.db,
    events: deps.events,
    ids,
    clock: deps.clock ?? systemClock,
    record,
    runId,
    started,
    counts: {
      added: 0,
      updated: 0,
      deleted: 0,
      unchanged: 0,
      renamed: 0,
      quarantined: 0,
      chunks: 0,
      documents: 0,
      pages: 0,
      ocrPages: 0,
    },
    quarantinedFiles: [],
    // Per-file work in progress; awaited before the run is marked failed or interrupted.
    tasks: createTaskQueue(Math.max(1, deps.ingest.concurrency), options.signal, () => {
      progress.done += 1;
      reportProgress(run);
    }),
    progress,
    heartbeatAt: Date.now(),
  };
  return run;
}

function reportProgress(run: SyncRun, current?: string): void {
  const { listed, done, listingComplete } = run.progress;
  run.options.onProgress?.({ listed, done, total: listingComplete ? listed : undefined, ...(current ? { current } : {}) });
}

/** Records the run's counts every few seconds, so a live run is told apart from a dead one. */
async function heartbeat(run: SyncRun): Promise<void> {
  if (Date.now() - run.heartbeatAt < heartbeatEveryMs) return;
  run.heartbeatAt = Date.now();
  await run.db.query('UPDATE sync_runs SET heartbeat_at = now(), counts = $2 WHERE id = $1', [
    run.runId,
    JSON.stringify(run.counts),
  ]);
}

function createTaskQueue(concurrency: number, signal: AbortSignal | undefined, onDone: () => void): TaskQueue {
  const inFlight = new Set<Promise<void>>();
  let fatal: unknown;
  return {
    inFlight,
    async schedule(work) {
      while (inFlight.size >= concurrency) await Promise.race(inFlight);
      if (fatal) throw fatal;
      if (signal?.aborted) throw abortedRun();
      const task = work()
        .catch((error: unknown) => {
          fatal ??= error;
        })
        .finally(() => {
          inFlight.delete(task);
          onDone();
        });
      inFlight.add(task);
    },
    async drain() {
      while (inFlight.size > 0) await Promise.race(inFlight);
      if (fatal) throw fatal;
    },
  };
}

/** Step 2: the ACL map in force, the pipeline fingerprint, the connector, and what is indexed already. */
async function preparePipeline(run: SyncRun): Promise<Pipeline> {
  const { deps, record, runId, counts, events } = run;
  const { aclMap, drift } = await currentAclMap(run.db, record, deps.logger, deps.aclMapFiles ?? 'follow');
  // Identity mappings (govern) decide principals too: a mapping change re-decides documents at the next sync.
  const identityMappings = await loadIdentityMappings(run.db);
  const fingerprint = sha256(
    JSON.stringify({
      pipelineVersion,
      aclMap: aclMap ?? null,
      readableBy: record.settings.readableBy ?? null,
      ...(identityMappings.version > 0 ? { identityMappings: identityMappings.version } : {}),
      chunking: deps.ingest.chunking,
      piiPatterns: deps.ingest.piiPatterns,
      protect: deps.protect,
      embedding: deps.embedder ? [deps.embedder.model, deps.embedder.dimensions] : null,
    }),
  );
  const prepareContext: PrepareContext = {
    parse: deps.parse,
    chunk: deps.chunk,
    limits: deps.limits,
    chunking: { ...deps.ingest.chunking, maxChunks: deps.ingest.maxChunksPerDocument },
    aclMap,
    readableBy: record.settings.readableBy,
    identityMappings,
    piiPatterns: Object.keys(deps.ingest.piiPatterns).length > 0 ? compilePiiPatterns(deps.ingest.piiPatterns) : undefined,
    sensitivityRules: deps.protect.sensitivityRules,
    defaultSensitivity: deps.protect.defaultSensitivity,
    piiSensitivity: deps.protect.piiSensitivity,
    onParsed: ({ ref, document, bytes, durationMs }) => {
      counts.pages += document.stats.pages;
      counts.ocrPages += document.stats.ocrPages;
      events.publish('document-parsed', {
        runId,
        sourceId: record.id,
        sourceRef: ref,
        mediaType: document.mediaType,
        pages: document.stats.pages,
        ocrPages: document.stats.ocrPages,
        bytes,
        durationMs: Math.round(durationMs),
        warnings: document.warnings.length,
      });
    },
  };
  const source = await (
    deps.openSource ??
    ((r: SourceRecord) =>
      openSource(r, {
        maxFileBytes: deps.ingest.maxFileBytes,
        logger: deps.logger,
        // Without the platform's secrets (a bare ingestion in a test), `…Env` settings resolve to nothing.
        secrets: deps.secrets ?? (() => undefined),
        ...(deps.clock ? { clock: deps.clock } : {}),
        ...(run.options.signal ? { signal: run.options.signal } : {}),
      }))
  )(record);
  const existing = await loadExisting(run.db, record.id);
  const quarantine = await loadQuarantine(run.db, record.id);
  return { aclMap, aclMapDrift: drift, fingerprint, prepareContext, source, existing, quarantine };
}

/** Puts one file (or listing problem) in quarantine and counts it. */
async function quarantineFile(run: SyncRun, ref: string, error: unknown, version: string | null): Promise<void> {
  const failure = isGroundworkError(error) ? error : toGroundworkError(error);
  // A bug in a parser or an unexpected error reading one file is that file's problem, not the run's.
  const code = failure.code === 'internal.unexpected' ? 'parse.crashed' : failure.code;
  const message = failure.fix ? `${failure.message} Fix: ${failure.fix}` : failure.message;
  await recordQuarantine(run.db, run.ids, { sourceId: run.record.id, ref, code, message, version, runId: run.runId });
  run.counts.quarantined += 1;
  run.quarantinedFiles.push({ path: ref, code, message });
  run.events.publish('document-quarantined', { runId: run.runId, sourceId: run.record.id, sourceRef: ref, code, message });
}

/** Embeds a prepared document's chunks (cached by content hash); undefined without an embedding model. */
async function embedPrepared(run: SyncRun, prepared: PreparedDocument): Promise<Map<string, string> | undefined> {
  const { embedder } = run.deps;
  if (!embedder) return undefined;
  const all = collectChunks(prepared);
  const embedStarted = performance.now();
  const result = await embedWithCache(run.db, embedder, all, run.options.signal);
  run.events.publish('embed-end', {
    runId: run.runId,
    model: embedder.model,
    count: result.computed,
    cached: result.cached,
    tokens: result.tokens,
    durationMs: Math.round(performance.now() - embedStarted),
  });
  return new Map(all.map((chunk, i) => [chunk.contentHash, result.vectors[i] as string]));
}

/** Writes a prepared document (embedded first) and its members' failures in one transaction. */
async function writePrepared(
  run: SyncRun,
  pipeline: Pipeline,
  item: SourceItem,
  fetched: FetchedItem,
  prepared: PreparedDocument,
  existingId: string | undefined,
): Promise<void> {
  const { record, runId, counts, events } = run;
  const vectors = await embedPrepared(run, prepared);
  const written = await run.db.transaction(async (tx) => {
    const result = await writeDocument(
      tx,
      {
        sourceId: record.id,
        runId,
        ref: item.ref,
        uri: item.uri,
        version: item.version,
        sidecarVersion: item.sidecarVersion,
        sidecar: fetched.sidecar,
        modifiedAt: item.modifiedAt,
        fingerprint: pipeline.fingerprint,
        existingId,
      },
      prepared,
      vectors,
      run.ids,
    );
    await clearQuarantine(tx, record.id, [item.ref]);
    for (const failure of prepared.childFailures) {
      await recordQuarantine(tx, run.ids, { sourceId: record.id, ...failure, version: item.version, runId });
    }
    return result;
  });
  for (const failure of prepared.childFailures) {
    counts.quarantined += 1;
    run.quarantinedFiles.push({ path: failure.ref, code: failure.code, message: failure.message });
    events.publish('document-quarantined', { runId, sourceId: record.id, sourceRef: failure.ref, ...failure });
  }
  counts.chunks += written.chunks;
  counts.documents += written.documents;
  const action = existingId ? 'updated' : 'added';
  counts[action] += 1;
  events.publish('document-indexed', {
    runId,
    sourceId: record.id,
    documentId: written.documentId,
    sourceRef: item.ref,
    action,
    chunks: written.chunks,
    principalsDetermined: prepared.principalsDetermined,
    sensitivity: prepared.sensitivity,
  });
}

/** Fetches an item; undefined when it is gone (next sync) or went to quarantine. */
async function fetchItem(run: SyncRun, pipeline: Pipeline, item: SourceItem): Promise<FetchedItem | undefined> {
  try {
    return await pipeline.source.fetch(item.ref);
  } catch (error) {
    if (isGroundworkError(error) && error.code === 'ingest.not_found') return undefined; // gone mid-run: next sync
    await quarantineFile(run, item.ref, error, item.version);
    return undefined;
  }
}

/** Parses and prepares a fetched file; undefined when it went to quarantine. */
async function prepareItem(run: SyncRun, pipeline: Pipeline, item: SourceItem, fetched: FetchedItem) {
  try {
    return await prepareDocument(pipeline.prepareContext, { ref: item.ref, bytes: fetched.bytes, sidecar: fetched.sidecar });
  } catch (error) {
    // A changed file that no longer parses keeps its previous version searchable; the entry says why.
    await quarantineFile(run, item.ref, error, item.version);
    return undefined;
  }
}

/** New or changed file: fetch, confirm the change by hash, process. */
async function processItem(
  run: SyncRun,
  pipeline: Pipeline,
  item: SourceItem,
  doc: ExistingDocument | undefined,
  fetchedAlready?: FetchedItem,
): Promise<void> {
  const fetched = fetchedAlready ?? (await fetchItem(run, pipeline, item));
  if (!fetched) return;
  const hash = sha256(fetched.bytes);
  if (
    doc &&
    doc.status === 'indexed' &&
    doc.contentHash === hash &&
    doc.fingerprint === pipeline.fingerprint &&
    (doc.sidecarVersion ?? undefined) === item.sidecarVersion
  ) {
    // Touched but not changed (copied back, mtime bumped): remember the new version, skip the work.
    await run.db.query('UPDATE documents SET version = $2, source_modified_at = $3 WHERE id = $1', [
      doc.id,
      item.version,
      item.modifiedAt,
    ]);
    if (pipeline.quarantine.has(item.ref)) await clearQuarantine(run.db, run.record.id, [item.ref]);
    run.counts.unchanged += 1;
    return;
  }
  const prepared = await prepareItem(run, pipeline, item, fetched);
  if (!prepared) return;
  await writePrepared(run, pipeline, item, fetched, prepared, doc?.id);
  await heartbeat(run);
}

/** Step 3: lists the source, processing changed files while listing; new files wait for its end. */
async function listAndProcess(
  run: SyncRun,
  pipeline: Pipeline,
  ruleUsage: ReturnType<typeof trackAclRuleUsage>,
): Promise<Listing> {
  const { record, progress, counts } = run;
  const listing: Listing = { seen: new Set(), newItems: [], deletedRefs: new Set(), unreadableDirs: [], problems: [] };
  const onProblem = (problem: SourceProblem) => {
    listing.problems.push(problem);
    if (problem.code === 'ingest.unreadable') listing.unreadableDirs.push(problem.ref);
  };
  for await (const change of pipeline.source.listChanges(record.cursor, onProblem)) {
    if (run.options.signal?.aborted) throw abortedRun();
    if (change.kind === 'checkpoint') {
      progress.listingComplete = true;
      await run.db.query('UPDATE sources SET cursor = $2 WHERE id = $1', [record.id, JSON.stringify(change.cursor)]);
      continue;
    }
    if (change.kind === 'delete') {
      listing.deletedRefs.add(change.ref); // incremental sources only; full snapshots imply deletions by absence
      continue;
    }
    const item = change.item;
    progress.listed += 1;
    listing.seen.add(item.ref);
    ruleUsage.observe(item.ref);
    const doc = pipeline.existing.get(item.ref);
    const quarantined = pipeline.quarantine.get(item.ref);
    if (
      doc &&
      doc.status === 'indexed' &&
      doc.version === item.version &&
      (doc.sidecarVersion ?? undefined) === item.sidecarVersion &&
      doc.fingerprint === pipeline.fingerprint &&
      !quarantined
    ) {
      counts.unchanged += 1;
      progress.done += 1;
      await heartbeat(run);
      if (progress.listed % 200 === 0) reportProgress(run, item.ref);
      continue;
    }
    if (quarantined && quarantined.version !== null && quarantined.version === item.version) {
      // Failed before in this exact version: do not pay for it again (see `groundwork quarantine retry`).
      counts.quarantined += 1;
      run.quarantinedFiles.push({ path: item.ref, code: quarantined.code, message: quarantined.message });
      progress.done += 1;
      continue;
    }
    if (!doc) {
      // With nothing indexed yet (a first ingest) no file can be a rename: process it now, overlapping with
      // the listing. Otherwise wait for the listing's end: it may be a rename of a document that disappeared.
      if (pipeline.existing.size === 0) await run.tasks.schedule(() => processItem(run, pipeline, item, undefined));
      else listing.newItems.push(item);
      continue;
    }
    await run.tasks.schedule(() => processItem(run, pipeline, item, doc));
    await heartbeat(run);
  }
  if (!progress.listingComplete)
    throw new GroundworkError('ingest.listing_incomplete', `The listing of source ${record.name} ended early.`, {
      category: 'unavailable',
      isRetryable: true,
      fix: 'Run the sync again; nothing was deleted.',
    });
  reportProgress(run);
  return listing;
}

/** Indexed documents the listing no longer has. Incremental sources: explicit deletions; snapshots: absence. */
function missingDocuments(pipeline: Pipeline, listing: Listing): ExistingDocument[] {
  return [...pipeline.existing.values()].filter((doc) =>
    pipeline.source.capabilities.incremental
      ? listing.deletedRefs.has(doc.ref) && !listing.seen.has(doc.ref)
      : !listing.seen.has(doc.ref) && !listing.unreadableDirs.some((dir) => doc.ref.startsWith(`${dir}/`)),
  );
}

/**
 * Step 4: the files new to this listing. One whose content equals a missing document's is a rename (kept in
 * place when its new path grants the same access and sensitivity, processed again under the old id
 * otherwise); the rest are processed as new. Returns the ids of the documents that were renamed.
 */
async function processNewItems(
  run: SyncRun,
  pipeline: Pipeline,
  listing: Listing,
  missing: readonly ExistingDocument[],
): Promise<Set<string>> {
  const missingByHash = new Map<string, ExistingDocument>();
  for (const doc of missing) if (doc.contentHash && doc.status === 'indexed') missingByHash.set(doc.contentHash, doc);
  const renamedIds = new Set<string>();
  for (const item of listing.newItems) {
    await run.tasks.schedule(async () => {
      if (missingByHash.size === 0) return processItem(run, pipeline, item, undefined);
      const fetched = await fetchItem(run, pipeline, item);
      if (!fetched) return;
      const old = missingByHash.get(sha256(fetched.bytes));
      if (!old) return processItem(run, pipeline, item, undefined, fetched);
      missingByHash.delete(old.contentHash as string); // synchronously: two copies of one file cannot claim the same document
      renamedIds.add(old.id);
      if (!(await renameItem(run, pipeline, item, fetched, old))) renamedIds.delete(old.id); // the old document goes
    });
  }
  return renamedIds;
}

/** A rename: in place when possible, else processed again under the old id. False when it went to quarantine. */
async function renameItem(
  run: SyncRun,
  pipeline: Pipeline,
  item: SourceItem,
  fetched: FetchedItem,
  old: ExistingDocument,
): Promise<boolean> {
  const { record, runId } = run;
  const fast =
    old.fingerprint === pipeline.fingerprint
      ? await canRenameInPlace(run.db, pipeline.prepareContext, old, item, fetched)
      : undefined;
  if (fast) {
    await run.db.transaction((tx) =>
      renameDocument(tx, old.id, old.ref, {
        sourceId: record.id,
        runId,
        ref: item.ref,
        uri: item.uri,
        version: item.version,
        sidecarVersion: item.sidecarVersion,
        modifiedAt: item.modifiedAt,
      }),
    );
    run.counts.renamed += 1;
    run.events.publish('document-indexed', {
      runId,
      sourceId: record.id,
      documentId: old.id,
      sourceRef: item.ref,
      action: 'renamed',
      chunks: 0,
      principalsDetermined: fast.determined,
      sensitivity: fast.sensitivity,
    });
    return true;
  }
  // The new place changes who may read it or how sensitive it is: process it again under the old id.
  const prepared = await prepareItem(run, pipeline, item, fetched);
  if (!prepared) return false; // the new path is quarantined
  await writePrepared(run, pipeline, item, fetched, prepared, old.id);
  run.counts.updated -= 1;
  run.counts.renamed += 1;
  return true;
}

/**
 * Step 5 (only after a complete listing): deletes the missing documents that were not renamed, drops
 * quarantine entries of files that are gone, and quarantines the listing's problems.
 */
async function applyDeletions(
  run: SyncRun,
  pipeline: Pipeline,
  listing: Listing,
  missing: readonly ExistingDocument[],
  renamedIds: ReadonlySet<string>,
): Promise<void> {
  const { record, runId } = run;
  const gone = missing.filter((doc) => !renamedIds.has(doc.id));
  for (let start = 0; start < gone.length; start += 500) {
    const slice = gone.slice(start, start + 500);
    // Chunks and children cascade; the lexical postings follow through triggers on chunks.
    await run.db.query('DELETE FROM documents WHERE id = ANY($1::text[])', [slice.map((doc) => doc.id)]);
    for (const doc of slice)
      run.events.publish('document-deleted', { runId, sourceId: record.id, documentId: doc.id, sourceRef: doc.ref });
  }
  run.counts.deleted = gone.length;
  const staleQuarantine = [...pipeline.quarantine.keys()].filter((ref) => {
    const top = ref.split(childSeparator)[0] as string;
    if (pipeline.source.capabilities.incremental) return listing.deletedRefs.has(top);
    return (
      !listing.seen.has(top) &&
      !listing.unreadableDirs.some((dir) => top.startsWith(`${dir}/`)) &&
      !listing.problems.some((p) => p.ref === ref)
    );
  });
  if (staleQuarantine.length > 0) {
    await run.db.query('DELETE FROM quarantine WHERE source_id = $1 AND source_ref = ANY($2::text[])', [
      record.id,
      staleQuarantine,
    ]);
  }
  for (const problem of listing.problems) {
    await quarantineFile(run, problem.ref, new GroundworkError(problem.code, problem.message, { fix: problem.fix }), null);
  }
}

/** Step 6: records the finished run on the run and the source, announces it, and returns the summary. */
async function finishRun(
  run: SyncRun,
  aclWarnings: readonly AclRuleWarning[],
  aclMapDrift: Pipeline['aclMapDrift'],
): Promise<SyncSummary> {
  const { db, record, runId, counts, clock } = run;
  const status = counts.quarantined > 0 ? 'partial' : 'succeeded';
  const durationMs = Math.round(performance.now() - run.started);
  for (const warning of aclWarnings)
    run.deps.logger.warn('ACL rule never decides', { source: record.name, rule: warning.ruleIndex });
  const unreadable = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM documents WHERE source_id = $1 AND principals = '{}'`,
    [record.id],
  );
  const unreadableDocuments = unreadable.rows[0]?.n ?? 0;
  await db.query(`UPDATE sync_runs SET status = $2, finished_at = $3, counts = $4, acl_warnings = $5 WHERE id = $1`, [
    runId,
    status,
    clock.now(),
    JSON.stringify({ ...counts, durationMs, unreadableDocuments, ...(aclMapDrift ? { aclMapDrift } : {}) }),
    JSON.stringify(aclWarnings),
  ]);
  await db.query('UPDATE sources SET last_sync_at = $2, last_success_at = $2, updated_at = $2 WHERE id = $1', [
    record.id,
    clock.now(),
  ]);
  run.events.publish('sync-end', { runId, sourceId: record.id, sourceName: record.name, status, counts, durationMs });
  return {
    runId,
    source: record.name,
    sourceId: record.id,
    status,
    added: counts.added,
    updated: counts.updated,
    deleted: counts.deleted,
    unchanged: counts.unchanged,
    renamed: counts.renamed,
    quarantined: run.quarantinedFiles,
    chunks: counts.chunks,
    documents: counts.documents,
    pages: counts.pages,
    ocrPages: counts.ocrPages,
    durationMs,
    aclWarnings,
    unreadableDocuments,
    ...(aclMapDrift ? { aclMapDrift } : {}),
  };
}

/** A run that threw: lets files being written finish, then records it `failed` (or `interrupted`). */
async function failRun(run: SyncRun, error: unknown): Promise<void> {
  const { db, record, runId, counts, clock } = run;
  // Let files already being written finish (each is one transaction either way), then record the run.
  await Promise.allSettled([...run.tasks.inFlight]);
  const failure = toGroundworkError(error);
  const aborted = failure.code === 'ingest.aborted';
  const durationMs = Math.round(performance.now() - run.started);
  await db
    .query('UPDATE sync_runs SET status = $2, finished_at = $3, counts = $4, error = $5 WHERE id = $1', [
      runId,
      aborted ? 'interrupted' : 'failed',
      clock.now(),
      JSON.stringify({ ...counts, durationMs }),
      `${failure.code}: ${failure.message}`,
    ])
    .catch(() => {});
  await db.query('UPDATE sources SET last_sync_at = $2 WHERE id = $1', [record.id, clock.now()]).catch(() => {});
  // A connector that reports its stored cursor as expired (a Graph 410, a stale delta token) lists in full next
  // time; nothing was deleted by this run (deletions only follow a complete listing).
  if (failure.code === 'ingest.cursor_expired')
    await db.query('UPDATE sources SET cursor = NULL WHERE id = $1', [record.id]).catch(() => {});
  run.events.publish('sync-end', {
    runId,
    sourceId: record.id,
    sourceName: record.name,
    status: 'failed',
    counts,
    durationMs,
    error: failure.code,
  });
}

function abortedRun(): GroundworkError {
  return new GroundworkError('ingest.aborted', 'The sync was stopped before it finished.', {
    category: 'unavailable',
    isRetryable: true,
    fix: 'Run the sync again: it continues where this one stopped (finished documents are not processed again).',
  });
}

function collectChunks(doc: PreparedDocument): { contentHash: string; text: string }[] {
  const out = doc.chunks.map((chunk) => ({ contentHash: chunk.contentHash, text: chunk.text }));
  for (const child of doc.children) out.push(...collectChunks(child));
  return out;
}

/** Registers the run, after marking runs of this source whose process is gone as `interrupted`. */
async function startRun(db: Database, record: SourceRecord, runId: string, trigger: string): Promise<void> {
  const host = hostname();
  await db.transaction(async (tx) => {
    await tx.query('SELECT id FROM sources WHERE id = $1 FOR UPDATE', [record.id]);
    const running = await tx.query<{
      id: string;
      pid: number | null;
      host: string | null;
      heartbeat_at: Date | null;
      started_at: Date;
    }>(`SELECT id, pid, host, heartbeat_at, started_at FROM sync_runs WHERE source_id = $1 AND status = 'running'`, [record.id]);
    for (const run of running.rows) {
      const lastSign = (run.heartbeat_at ?? run.started_at).getTime();
      const alive = run.host === host && run.pid !== null ? processAlive(run.pid) : Date.now() - lastSign < staleAfterMs;
      if (alive) {
        throw new GroundworkError('ingest.sync_running', `Source ${record.name} is already being synced (run ${run.id}).`, {
          category: 'conflict',
          isRetryable: true,
          fix: 'Wait for that run to finish (groundwork status shows it), then sync again.',
        });
      }
      await tx.query(
        `UPDATE sync_runs SET status = 'interrupted', finished_at = now(),
           error = 'the process running this sync stopped before it finished' WHERE id = $1`,
        [run.id],
      );
    }
    await tx.query(
      `INSERT INTO sync_runs (id, source_id, status, pid, host, heartbeat_at, trigger) VALUES ($1, $2, 'running', $3, $4, now(), $5)`,
      [runId, record.id, process.pid, host, trigger],
    );
  });
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The ACL map in force for a sync, and a file edit it did not apply (`aclMapFiles: approved`). */
interface CurrentAclMap {
  readonly aclMap: AclMap | undefined;
  readonly drift?: { readonly path: string; readonly message: string };
}

/**
 * The ACL map to apply. With `follow`, re-read from its file when the source has one (edits apply at the
 * next sync). With `approved`, the stored copy — what the last `source.acl` change (approved or made by the
 * trusted operator) stored — and a file that differs from it is reported, not applied.
 */
async function currentAclMap(
  db: Database,
  record: SourceRecord,
  logger: Logger,
  mode: 'follow' | 'approved',
): Promise<CurrentAclMap> {
  const path = record.settings.aclMapPath;
  if (!path) {
    // A map stored before shadowed rules were refused is refused now, like the same map read from a file.
    if (record.aclMap) assertNoShadowedRules(record.aclMap, `ACL map of source ${record.name}`);
    return { aclMap: record.aclMap };
  }
  try {
    const { aclMap } = await readAclMapFile(path);
    const changed = JSON.stringify(aclMap) !== JSON.stringify(record.aclMap ?? null);
    if (changed && mode === 'approved' && record.aclMap) {
      // The approved copy stays in force; the edit is reported with the command that turns it into a request.
      // (A file that no longer parses fails the sync as in `follow` mode: fix it.)
      assertNoShadowedRules(record.aclMap, `ACL map of source ${record.name} (approved copy of ${path})`);
      const message = `file ${path} differs from the approved copy: this sync applied the approved copy. Request the edit with \`groundwork sources acl-map ${record.name} ${path}\` (a source.acl change request) or restore the file.`;
      logger.warn('ACL map file differs from the approved copy; applying the approved copy', { source: record.name, path });
      return { aclMap: record.aclMap, drift: { path, message } };
    }
    if (changed) {
      await db.query('UPDATE sources SET acl_map = $2, updated_at = now() WHERE id = $1', [record.id, JSON.stringify(aclMap)]);
    }
    return { aclMap };
  } catch (error) {
    if (isGroundworkError(error) && error.code === 'ingest.acl_map_unreadable' && record.aclMap) {
      logger.warn('ACL map file unreadable; using the stored copy', { source: record.name, path });
      assertNoShadowedRules(record.aclMap, `ACL map of source ${record.name} (stored copy of ${path})`);
      return { aclMap: record.aclMap };
    }
    throw error;
  }
}

async function loadExisting(db: Database, sourceId: string): Promise<Map<string, ExistingDocument>> {
  const result = await db.query<{
    id: string;
    source_ref: string;
    version: string | null;
    sidecar_version: string | null;
    content_hash: string | null;
    pipeline_fingerprint: string | null;
    status: string;
  }>(
    `SELECT id, source_ref, version, sidecar_version, content_hash, pipeline_fingerprint, status
     FROM documents WHERE source_id = $1 AND parent_id IS NULL`,
    [sourceId],
  );
  const map = new Map<string, ExistingDocument>();
  for (const row of result.rows) {
    map.set(row.source_ref, {
      id: row.id,
      ref: row.source_ref,
      version: row.version,
      sidecarVersion: row.sidecar_version,
      contentHash: row.content_hash,
      fingerprint: row.pipeline_fingerprint,
      status: row.status,
    });
  }
  return map;
}

async function loadQuarantine(
  db: Database,
  sourceId: string,
): Promise<Map<string, { version: string | null; code: string; message: string }>> {
  const result = await db.query<{ source_ref: string; version: string | null; error_code: string; message: string }>(
    'SELECT source_ref, version, error_code, message FROM quarantine WHERE source_id = $1',
    [sourceId],
  );
  return new Map(
    result.rows.map((row) => [row.source_ref, { version: row.version, code: row.error_code, message: row.message }]),
  );
}

/**
 * A renamed file keeps its index entries when its new place grants the same principals and the same
 * sensitivity (ACL rules and sensitivity rules are path based) and its sidecar is unchanged.
 */
async function canRenameInPlace(
  db: Database,
  context: PrepareContext,
  old: ExistingDocument,
  item: SourceItem,
  fetched: FetchedItem,
): Promise<{ determined: boolean; sensitivity: string } | undefined> {
  if ((old.sidecarVersion ?? undefined) !== item.sidecarVersion) return undefined;
  const stored = await db.query<{
    principals: string[];
    principals_determined: boolean;
    sensitivity: string;
    pii_summary: Record<string, number>;
    metadata: Record<string, unknown>;
    pipeline_fingerprint: string | null;
  }>(
    'SELECT principals, principals_determined, sensitivity, pii_summary, metadata, pipeline_fingerprint FROM documents WHERE id = $1',
    [old.id],
  );
  const row = stored.rows[0];
  if (!row) return undefined;
  const sidecarPrincipals = Array.isArray(fetched.sidecar?.principals)
    ? (fetched.sidecar.principals as unknown[]).filter((p): p is string => typeof p === 'string')
    : undefined;
  const access = resolveDocumentAccess({
    aclMap: context.aclMap,
    path: item.ref,
    sidecarPrincipals,
    readableBy: context.readableBy,
    identityMappings: context.identityMappings,
  });
  const sensitivity = deriveSensitivity({
    piiCounts: row.pii_summary,
    path: item.ref,
    metadata: row.metadata,
    rules: context.sensitivityRules,
    defaultLabel: context.defaultSensitivity,
    piiSensitivity: context.piiSensitivity,
  });
  const samePrincipals = JSON.stringify([...row.principals].sort()) === JSON.stringify(access.principals);
  if (!samePrincipals || row.principals_determined !== access.determined || row.sensitivity !== sensitivity.label)
    return undefined;
  return { determined: access.determined, sensitivity: sensitivity.label };
}
