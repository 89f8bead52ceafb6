import { Worker } from 'node:worker_threads';
import { type ErrorCategory, GroundworkError } from '../../core/index.ts';
import { terminateSharedOcr } from './ocr/ocr-engine.ts';
import { abortedError, crashedError, timeoutError } from './parse-errors.ts';
import type { ParsedDocument, ParseInput } from './parser.ts';

/** Messages to a parse worker. */
export type WorkerRequest = { type: 'parse'; id: number; input: Omit<ParseInput, 'signal' | 'onPage'> } | { type: 'close' };

/** Messages from a parse worker. */
export type WorkerReply =
  | { type: 'result'; id: number; document: ParsedDocument }
  /** A paged parser started `page` (the heartbeat of long documents). */
  | { type: 'page'; id: number; page: number }
  | {
      type: 'error';
      id: number;
      error: {
        code: string;
        message: string;
        fix: string | undefined;
        category: ErrorCategory;
        isRetryable: boolean;
        details: Record<string, unknown>;
      };
    }
  | { type: 'crash'; id: number; message: string };

export interface ParserPoolOptions {
  /** Worker threads, i.e. files parsed at once (the ingest concurrency). Default 2. */
  readonly size?: number;
  /**
   * Longest a file may take without progress before its worker is killed and the parse fails with
   * `parse.timeout`: the whole file for formats without pages, the time until the first page for paged ones.
   */
  readonly timeoutMs: number;
  /**
   * Per-page budget of paged formats (PDF). The parser skips a page that takes longer (a `page.timeout`
   * warning); a page that blocks the worker thread for twice as long gets the worker killed, and the file is
   * parsed again without that page (a `page.skipped` warning), at most `maxPageRestarts` times. Unset: no
   * page budget, `timeoutMs` bounds the whole file.
   */
  readonly pageTimeoutMs?: number;
  /** Longest any file may take however steadily it progresses (`ingest.documentTimeoutMs`). Default 30 min. */
  readonly documentTimeoutMs?: number;
  /** Heap limit of each worker in MiB; a parse that needs more fails with `parse.crashed`. Default 2048. */
  readonly maxMemoryMb?: number;
  /** Worker entry module; defaults to `parse-worker.ts`. Tests substitute a misbehaving one. */
  readonly workerEntry?: URL;
}

/**
 * Parsing in worker threads, so that a file that hangs or crashes a parser (or runs it out of memory)
 * fails alone — with `parse.timeout` or `parse.crashed` — and the process goes on; the worker is killed and
 * replaced. Each worker keeps its own OCR engine warm. Idle workers do not keep the process alive, but
 * call `close` when done.
 */
export interface ParserPool {
  /**
   * Parses `input` in a worker. `transfer: true` moves the bytes to the worker instead of copying them (a
   * 100 MB file then costs 100 MB, not 200): `input.bytes` is empty afterwards. Bytes that share their memory
   * with other data (a slice of a larger buffer, Node's small-buffer pool) are always copied.
   */
  parse(input: ParseInput, options?: { timeoutMs?: number; transfer?: boolean }): Promise<ParsedDocument>;
  /** Stops every worker (and their OCR engines); pending parses fail with `parse.aborted`. */
  close(): Promise<void>;
}

interface Job {
  id: number;
  input: ParseInput;
  readonly timeoutMs: number;
  readonly transfer: boolean;
  /** When the file was first handed to a worker (restarts included in the document cap). */
  startedAt: number | undefined;
  /** The page the worker last started, when the parser reports pages. */
  lastPage: number | undefined;
  restarts: number;
  readonly resolve: (document: ParsedDocument) => void;
  readonly reject: (error: unknown) => void;
  readonly onAbort: () => void;
}

interface Slot {
  worker: Worker | undefined;
  job: Job | undefined;
  timer: NodeJS.Timeout | undefined;
}

const defaultWorkerEntry = new URL('./parse-worker.ts', import.meta.url);
/** Times a file is parsed again without a page that blocked its worker, before it fails with `parse.timeout`. */
const maxPageRestarts = 3;
const defaultDocumentTimeoutMs = 30 * 60 * 1000;

