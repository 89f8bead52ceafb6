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
  systemClock,
  toGroundworkError,
} from '../core/index.ts';
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
  readonly openSource?: (record: SourceRecord) => Source;
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

/**
 * Syncs one source: lists it, plans (new / changed / unchanged / renamed / deleted), and processes each new
 * or changed file — parse (isolated, with a timeout) → principals → chunk → PII → sensitivity → embed →
 * write in one transaction. Bad files go to quarantine and the run goes on. Idempotent: a re-run of an
 * unchanged source reads no file. Safe to kill at any point: every write is one transaction, deletions only
 * follow a complete listing, and the next run marks the dead run `interrupted`.
 *
 * @throws GroundworkError `ingest.sync_running` (another live run of this source), `ingest.source_not_found`,
 *   `ingest.source_unavailable`; anything unexpected fails the run (status `failed`) and is rethrown.
 */
export async function runSync(deps: SyncDeps, options: SyncOptions): Promise<SyncSummary> {
  const ids = deps.ids ?? newId;
  const clock = deps.clock ?? systemClock;
  const { db, events } = deps;
  const started = performance.now();
  const record = await getSource(db, options.source);
  const runId = ids('run');
  await startRun(db, record, runId, options.trigger ?? 'cli');
  events.publish('sync-start', { runId, sourceId: record.id, sourceName: record.name, trigger: options.trigger ?? 'cli' });

  const counts: SyncCounts = {
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
  };
  const quarantinedFiles: QuarantinedFile[] = [];
  // Per-file work in progress; awaited before the run is marked failed or interrupted.
  const inFlight = new Set<Promise<void>>();
  let lastBeat = Date.now();
  const beat = async () => {
    if (Date.now() - lastBeat < heartbeatEveryMs) return;
    lastBeat = Date.now();
    await db.query('UPDATE sync_runs SET heartbeat_at = now(), counts = $2 WHERE id = $1', [runId, JSON.stringify(counts)]);
  };

  try {
    const aclMap = await currentAclMap(db, record, deps.logger);
    const fingerprint = sha256(
      JSON.stringify({
        pipelineVersion,
        aclMap: aclMap ?? null,
        readableBy: record.settings.readableBy ?? null,
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
    const source = (deps.openSource ?? ((r: SourceRecord) => openSource(r, deps.ingest)))(record);

    const ruleUsage = trackAclRuleUsage(aclMap);
    const existing = await loadExisting(db, record.id);
    const quarantine = await loadQuarantine(db, record.id);
    const seen = new Set<string>();
    const newItems: SourceItem[] = [];
    const deletedRefs = new Set<string>();
    const unreadableDirs: string[] = [];
    const problems: SourceProblem[] = [];
    let listed = 0;
    let done = 0;
    const progress = (current?: string) =>
      options.onProgress?.({ listed, done, total: listingComplete ? listed : undefined, ...(current ? { current } : {}) });
    let listingComplete = false;

    // ---- bounded concurrency over the per-file work --------------------------------------------------
    const concurrency = Math.max(1, deps.ingest.concurrency);
    let fatal: unknown;
    const schedule = async (work: () => Promise<void>) => {
      while (inFlight.size >= concurrency) await Promise.race(inFlight);
      if (fatal) throw fatal;
      if (options.signal?.aborted) throw abortedRun();
      const task = work()
        .catch((error: unknown) => {
          fatal ??= error;
        })
        .finally(() => {
          inFlight.delete(task);
          done += 1;
          progress();
        });
      inFlight.add(task);
    };
    const drain = async () => {
      while (inFlight.size > 0) await Promise.race(inFlight);
      if (fatal) throw fatal;
    };

    const quarantineFile = async (ref: string, error: unknown, version: string | null) => {
      const failure = isGroundworkError(error) ? error : toGroundworkError(error);
      // A bug in a parser or an unexpected error reading one file is that file's problem, not the run's.
      const code = failure.code === 'internal.unexpected' ? 'parse.crashed' : failure.code;
      const message = failure.fix ? `${failure.message} Fix: ${failure.fix}` : failure.message;
      await recordQuarantine(db, ids, { sourceId: record.id, ref, code, message, version, runId });
      counts.quarantined += 1;
      quarantinedFiles.push({ path: ref, code, message });
      events.publish('document-quarantined', { runId, sourceId: record.id, sourceRef: ref, code, message });
    };

    const write = async (item: SourceItem, fetched: FetchedItem, prepared: PreparedDocument, existingId: string | undefined) => {
      let vectors: Map<string, string> | undefined;
      if (deps.embedder) {
        const all = collectChunks(prepared);
        const embedStarted = performance.now();
        const result = await embedWithCache(db, deps.embedder, all, options.signal);
        vectors = new Map(all.map((chunk, i) => [chunk.contentHash, result.vectors[i] as string]));
        events.publish('embed-end', {
          runId,
          model: deps.embedder.model,
          count: result.computed,
          cached: result.cached,
          tokens: result.tokens,
          durationMs: Math.round(performance.now() - embedStarted),
        });
      }
      const written = await db.transaction(async (tx) => {
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
            fingerprint,
            existingId,
          },
          prepared,
          vectors,
          ids,
        );
        await clearQuarantine(tx, record.id, [item.ref]);
        for (const failure of prepared.childFailures) {
          await recordQuarantine(tx, ids, { sourceId: record.id, ...failure, version: item.version, runId });
        }
        return result;
      });
      for (const failure of prepared.childFailures) {
        counts.quarantined += 1;
        quarantinedFiles.push({ path: failure.ref, code: failure.code, message: failure.message });
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
    };

    /** New or changed file: fetch, confirm the change by hash, process. */
    const processItem = async (item: SourceItem, doc: ExistingDocument | undefined, fetchedAlready?: FetchedItem) => {
      let fetched: FetchedItem;
      try {
        fetched = fetchedAlready ?? (await source.fetch(item.ref));
      } catch (error) {
        if (isGroundworkError(error) && error.code === 'ingest.not_found') return; // gone mid-run: next sync
        await quarantineFile(item.ref, error, item.version);
        return;
      }
      const hash = sha256(fetched.bytes);
      if (
        doc &&
        doc.status === 'indexed' &&
        doc.contentHash === hash &&
        doc.fingerprint === fingerprint &&
        (doc.sidecarVersion ?? undefined) === item.sidecarVersion
      ) {
        // Touched but not changed (copied back, mtime bumped): remember the new version, skip the work.
        await db.query('UPDATE documents SET version = $2, source_modified_at = $3 WHERE id = $1', [
          doc.id,
          item.version,
          item.modifiedAt,
        ]);
        if (quarantine.has(item.ref)) await clearQuarantine(db, record.id, [item.ref]);
        counts.unchanged += 1;
        return;
      }
      let prepared: PreparedDocument;
      try {
        prepared = await prepareDocument(prepareContext, { ref: item.ref, bytes: fetched.bytes, sidecar: fetched.sidecar });
      } catch (error) {
        // A changed file that no longer parses keeps its previous version searchable; the entry says why.
        await quarantineFile(item.ref, error, item.version);
        return;
      }
      await write(item, fetched, prepared, doc?.id);
      await beat();
    };

    // ---- 1. list and process changed files while listing ---------------------------------------------
    const onProblem = (problem: SourceProblem) => {
      problems.push(problem);
      if (problem.code === 'ingest.unreadable') unreadableDirs.push(problem.ref);
    };
    for await (const change of source.listChanges(record.cursor, onProblem)) {
      if (options.signal?.aborted) throw abortedRun();
      if (change.kind === 'checkpoint') {
        listingComplete = true;
        await db.query('UPDATE sources SET cursor = $2 WHERE id = $1', [record.id, JSON.stringify(change.cursor)]);
        continue;
      }
      if (change.kind === 'delete') {
        deletedRefs.add(change.ref); // incremental sources only; full snapshots imply deletions by absence
        continue;
      }
      const item = change.item;
      listed += 1;
      seen.add(item.ref);
      ruleUsage.observe(item.ref);
      const doc = existing.get(item.ref);
      const quarantined = quarantine.get(item.ref);
      if (
        doc &&
        doc.status === 'indexed' &&
        doc.version === item.version &&
        (doc.sidecarVersion ?? undefined) === item.sidecarVersion &&
        doc.fingerprint === fingerprint &&
        !quarantined
      ) {
        counts.unchanged += 1;
        done += 1;
        await beat();
        if (listed % 200 === 0) progress(item.ref);
        continue;
      }
      if (quarantined && quarantined.version !== null && quarantined.version === item.version) {
        // Failed before in this exact version: do not pay for it again (see `groundwork quarantine retry`).
        counts.quarantined += 1;
        quarantinedFiles.push({ path: item.ref, code: quarantined.code, message: quarantined.message });
        done += 1;
        continue;
      }
      if (!doc) {
        // With nothing indexed yet (a first ingest) no file can be a rename: process it now, overlapping with
        // the listing. Otherwise wait for the listing's end: it may be a rename of a document that disappeared.
        if (existing.size === 0) await schedule(() => processItem(item, undefined));
        else newItems.push(item);
        continue;
      }
      await schedule(() => processItem(item, doc));
      await beat();
    }
    if (!listingComplete)
      throw new GroundworkError('ingest.listing_incomplete', `The listing of source ${record.name} ended early.`, {
        category: 'unavailable',
        isRetryable: true,
        fix: 'Run the sync again; nothing was deleted.',
      });
    progress();

    // ---- 2. renames and new files --------------------------------------------------------------------
    // Incremental sources list only changes: their deletions are explicit. Full snapshots: absent = deleted.
    const missing = [...existing.values()].filter((doc) =>
      source.capabilities.incremental
        ? deletedRefs.has(doc.ref) && !seen.has(doc.ref)
        : !seen.has(doc.ref) && !unreadableDirs.some((dir) => doc.ref.startsWith(`${dir}/`)),
    );
    const missingByHash = new Map<string, ExistingDocument>();
    for (const doc of missing) if (doc.contentHash && doc.status === 'indexed') missingByHash.set(doc.contentHash, doc);
    const renamedIds = new Set<string>();
    for (const item of newItems) {
      await schedule(async () => {
        if (missingByHash.size === 0) return processItem(item, undefined);
        let fetched: FetchedItem;
        try {
          fetched = await source.fetch(item.ref);
        } catch (error) {
          if (isGroundworkError(error) && error.code === 'ingest.not_found') return;
          await quarantineFile(item.ref, error, item.version);
          return;
        }
        const hash = sha256(fetched.bytes);
        const old = missingByHash.get(hash);
        if (!old) return processItem(item, undefined, fetched);
        missingByHash.delete(hash); // synchronously: two copies of one file cannot claim the same document
        renamedIds.add(old.id);
        const fast = old.fingerprint === fingerprint ? await canRenameInPlace(db, prepareContext, old, item, fetched) : undefined;
        if (fast) {
          await db.transaction((tx) =>
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
          counts.renamed += 1;
          events.publish('document-indexed', {
            runId,
            sourceId: record.id,
            documentId: old.id,
            sourceRef: item.ref,
            action: 'renamed',
            chunks: 0,
            principalsDetermined: fast.determined,
            sensitivity: fast.sensitivity,
          });
          return;
        }
        // The new place changes who may read it or how sensitive it is: process it again under the old id.
        let prepared: PreparedDocument;
        try {
          prepared = await prepareDocument(prepareContext, { ref: item.ref, bytes: fetched.bytes, sidecar: fetched.sidecar });
        } catch (error) {
          renamedIds.delete(old.id); // the old document goes; the new path is quarantined
          await quarantineFile(item.ref, error, item.version);
          return;
        }
        await write(item, fetched, prepared, old.id);
        counts.updated -= 1;
        counts.renamed += 1;
      });
    }
    await drain();

    // ---- 3. deletions (only after a complete listing) -------------------------------------------------
    const gone = missing.filter((doc) => !renamedIds.has(doc.id));
    for (let start = 0; start < gone.length; start += 500) {
      const slice = gone.slice(start, start + 500);
      // Chunks and children cascade; the lexical postings follow through triggers on chunks.
      await db.query('DELETE FROM documents WHERE id = ANY($1::text[])', [slice.map((doc) => doc.id)]);
      for (const doc of slice)
        events.publish('document-deleted', { runId, sourceId: record.id, documentId: doc.id, sourceRef: doc.ref });
    }
    counts.deleted = gone.length;
    const staleQuarantine = [...quarantine.keys()].filter((ref) => {
      const top = ref.split(childSeparator)[0] as string;
      if (source.capabilities.incremental) return deletedRefs.has(top);
      return !seen.has(top) && !unreadableDirs.some((dir) => top.startsWith(`${dir}/`)) && !problems.some((p) => p.ref === ref);
    });
    if (staleQuarantine.length > 0) {
      await db.query('DELETE FROM quarantine WHERE source_id = $1 AND source_ref = ANY($2::text[])', [
        record.id,
        staleQuarantine,
      ]);
    }
    for (const problem of problems) {
      await quarantineFile(problem.ref, new GroundworkError(problem.code, problem.message, { fix: problem.fix }), null);
    }

    // Chunks indexed before the prompt-injection detector existed get their spans (text scan only).
    await backfillInjectionSpans(db, record.id, options.signal);

    // ---- 4. finish ------------------------------------------------------------------------------------
    const status = counts.quarantined > 0 ? 'partial' : 'succeeded';
    const durationMs = Math.round(performance.now() - started);
    const aclWarnings = ruleUsage.warnings();
    for (const warning of aclWarnings)
      deps.logger.warn('ACL rule never decides', { source: record.name, rule: warning.ruleIndex });
    const unreadable = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM documents WHERE source_id = $1 AND principals = '{}'`,
      [record.id],
    );
    const unreadableDocuments = unreadable.rows[0]?.n ?? 0;
    await db.query(`UPDATE sync_runs SET status = $2, finished_at = $3, counts = $4, acl_warnings = $5 WHERE id = $1`, [
      runId,
      status,
      clock.now(),
      JSON.stringify({ ...counts, durationMs, unreadableDocuments }),
      JSON.stringify(aclWarnings),
    ]);
    await db.query('UPDATE sources SET last_sync_at = $2, last_success_at = $2, updated_at = $2 WHERE id = $1', [
      record.id,
      clock.now(),
    ]);
    events.publish('sync-end', { runId, sourceId: record.id, sourceName: record.name, status, counts, durationMs });
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
      quarantined: quarantinedFiles,
      chunks: counts.chunks,
      documents: counts.documents,
      pages: counts.pages,
      ocrPages: counts.ocrPages,
      durationMs,
      aclWarnings,
      unreadableDocuments,
    };
  } catch (error) {
    // Let files already being written finish (each is one transaction either way), then record the run.
    await Promise.allSettled([...inFlight]);
    const failure = toGroundworkError(error);
    const aborted = failure.code === 'ingest.aborted';
    const durationMs = Math.round(performance.now() - started);
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
    events.publish('sync-end', {
      runId,
      sourceId: record.id,
      sourceName: record.name,
      status: 'failed',
      counts,
      durationMs,
      error: failure.code,
    });
    throw error;
  }
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

/** The ACL map to apply: re-read from its file when the source has one (edits apply at the next sync). */
async function currentAclMap(db: Database, record: SourceRecord, logger: Logger): Promise<AclMap | undefined> {
  const path = record.settings.aclMapPath;
  if (!path) {
    // A map stored before shadowed rules were refused is refused now, like the same map read from a file.
    if (record.aclMap) assertNoShadowedRules(record.aclMap, `ACL map of source ${record.name}`);
    return record.aclMap;
  }
  try {
    const { aclMap } = await readAclMapFile(path);
    if (JSON.stringify(aclMap) !== JSON.stringify(record.aclMap ?? null)) {
      await db.query('UPDATE sources SET acl_map = $2, updated_at = now() WHERE id = $1', [record.id, JSON.stringify(aclMap)]);
    }
    return aclMap;
  } catch (error) {
    if (isGroundworkError(error) && error.code === 'ingest.acl_map_unreadable' && record.aclMap) {
      logger.warn('ACL map file unreadable; using the stored copy', { source: record.name, path });
      assertNoShadowedRules(record.aclMap, `ACL map of source ${record.name} (stored copy of ${path})`);
      return record.aclMap;
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
