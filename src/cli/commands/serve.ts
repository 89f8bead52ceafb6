import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { GroundworkError, type LoadedConfig, loadConfig } from '../../core/index.ts';
import { createPlatform } from '../../create-platform.ts';
import { createOidcVerifier } from '../../govern/index.ts';
import { prepareRetrieval } from '../../retrieve/index.ts';
import { assertBindAllowed, assertPortFree, createAuthenticator, startServer } from '../../server/index.ts';
import { startServeWorker, type Worker } from '../../worker.ts';
import type { CliRuntime, CommandContext } from '../context.ts';
import { exitCodes } from '../exit-codes.ts';
import { isShutdownMessage, resolvePort, serveWorkerPortVariable, superviseApiProcesses } from './serve-cluster.ts';

interface ServeOptions {
  host?: string;
  port?: string;
  processes?: string;
}

/** `groundwork serve`: the HTTP API (and the web UI when built) until SIGINT/SIGTERM. */
export function registerServeCommand(program: Command, runtime: CliRuntime): void {
  program
    .command('serve')
    .description('serve the HTTP API (/v1, /openapi.json, /healthz, /readyz, /metrics) until interrupted')
    .option('--host <host>', 'address to listen on (default 127.0.0.1; anything else needs authentication configured)')
    .option('--port <port>', 'port (default 8787; 0 picks a free one)')
    .option(
      '--processes <n>',
      'API processes sharing the port (default: one per core with server PostgreSQL; the embedded store allows 1)',
    )
    .action(
      runtime.action(async (context, options: ServeOptions) => {
        if (context.globals.server) {
          throw new GroundworkError('serve.with_server', '`serve` runs a server; it cannot use --server.', {
            category: 'usage',
            fix: 'Drop --server.',
          });
        }
        const port = options.port === undefined ? undefined : Number(options.port);
        if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
          throw new GroundworkError('serve.bad_port', `--port ${options.port} is not a port number.`, {
            category: 'usage',
            fix: 'Give an integer between 0 and 65535.',
          });
        }
        const processes = options.processes === undefined ? undefined : Number(options.processes);
        if (processes !== undefined && !(Number.isInteger(processes) && processes >= 1 && processes <= 256)) {
          throw new GroundworkError('serve.bad_processes', `--processes ${options.processes} is not a process count.`, {
            category: 'usage',
            fix: 'Give an integer between 1 and 256 (one per core is a good start).',
          });
        }
        const { globals, io } = context;
        // A child of `serve --processes N` binds the port its primary resolved (port 0 is chosen once).
        const { [serveWorkerPortVariable]: childPort, ...env } = io.env;
        const workerPort = cluster.isWorker && childPort ? Number(childPort) : undefined;
        const loaded = loadConfig({
          env,
          cwd: io.cwd,
          configFile: globals.config,
          flags: {
            dataDir: globals.dataDir,
            databaseUrl: globals.databaseUrl,
            server: { host: options.host, port: workerPort ?? port },
          },
        });
        if (cluster.isWorker) return serveChild(loaded);

        const count = processes ?? (loaded.config.databaseUrl ? availableParallelism() : 1);
        if (count > 1 && !loaded.config.databaseUrl) {
          throw new GroundworkError(
            'serve.processes_embedded',
            `--processes ${count} needs server PostgreSQL: the embedded store (PGlite) lives inside one process and cannot be shared.`,
            {
              category: 'usage',
              fix: 'Use --processes 1 on the embedded store, or set DATABASE_URL (--database-url) to a PostgreSQL server to run several API processes.',
            },
          );
        }
        // Before opening the store and building indexes (minutes on a large corpus): a taken port fails now.
        await assertPortFree(loaded.config.server.host, loaded.config.server.port);
        const platform = await createPlatform(loaded);
        let platformOpen = true;
        let worker: Worker | undefined;
        try {
          // Build the BM25 / vector indexes now, once (not in the first user's search, not once per process).
          context.output.info('preparing retrieval indexes');
          const dimensions = loaded.config.models.embedding?.dimensions;
          await prepareRetrieval(platform.db, loaded.config.retrieval, dimensions ? { embeddingDimensions: dimensions } : {});
          if (count === 1) {
            const server = await startServer(platform, { host: loaded.config.server.host, port: loaded.config.server.port });
            // Embedded store: this process is the only one that can hold it, so it consumes the queue too.
            worker = await startServeWorker(platform);
            if (worker) context.output.info(`in-process worker consuming ${worker.types.join(', ')} (embedded store)`);
            const required = await server.app.authenticator.required();
            printListening(context, server.url, 1, required);
            await untilSignal();
            context.output.info('stopping: finishing open requests');
            await Promise.all([server.close(), worker?.stop()]);
            worker = undefined;
            return exitCodes.ok;
          }
          // The bind check once, here: children failing it one by one would look like a crash loop.
          const authenticator = createAuthenticator({
            db: platform.db,
            ...(loaded.config.auth.oidc ? { oidc: createOidcVerifier(loaded.config.auth.oidc) } : {}),
          });
          await assertBindAllowed(loaded.config.server.host, authenticator);
          const required = await authenticator.required();
          // The primary needs no store while the children serve: each child opens its own pool.
          platformOpen = false;
          await platform.close();
          return await superviseChildren(context, loaded, count, required);
        } finally {
          await worker?.stop({ timeoutMs: 1000 }).catch(() => {});
          if (platformOpen) await platform.close();
        }
      }),
    );
}