export function createParserPool(options: ParserPoolOptions): ParserPool {
  const size = Math.max(1, options.size ?? 2);
  const maxMemoryMb = options.maxMemoryMb ?? 2048;
  const pageTimeoutMs = options.pageTimeoutMs;
  const documentTimeoutMs = options.documentTimeoutMs ?? defaultDocumentTimeoutMs;
  const slots: Slot[] = Array.from({ length: size }, () => ({ worker: undefined, job: undefined, timer: undefined }));
  const queue: Job[] = [];
  let nextId = 1;
  let closed = false;

  const finish = (slot: Slot) => {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = undefined;
    const job = slot.job;
    slot.job = undefined;
    job?.input.signal?.removeEventListener('abort', job.onAbort);
    slot.worker?.unref();
    return job;
  };

  /** Kills the slot's worker (it is replaced on the next job) and fails its job with `error`. */
  const kill = (slot: Slot, error: GroundworkError) => {
    const worker = slot.worker;
    slot.worker = undefined;
    const job = finish(slot);
    worker?.removeAllListeners();
    worker?.on('error', () => {});
    void worker?.terminate();
    job?.reject(error);
    pump();
  };

  const spawn = (slot: Slot): Worker => {
    const worker = new Worker(options.workerEntry ?? defaultWorkerEntry, {
      resourceLimits: { maxOldGenerationSizeMb: maxMemoryMb },
    });
    worker.on('message', (reply: WorkerReply) => {
      if (slot.worker !== worker || slot.job?.id !== reply.id) return;
      if (reply.type === 'page') {
        const current = slot.job;
        current.lastPage = reply.page;
        arm(slot, current);
        return;
      }
      const job = finish(slot);
      if (!job) return;
      if (reply.type === 'result') job.resolve(reply.document);
      else if (reply.type === 'error') {
        const { code, message, ...rest } = reply.error;
        job.reject(new GroundworkError(code, message, { ...rest, fix: rest.fix ?? '' }));
      } else job.reject(crashedError(job.input.fileName, reply.message));
      pump();
    });
    worker.on('error', (error: Error & { code?: string }) => {
      if (slot.worker !== worker) return;
      const fileName = slot.job?.input.fileName ?? 'parse worker';
      const reason = /out of memory|ERR_WORKER_OUT_OF_MEMORY/i.test(`${error.message} ${error.code ?? ''}`)
        ? `out of memory (limit ${maxMemoryMb} MiB)`
        : error.message;
      kill(slot, crashedError(fileName, reason, error));
    });
    worker.on('exit', (code) => {
      if (slot.worker !== worker) return;
      kill(slot, crashedError(slot.job?.input.fileName ?? 'parse worker', `worker exited with code ${code}`));
    });
    worker.unref();
    return worker;
  };

  /**
   * (Re)starts the slot's watchdog: `timeoutMs` until the first page, then twice the page budget after each
   * page the worker starts, never past the document cap. When it fires after a page started, that page
   * blocked the worker: the file is parsed again in a fresh worker without it.
   */
  const arm = (slot: Slot, job: Job) => {
    if (slot.timer) clearTimeout(slot.timer);
    const elapsed = Date.now() - (job.startedAt ?? Date.now());
    const capLeft = Math.max(0, documentTimeoutMs - elapsed);
    const budget = job.lastPage !== undefined && pageTimeoutMs ? 2 * pageTimeoutMs : job.timeoutMs;
    const overCap = budget >= capLeft;
    slot.timer = setTimeout(
      () => {
        const hungPage = job.lastPage;
        if (overCap) return kill(slot, timeoutError(job.input.fileName, documentTimeoutMs, 'ingest.documentTimeoutMs'));
        if (hungPage === undefined || !pageTimeoutMs || job.restarts >= maxPageRestarts) {
          return kill(slot, timeoutError(job.input.fileName, budget));
        }
        restartWithout(slot, job, hungPage);
      },
      Math.min(budget, capLeft),
    );
  };

  /** Kills the worker stuck on `page` and queues the file first again, with that page to be skipped. */
  const restartWithout = (slot: Slot, job: Job, page: number) => {
    const worker = slot.worker;
    slot.worker = undefined;
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.job = undefined;
    worker?.removeAllListeners();
    worker?.on('error', () => {});
    void worker?.terminate();
    const skip = [...(job.input.pages?.skip ?? []), page];
    job.input = { ...job.input, pages: { timeoutMs: pageTimeoutMs ?? job.timeoutMs, skip } };
    job.restarts++;
    job.id = nextId++;
    queue.unshift(job);
    pump();
  };

  const pump = () => {
    if (closed) return;
    for (const slot of slots) {
      if (slot.job) continue;
      const job = queue.shift();
      if (!job) return;
      slot.job = job;
      slot.worker ??= spawn(slot);
      slot.worker.ref();
      job.startedAt ??= Date.now();
      job.lastPage = undefined;
      arm(slot, job);
      const { signal: _signal, onPage: _onPage, ...input } = job.input;
      // A paged file may be parsed again without a page that hung: it keeps its bytes here (copied, not moved).
      const keep = pageTimeoutMs !== undefined && mayRestart(input.bytes);
      const owned = job.transfer && !keep && ownsItsMemory(input.bytes) ? [input.bytes.buffer as ArrayBuffer] : [];
      slot.worker.postMessage({ type: 'parse', id: job.id, input } satisfies WorkerRequest, owned);
    }
  };

  return {
    parse(input, parseOptions = {}) {
      if (closed) return Promise.reject(abortedError(input.fileName));
      if (input.signal?.aborted) return Promise.reject(abortedError(input.fileName));
      return new Promise<ParsedDocument>((resolve, reject) => {
        const job: Job = {
          id: nextId++,
          input: pageTimeoutMs && !input.pages ? { ...input, pages: { timeoutMs: pageTimeoutMs } } : input,
          timeoutMs: parseOptions.timeoutMs ?? options.timeoutMs,
          transfer: parseOptions.transfer ?? false,
          startedAt: undefined,
          lastPage: undefined,
          restarts: 0,
          resolve,
          reject,
          onAbort: () => {
            const queued = queue.indexOf(job);
            if (queued >= 0) {
              queue.splice(queued, 1);
              reject(abortedError(input.fileName));
              return;
            }
            const slot = slots.find((candidate) => candidate.job === job);
            if (slot) kill(slot, abortedError(input.fileName));
          },
        };
        input.signal?.addEventListener('abort', job.onAbort, { once: true });
        queue.push(job);
        pump();
      });
    },
    async close() {
      closed = true;
      for (const job of queue.splice(0)) job.reject(abortedError(job.input.fileName));
      await Promise.all(
        slots.map(async (slot) => {
          const worker = slot.worker;
          if (!worker) return;
          slot.worker = undefined;
          const job = finish(slot);
          job?.reject(abortedError(job.input.fileName));
          worker.removeAllListeners();
          worker.on('error', () => {});
          const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
          worker.postMessage({ type: 'close' } satisfies WorkerRequest);
          // Give the worker a moment to stop its OCR engine cleanly, then make sure it is gone.
          const grace = setTimeout(() => void worker.terminate(), 2000);
          await exited;
          clearTimeout(grace);
        }),
      );
    },
  };
}

