import { Worker } from 'node:worker_threads';
import { type ErrorCategory, GroundworkError } from '../../core/index.ts';
import { terminateSharedOcr } from './ocr/ocr-engine.ts';
import { abortedError, crashedError, timeoutError } from './parse-errors.ts';
import type { ParsedDocument, ParseInput } from './parser.ts';

/** Messages to a parse worker. */
export type WorkerRequest = { type: 'parse'; id: number; input: Omit<ParseInput, 'signal'> } | { type: 'close' };

/** Messages from a parse worker. */
export type WorkerReply =
  | { type: 'result'; id: number; document: ParsedDocument }
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
  /** Longest a single file may take before its worker is killed and the parse fails with `parse.timeout`. */
  readonly timeoutMs: number;
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
  readonly id: number;
  readonly input: ParseInput;
  readonly timeoutMs: number;
  readonly transfer: boolean;
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

export function createParserPool(options: ParserPoolOptions): ParserPool {
  const size = Math.max(1, options.size ?? 2);
  const maxMemoryMb = options.maxMemoryMb ?? 2048;
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

  const pump = () => {
    if (closed) return;
    for (const slot of slots) {
      if (slot.job) continue;
      const job = queue.shift();
      if (!job) return;
      slot.job = job;
      slot.worker ??= spawn(slot);
      slot.worker.ref();
      slot.timer = setTimeout(() => kill(slot, timeoutError(job.input.fileName, job.timeoutMs)), job.timeoutMs);
      const { signal: _signal, ...input } = job.input;
      const owned = job.transfer && ownsItsMemory(input.bytes) ? [input.bytes.buffer as ArrayBuffer] : [];
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
          input,
          timeoutMs: parseOptions.timeoutMs ?? options.timeoutMs,
          transfer: parseOptions.transfer ?? false,
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
