import type { Command } from 'commander';
import { GroundworkError, loadConfig } from '../../core/index.ts';
import { createPlatform } from '../../create-platform.ts';
import { prepareRetrieval } from '../../retrieve/index.ts';
import { assertPortFree, startServer } from '../../server/index.ts';
import { startServeWorker, type Worker } from '../../worker.ts';
import type { CliRuntime } from '../context.ts';
import { exitCodes } from '../exit-codes.ts';

/** `groundwork serve`: the HTTP API (and the web UI when built) until SIGINT/SIGTERM. */
export function registerServeCommand(program: Command, runtime: CliRuntime): void {
  program
    .command('serve')
    .description('serve the HTTP API (/v1, /openapi.json, /healthz, /readyz, /metrics) until interrupted')
    .option('--host <host>', 'address to listen on (default 127.0.0.1; anything else needs authentication configured)')
    .option('--port <port>', 'port (default 8787; 0 picks a free one)')
    .action(
      runtime.action(async (context, options: { host?: string; port?: string }) => {
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
        const { globals, io } = context;
        const loaded = loadConfig({
          env: io.env,
          cwd: io.cwd,
          configFile: globals.config,
          flags: { dataDir: globals.dataDir, databaseUrl: globals.databaseUrl, server: { host: options.host, port } },
        });
        // Before opening the store and building indexes (minutes on a large corpus): a taken port fails now.
        await assertPortFree(loaded.config.server.host, loaded.config.server.port);
        const platform = await createPlatform(loaded);
        let stopPurge = () => {};
        let worker: Worker | undefined;
        try {
          // Build the BM25 / vector indexes now, not in the first user's search (minutes on a large corpus).
          context.output.info('preparing retrieval indexes');
          const dimensions = loaded.config.models.embedding?.dimensions;
          await prepareRetrieval(platform.db, loaded.config.retrieval, dimensions ? { embeddingDimensions: dimensions } : {});
          stopPurge = platform.observe.startPurgeSchedule();
          const { host, port: configuredPort } = loaded.config.server;
          const server = await startServer(platform, { host, port: configuredPort });
          // Embedded store: this process is the only one that can hold it, so it consumes the queue too.
          worker = await startServeWorker(platform);
          if (worker) context.output.info(`in-process worker consuming ${worker.types.join(', ')} (embedded store)`);
          const required = await server.app.authenticator.required();
          context.output.result({ url: server.url, authentication: required ? 'required' : 'open-loopback' }, (v) =>
            [
              `Groundwork API listening on ${v.url} (OpenAPI: ${v.url}/openapi.json)`,
              required
                ? 'Authentication: required (Authorization: Bearer <API key or OIDC token>).'
                : 'Authentication: none configured — loopback only; requests act as the local operator. Create a key with `groundwork keys create --admin`.',
              'Press Ctrl+C to stop.',
            ].join('\n'),
          );
          await new Promise<void>((resolve) => {
            const stop = () => {
              process.off('SIGINT', stop);
              process.off('SIGTERM', stop);
              resolve();
            };
            process.on('SIGINT', stop);
            process.on('SIGTERM', stop);
          });
          context.output.info('stopping: finishing open requests');
          await Promise.all([server.close(), worker?.stop()]);
          worker = undefined;
          return exitCodes.ok;
        } finally {
          stopPurge();
          await worker?.stop({ timeoutMs: 1000 }).catch(() => {});
          await platform.close();
        }
      }),
    );
}