/** Paged formats a restart without a hung page can help: PDFs (a header within the first KiB). */
function mayRestart(bytes: Uint8Array): boolean {
  return new TextDecoder('latin1').decode(bytes.subarray(0, 1024)).includes('%PDF-');
}

/** True when `bytes` is the whole of a plain ArrayBuffer, which can then be transferred without harm to others. */
function ownsItsMemory(bytes: Uint8Array): boolean {
  return (
    bytes.buffer instanceof ArrayBuffer &&
    bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength &&
    // Node's pool slabs hold many small Buffers; a Buffer never spans a whole slab, but be explicit.
    bytes.byteLength > Buffer.poolSize
  );
}

let defaultPool: { pool: ParserPool; size: number } | undefined;

export interface ParseIsolatedOptions {
  readonly timeoutMs: number;
  readonly pageTimeoutMs?: number;
  readonly documentTimeoutMs?: number;
  /** Size of the process-wide pool created on first use (later calls reuse it). Default 2. */
  readonly concurrency?: number;
  readonly maxMemoryMb?: number;
}

/** Parses in the process-wide worker pool (created on first use); see `ParserPool`. */
export function parseIsolated(input: ParseInput, options: ParseIsolatedOptions): Promise<ParsedDocument> {
  if (!defaultPool) {
    const size = options.concurrency ?? 2;
    defaultPool = {
      pool: createParserPool({
        size,
        timeoutMs: options.timeoutMs,
        ...(options.pageTimeoutMs ? { pageTimeoutMs: options.pageTimeoutMs } : {}),
        ...(options.documentTimeoutMs ? { documentTimeoutMs: options.documentTimeoutMs } : {}),
        ...(options.maxMemoryMb ? { maxMemoryMb: options.maxMemoryMb } : {}),
      }),
      size,
    };
  }
  return defaultPool.pool.parse(input, { timeoutMs: options.timeoutMs });
}

/** Stops the process-wide parse pool and this thread's OCR engine. The pipeline calls it when a run ends. */
export async function closeParsers(): Promise<void> {
  const current = defaultPool;
  defaultPool = undefined;
  await Promise.all([current?.pool.close(), terminateSharedOcr()]);
}
