/**
 * Loopback fakes of the systems actions call: a webhook receiver that counts deliveries by idempotency key
 * (and can be told to fail), and an SMTP server (smtp-server) that keeps the messages it accepted.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface Delivery {
  readonly key: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly deliveries: Delivery[];
  /** Distinct idempotency keys seen (what an idempotent receiver acts on). */
  distinctKeys(): Set<string>;
  /** Answer 500 to the next `n` deliveries. */
  failNext(n: number): void;
  /** Called when a delivery arrives, before the answer (a test may kill the sender there). */
  onDelivery?: (delivery: Delivery) => void | Promise<void>;
  /** Hold answers until `release()` (the sender is mid-execution meanwhile). */
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const deliveries: Delivery[] = [];
  let failures = 0;
  let held: Promise<void> | undefined;
  let releaseHeld: (() => void) | undefined;
  const receiver: WebhookReceiver = {
    url: '',
    deliveries,
    distinctKeys: () => new Set(deliveries.map((d) => d.key)),
    failNext(n) {
      failures = n;
    },
    hold() {
      held = new Promise((resolve) => {
        releaseHeld = resolve;
      });
    },
    release() {
      releaseHeld?.();
      held = undefined;
    },
    close: async () => {
      receiver.release();
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', async () => {
      const delivery = { key: String(req.headers['idempotency-key'] ?? ''), headers: req.headers, body };
      deliveries.push(delivery);
      await receiver.onDelivery?.(delivery);
      if (held) await held;
      if (failures > 0) {
        failures--;
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"boom"}');
        return;
      }
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ ok: true, seen: receiver.distinctKeys().size }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  (receiver as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return receiver;
}

export interface SmtpSink {
  readonly port: number;
  readonly messages: Array<{ from: string; to: string[]; raw: string }>;
  close(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const messages: SmtpSink['messages'] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (chunk: Buffer) => {
        raw += chunk.toString('utf8');
      });
      stream.on('end', () => {
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    messages,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