async function superviseChildren(
  context: CommandContext,
  loaded: LoadedConfig,
  count: number,
  authenticationRequired: boolean,
): Promise<number> {
  const port = await resolvePort(loaded.config.server.host, loaded.config.server.port);
  const supervised = superviseApiProcesses({ processes: count, port, log: (message) => context.output.info(message) });
  let signalled = false;
  const signal = untilSignal().then(() => {
    signalled = true;
  });
  try {
    const url = await Promise.race([supervised.ready, signal.then(() => undefined)]);
    if (url) printListening(context, url, count, authenticationRequired);
  } catch (error) {
    await supervised.stopped;
    throw error;
  }
  await Promise.race([signal, supervised.stopped]);
  if (signalled) context.output.info(`stopping: ${count} API processes finish their open requests`);
  await supervised.stop();
  return exitCodes.ok;
}

/** One API process of `serve --processes N`: serves until the primary (or a signal) says stop. */
async function serveChild(loaded: LoadedConfig): Promise<number> {
  // Listening for "stop" from the first moment: a shutdown sent while the store opens must not be lost.
  let requestStop: () => void = () => {};
  const stopRequested = new Promise<void>((resolve) => {
    requestStop = resolve;
  });
  const onMessage = (message: unknown) => {
    if (isShutdownMessage(message)) requestStop();
  };
  const onSignal = () => requestStop();
  process.on('message', onMessage);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // The primary gone (killed with SIGKILL): stop instead of serving unsupervised.
  process.once('disconnect', onSignal);
  const platform = await createPlatform(loaded);
  try {
    const server = await startServer(platform, { host: loaded.config.server.host, port: loaded.config.server.port });
    process.send?.({ type: 'groundwork.listening', url: server.url });
    await stopRequested;
    await server.close();
    return exitCodes.ok;
  } finally {
    process.off('message', onMessage);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await platform.close();
    // The IPC channel would keep the process alive.
    if (cluster.worker?.isConnected()) cluster.worker.disconnect();
  }
}

function printListening(context: CommandContext, url: string, processes: number, required: boolean): void {
  context.output.result({ url, processes, authentication: required ? 'required' : 'open-loopback' }, (v) =>
    [
      `Groundwork API listening on ${v.url} (OpenAPI: ${v.url}/openapi.json)${processes > 1 ? ` with ${processes} processes` : ''}`,
      required
        ? 'Authentication: required (Authorization: Bearer <API key or OIDC token>).'
        : 'Authentication: none configured — loopback only; requests act as the local operator. Create a key with `groundwork keys create --admin`.',
      'Press Ctrl+C to stop.',
    ].join('\n'),
  );
}

function untilSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
