/**
 * A real S3 API on loopback for connector tests and the benchmark: s3rver (a devDependency) in a child process
 * on 127.0.0.1:0, plus an optional fault-injecting proxy in front of it (throttling, 5xx, malformed XML, cut
 * connections) that forwards signed requests unchanged (the SigV4 signature covers the Host header, which the
 * proxy keeps). Credentials: s3rver's fixed `S3RVER` / `S3RVER`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
} from '@aws-sdk/client-s3';

export const s3rverCredentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface S3Server {
  readonly endpoint: string;
  readonly client: S3Client;
  createBucket(bucket: string): Promise<void>;
  put(bucket: string, key: string, body: string | Uint8Array, tags?: Record<string, string>): Promise<void>;
  tag(bucket: string, key: string, tags: Record<string, string>): Promise<void>;
  remove(bucket: string, key: string): Promise<void>;
  stop(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));

export async function startS3Server(): Promise<S3Server> {
  const directory = await mkdtemp(join(tmpdir(), 'gw-s3rver-'));
  const child: ChildProcess = spawn(process.execPath, ['--openssl-legacy-provider', join(here, 's3rver-child.ts'), directory], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let buffer = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const line = buffer.split('\n')[0];
      if (buffer.includes('\n') && line) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code}`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: s3rverCredentials });
  const tagging = (tags: Record<string, string>) => ({ TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) });
  return {
    endpoint,
    client,
    async createBucket(bucket) {
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
    },
    async put(bucket, key, body, tags) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      // s3rver ignores the Tagging header of PutObject: tags go on with PutObjectTagging, as many tools do.
      if (tags) await client.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: key, Tagging: tagging(tags) }));
    },
    async tag(bucket, key, tags) {
      await client.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: key, Tagging: tagging(tags) }));
    },
    async remove(bucket, key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
    async stop() {
      client.destroy();
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** What the fault proxy does with the next matching requests. */
export type Fault =
  | { readonly kind: 'status'; readonly status: number; readonly code: string; readonly retryAfter?: string }
  | { readonly kind: 'malformed' }
  | { readonly kind: 'hangup' };

export interface FaultProxy {
  readonly endpoint: string;
  /** Applies `fault` to the next `times` requests whose URL matches `match` (e.g. `list-type=2`). */
  inject(fault: Fault, options: { readonly times: number; readonly match?: RegExp; readonly after?: number }): void;
  /** Drops every pending fault. */
  clear(): void;
  /** Requests seen (method and URL). */
  readonly seen: string[];
  stop(): Promise<void>;
}

/** A loopback proxy in front of `target` that can fail requests on purpose. */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const rules: Array<{ fault: Fault; times: number; match?: RegExp; after: number }> = [];
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    seen.push(`${req.method} ${url}`);
    const rule = rules.find((r) => r.times > 0 && (!r.match || r.match.test(url)));
    if (rule && rule.after > 0) rule.after -= 1;
    else if (rule) {
      rule.times -= 1;
      if (rule.fault.kind === 'hangup') {
        req.socket.destroy();
        return;
      }
      if (rule.fault.kind === 'malformed') {
        res.writeHead(200, { 'content-type': 'application/xml' });
        res.end('<?xml version="1.0"?><ListBucketResult><Contents><Key>broken');
        return;
      }
      res.writeHead(rule.fault.status, {
        'content-type': 'application/xml',
        ...(rule.fault.retryAfter ? { 'retry-after': rule.fault.retryAfter } : {}),
      });
      res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${rule.fault.code}</Code><Message>injected</Message></Error>`);
      return;
    }
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: url, headers: req.headers },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    seen,
    clear() {
      rules.length = 0;
    },
    inject(fault, options) {
      rules.push({ fault, times: options.times, after: options.after ?? 0, ...(options.match ? { match: options.match } : {}) });
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
