import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Platform } from '../create-platform.ts';
import { assertBindAllowed } from './authenticator.ts';
import { type CreateAppOptions, createApp, type GroundworkApp } from './create-app.ts';
import { portInUseError } from './port-check.ts';

export interface RunningServer {
  /** `http://host:port` as actually bound (port 0 picks a free one). */
  readonly url: string;
  readonly port: number;
  readonly app: GroundworkApp;
  /** Stops accepting connections and waits for open requests (at most `graceMs`). */
  close(graceMs?: number): Promise<void>;
}

/**
 * Listens on `host:port` with the API. Refuses a non-loopback address while no authentication is
 * configured; a taken port is `server.port_in_use`. Does not close the platform: its owner does.
 */
export async function startServer(
  platform: Platform,
  options: { host: string; port: number } & CreateAppOptions,
): Promise<RunningServer> {
  const built = createApp(platform, options);
  await assertBindAllowed(options.host, built.authenticator);
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const instance = serve({ fetch: built.app.fetch, hostname: options.host, port: options.port }, () => resolve(instance));
    instance.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? portInUseError(options.host, options.port) : error),
    );
  });
  // Slow clients must not hold sockets forever; streaming answers still get `requestTimeoutMs` to start.
  if ('headersTimeout' in server) {
    server.headersTimeout = 30_000;
    server.requestTimeout = platform.config.server.requestTimeoutMs + 5_000;
    // Longer than clients' and load balancers' idle timeouts (60 s is common): otherwise a client reusing a
    // socket the server is just closing gets ECONNRESET (measured: users idle ~5 s against Node's default 5 s).
    server.keepAliveTimeout = 65_000;
  }
  // Trace retention (observe.retentionDays) is enforced by the long-running processes.
  const stopTracePurge = platform.observe.startPurgeSchedule();
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    app: built,
    close: async (graceMs = 10_000) => {
      stopTracePurge();
      // No new connections; idle keep-alive ones closed now; busy ones get `Connection: close` on their
      // response and close once it is written, so `closed` means every request in flight has finished. Only
      // what is still open at the deadline is cut; the platform's pool is closed after this, by its owner.
      built.drain();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      if ('closeIdleConnections' in server) server.closeIdleConnections();
      let force: NodeJS.Timeout | undefined;
      await Promise.race([
        closed,
        new Promise<void>((resolve) => {
          force = setTimeout(resolve, graceMs);
        }),
      ]);
      clearTimeout(force);
      if ('closeAllConnections' in server) server.closeAllConnections();
      await closed;
      await built.close();
    },
  };
}
