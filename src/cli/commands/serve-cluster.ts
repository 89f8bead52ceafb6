import cluster, { type Worker } from 'node:cluster';
import { createServer } from 'node:net';
import { GroundworkError } from '../../core/index.ts';

/**
 * `groundwork serve --processes N`: the primary process supervises N API processes (node:cluster) that
 * share one listening socket (the primary accepts and hands connections round-robin, so a slow request
 * in one process does not hold up the others' event loops).
 *
 * Messages between primary and API processes are the only coordination: `listening` (a child is ready),
 * `shutdown` (drain and exit). A child that dies unexpectedly is restarted; one that never gets to
 * `listening` three times in a row stops the whole service (a bad config would otherwise restart forever).
 */
export const serveWorkerPortVariable = 'GROUNDWORK_SERVE_WORKER_PORT';

interface ListeningMessage {
  readonly type: 'groundwork.listening';
  readonly url: string;
}
interface ShutdownMessage {
  readonly type: 'groundwork.shutdown';
}

export function isListeningMessage(message: unknown): message is ListeningMessage {
  return (message as { type?: unknown } | null)?.type === 'groundwork.listening';
}
export function isShutdownMessage(message: unknown): message is ShutdownMessage {
  return (message as { type?: unknown } | null)?.type === 'groundwork.shutdown';
}

/** Port 0 is resolved once by the primary, so every child (and every restarted one) binds the same port. */
export async function resolvePort(host: string, port: number): Promise<number> {
  if (port !== 0) return port;
  return new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      const chosen = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(chosen));
    });
  });
}

export interface SupervisedCluster {
  /** Resolves with the URL once every API process listens; rejects when they cannot start. */
  readonly ready: Promise<string>;
  /** Resolves once the service has stopped (after `stop()`, or after it gave up restarting). */
  readonly stopped: Promise<void>;
  /** Sends every API process `shutdown` (each drains its open requests) and waits for all to exit. */
  stop(graceMs?: number): Promise<void>;
  /** Process ids of the API processes right now (tests, logs). */
  pids(): number[];
}

export interface SuperviseOptions {
  readonly processes: number;
  readonly port: number;
  readonly log: (message: string) => void;
  /** Consecutive children that exit before listening before the primary gives up (default 3). */
  readonly maxStartFailures?: number;
}

export function superviseApiProcesses(options: SuperviseOptions): SupervisedCluster {
  const maxStartFailures = options.maxStartFailures ?? 3;
  const listening = new Set<Worker>();
  let stopping = false;
  let startFailures = 0;
  let url: string | undefined;
  let resolveReady: (url: string) => void = () => {};
  let rejectReady: (error: Error) => void = () => {};
  const ready = new Promise<string>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  ready.catch(() => {});
  let resolveStopped: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    resolveStopped = resolve;
  });

  const fork = () => {
    const worker = cluster.fork({ [serveWorkerPortVariable]: String(options.port) });
    worker.on('message', (message: unknown) => {
      if (!isListeningMessage(message)) return;
      listening.add(worker);
      startFailures = 0;
      url ??= message.url;
      if (listening.size === options.processes) resolveReady(url);
    });
    worker.on('exit', (code, signal) => {
      const wasListening = listening.delete(worker);
      if (stopping) {
        if (Object.keys(cluster.workers ?? {}).length === 0) resolveStopped();
        return;
      }
      if (!wasListening) startFailures += 1;
      options.log(`API process ${worker.process.pid} exited (${signal ?? `code ${code}`}); starting a new one`);
      if (startFailures >= maxStartFailures) {
        stopping = true;
        const error = new GroundworkError(
          'serve.processes_failed',
          `${startFailures} API processes in a row exited before listening; not restarting them again.`,
          {
            category: 'unavailable',
            fix: 'Read the errors above (configuration, database, port); run `groundwork serve --processes 1` to see one process start.',
          },
        );
        rejectReady(error);
        for (const other of Object.values(cluster.workers ?? {})) other?.send({ type: 'groundwork.shutdown' });
        if (Object.keys(cluster.workers ?? {}).length === 0) resolveStopped();
        return;
      }
      // A crash loop (e.g. the database is down) backs off instead of forking as fast as it can.
      setTimeout(fork, Math.min(5_000, 250 * 2 ** startFailures)).unref();
    });
  };
  for (let i = 0; i < options.processes; i++) fork();

  return {
    ready,
    stopped,
    pids: () => [...listening].map((worker) => worker.process.pid ?? 0),
    async stop(graceMs = 10_000) {
      stopping = true;
      const workers = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined);
      if (workers.length === 0) resolveStopped();
      for (const worker of workers) if (worker.isConnected()) worker.send({ type: 'groundwork.shutdown' });
      // Each child waits up to graceMs for its open requests, then closes its store; past that (and a margin
      // for closing), it is killed.
      const force = setTimeout(() => {
        for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
      }, graceMs + 15_000);
      force.unref();
      await stopped;
      clearTimeout(force);
    },
  };
}
