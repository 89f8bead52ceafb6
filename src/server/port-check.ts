import { createServer } from 'node:net';
import { GroundworkError } from '../core/index.ts';

/**
 * Whether `host:port` can be bound right now. Checked before minutes of start-up work (migrations, index
 * builds, a demo ingest), so a taken port fails at once instead of after all of it. The server binds the
 * port again afterwards, so another process can still take it in between: `startServer` reports that race
 * with the same error.
 */
export async function isPortFree(host: string, port: number): Promise<boolean> {
  if (port === 0) return true;
  return new Promise<boolean>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' ? resolve(false) : reject(error)));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}

/** `server.port_in_use` (usage: exit code 2) for `groundwork serve` and anything that binds the API port. */
export function portInUseError(host: string, port: number): GroundworkError {
  return new GroundworkError('server.port_in_use', `Port ${port} on ${host} is already in use by another process.`, {
    category: 'usage',
    fix: 'Stop the other process, or choose another port with --port (--port 0 picks a free one), or set server.port.',
    details: { host, port },
  });
}

/** @throws `server.port_in_use` when the port is taken. */
export async function assertPortFree(host: string, port: number): Promise<void> {
  if (!(await isPortFree(host, port))) throw portInUseError(host, port);
}
