import { createHmac } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { type GroundworkConfig, GroundworkError } from '../core/index.ts';

/**
 * Alert notifications: payloads (generic JSON, Slack-compatible `{text, blocks}`, Microsoft Teams MessageCard),
 * the HMAC signature and the SSRF guard. Delivery itself is the `monitor-webhook` job (src/monitor/deliveries.ts),
 * retried with backoff by the queue; nothing here runs on the answer path.
 *
 * Signature: `X-Groundwork-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>` with the Unix
 * timestamp (seconds) in `X-Groundwork-Timestamp`; receivers recompute it and reject old timestamps (replays).
 */
export type WebhookFormat = 'json' | 'slack' | 'teams';
export const webhookFormats = ['json', 'slack', 'teams'] as const;

export interface AlertNotice {
  readonly event: 'fired' | 'resolved';
  readonly alertId: string;
  readonly monitor: string;
  readonly kind: string;
  readonly useCase: string | null;
  readonly source: string | null;
  readonly status: string;
  readonly value: number | null;
  readonly reference: number | null;
  readonly threshold: string;
  readonly window: string;
  readonly firedAt: string;
  readonly resolvedAt: string | null;
  /** Trace ids only (never their content): open them in Groundwork, where trace access applies. */
  readonly exampleTraces: readonly string[];
  readonly incidentId: string | null;
}

const formatValue = (value: number | null) =>
  value === null ? '—' : Math.abs(value) >= 100 ? value.toFixed(0) : Number(value.toPrecision(3)).toString();

function summary(notice: AlertNotice): string {
  const target = notice.useCase ? `use case ${notice.useCase}` : notice.source ? `source ${notice.source}` : 'all use cases';
  const verb = notice.event === 'fired' ? 'FIRING' : 'RESOLVED';
  return `[${verb}] monitor ${notice.monitor} (${notice.kind}, ${target}): value ${formatValue(notice.value)}, threshold ${notice.threshold}, window ${notice.window}`;
}

/** The request body for a format. */
export function webhookBody(format: WebhookFormat, notice: AlertNotice): Record<string, unknown> {
  const text = summary(notice);
  const facts: Array<[string, string]> = [
    ['Monitor', notice.monitor],
    ['Kind', notice.kind],
    ['Target', notice.useCase ?? notice.source ?? 'all'],
    ['Value', formatValue(notice.value)],
    ['Reference', formatValue(notice.reference)],
    ['Threshold', notice.threshold],
    ['Window', notice.window],
    ['Alert', notice.alertId],
    ...(notice.incidentId ? ([['Incident', notice.incidentId]] as Array<[string, string]>) : []),
    ...(notice.exampleTraces.length ? ([['Example traces', notice.exampleTraces.join(', ')]] as Array<[string, string]>) : []),
  ];
  if (format === 'slack') {
    return {
      text,
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: `*${text}*` } },
        { type: 'section', fields: facts.map(([name, value]) => ({ type: 'mrkdwn', text: `*${name}*\n${value}` })).slice(0, 10) },
      ],
    };
  }
  if (format === 'teams') {
    return {
      '@type': 'MessageCard',
      '@context': 'https://schema.org/extensions',
      summary: text,
      themeColor: notice.event === 'fired' ? 'D7263D' : '2E9E44',
      title: text,
      sections: [{ facts: facts.map(([name, value]) => ({ name, value })) }],
    };
  }
  return { type: 'groundwork.alert', ...notice };
}

/** `sha256=<hex>` over `${timestamp}.${body}`. */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

type WebhookPolicy = Pick<GroundworkConfig['monitoring'], 'allowPrivateWebhooks' | 'webhookAllowedHosts'>;

function refused(url: string, why: string): GroundworkError {
  return new GroundworkError('monitor.webhook_refused', `Webhook ${redactWebhookUrl(url)} is not allowed: ${why}.`, {
    category: 'usage',
    fix: 'Use a public https URL, list its host in `monitoring.webhookAllowedHosts`, or set `monitoring.allowPrivateWebhooks: true` for a receiver on your own network.',
  });
}

/** Loopback, private (RFC 1918), link-local, CGNAT, unique-local, unspecified and mapped forms of those. */
export function isPrivateAddress(address: string): boolean {
  const ip = address.replace(/^\[|\]$/g, '').toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (mapped) return isPrivateAddress(mapped[1] as string);
  if (isIP(ip) === 4) {
    const [a, b] = ip.split('.').map(Number) as [number, number];
    return (
      a === 10 ||
      a === 127 ||
      a === 0 ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 100 && b >= 64 && b <= 127)
    );
  }
  if (isIP(ip) === 6) return ip === '::1' || ip === '::' || /^f[cd]/.test(ip) || /^fe[89ab]/.test(ip);
  return false;
}

/** The URL with its path and query hidden (Slack and Teams webhook URLs carry their secret in the path). */
export function redactWebhookUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' && !parsed.search ? '/' : '/…'}`;
  } catch {
    return '(invalid URL)';
  }
}

/** Checks the URL's form and host (no DNS): at create/update time. @throws `monitor.webhook_refused`. */
export function checkWebhookUrl(url: string, policy: WebhookPolicy): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw refused(url, 'it is not a URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw refused(url, 'only http and https are allowed');
  if (parsed.username || parsed.password) throw refused(url, 'credentials in the URL are not allowed (use the HMAC secret)');
  const host = parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (policy.webhookAllowedHosts.length > 0) {
    const allowed = policy.webhookAllowedHosts.some((pattern) => {
      const p = pattern.toLowerCase();
      return p.startsWith('*.') ? host.endsWith(p.slice(1)) : host === p;
    });
    if (!allowed) throw refused(url, `host ${host} is not in monitoring.webhookAllowedHosts`);
  }
  if (!policy.allowPrivateWebhooks && (host === 'localhost' || host.endsWith('.localhost') || isPrivateAddress(host))) {
    throw refused(url, `${host} is a loopback or private address`);
  }
  return parsed;
}

/** At delivery: the host's addresses must not be private either (DNS rebinding). @throws `monitor.webhook_refused`. */
export async function checkWebhookTarget(url: string, policy: WebhookPolicy): Promise<void> {
  const parsed = checkWebhookUrl(url, policy);
  if (policy.allowPrivateWebhooks) return;
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [{ address: host }] : await lookup(host, { all: true });
  for (const { address } of addresses) {
    if (isPrivateAddress(address)) throw refused(url, `${parsed.hostname} resolves to the private address ${address}`);
  }
}
