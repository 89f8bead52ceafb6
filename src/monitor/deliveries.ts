import { GroundworkError, systemClock } from '../core/index.ts';
import type { AlertRow } from './alerts.ts';
import type { MonitorDeps, MonitorRow } from './monitors.ts';
import { formatDuration } from './threshold.ts';
import { type AlertNotice, checkWebhookTarget, signWebhook, webhookBody } from './webhooks.ts';

/**
 * One webhook delivery attempt — the `monitor-webhook` job's work. A failure throws `monitor.webhook_failed`
 * (retryable) so the queue retries with backoff; the last attempt marks the delivery and the monitor's
 * webhook `failing` (shown by `monitors show`, GET /v1/monitors/:id and the Monitors page) and returns.
 * The secret is read here and only here; it is never logged or put in an error.
 */
export interface DeliveryAttempt {
  /** Retries already made (0 on the first attempt). */
  readonly retryCount: number;
  /** Retries the job type allows; at `retryCount >= retryLimit` this is the last attempt. */
  readonly retryLimit: number;
  readonly fetch?: typeof fetch;
}

export interface DeliveryResult {
  readonly deliveryId: string;
  readonly status: 'delivered' | 'failing' | 'skipped';
  readonly httpStatus?: number;
  readonly error?: string;
}

export async function deliverAlertWebhook(
  deps: MonitorDeps,
  deliveryId: string,
  attempt: DeliveryAttempt,
): Promise<DeliveryResult> {
  const { rows } = await deps.db.query<{
    id: string;
    alert_id: string;
    monitor_id: string;
    event: 'fired' | 'resolved';
    status: string;
  }>('SELECT id, alert_id, monitor_id, event, status FROM alert_deliveries WHERE id = $1', [deliveryId]);
  const delivery = rows[0];
  if (!delivery || delivery.status === 'delivered') return { deliveryId, status: 'skipped' };
  const monitor = (await deps.db.query<MonitorRow>('SELECT * FROM monitors WHERE id = $1', [delivery.monitor_id])).rows[0];
  const alert = (await deps.db.query<AlertRow>('SELECT * FROM alerts WHERE id = $1', [delivery.alert_id])).rows[0];
  if (!monitor?.webhook_url || !alert) return { deliveryId, status: 'skipped' };
  const notice: AlertNotice = {
    event: delivery.event,
    alertId: alert.id,
    monitor: alert.monitor_name,
    kind: alert.kind,
    useCase: alert.use_case,
    source: alert.source,
    status: alert.status,
    value: alert.value === null ? null : Number(alert.value),
    reference: alert.reference === null ? null : Number(alert.reference),
    threshold: alert.threshold,
    window: formatDuration(alert.window_seconds),
    firedAt: new Date(alert.fired_at).toISOString(),
    resolvedAt: alert.resolved_at ? new Date(alert.resolved_at).toISOString() : null,
    exampleTraces: alert.example_traces ?? [],
    incidentId: alert.incident_id,
  };
  const body = JSON.stringify(webhookBody(monitor.webhook_format, notice));
  const secret =
    monitor.webhook_secret ??
    (monitor.webhook_secret_env ? deps.secrets?.(monitor.webhook_secret_env) : undefined) ??
    (deps.config.monitoring.webhookSecretEnv ? deps.secrets?.(deps.config.monitoring.webhookSecretEnv) : undefined);
  const now = (deps.clock ?? systemClock).now();
  const timestamp = Math.floor(now.getTime() / 1000);
  let httpStatus: number | undefined;
  let failure: string | undefined;
  try {
    await checkWebhookTarget(monitor.webhook_url, deps.config.monitoring);
    const response = await (attempt.fetch ?? fetch)(monitor.webhook_url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'groundwork-monitors',
        'x-groundwork-delivery': deliveryId,
        'x-groundwork-event': `alert.${delivery.event}`,
        'x-groundwork-timestamp': String(timestamp),
        ...(secret ? { 'x-groundwork-signature': signWebhook(secret, timestamp, body) } : {}),
      },
      body,
      redirect: 'manual', // a redirect could point at an internal address
      signal: AbortSignal.timeout(deps.config.monitoring.webhookTimeoutMs),
    });
    httpStatus = response.status;
    await response.body?.cancel().catch(() => {});
    if (response.status < 200 || response.status >= 300) failure = `HTTP ${response.status}`;
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
  }
  if (!failure) {
    await deps.db.transaction(async (tx) => {
      await tx.query(
        `UPDATE alert_deliveries SET status = 'delivered', attempts = attempts + 1, last_status = $2, last_error = NULL, delivered_at = $3 WHERE id = $1`,
        [deliveryId, httpStatus ?? null, now],
      );
      await tx.query(`UPDATE monitors SET webhook_status = 'ok', webhook_error = NULL WHERE id = $1`, [monitor.id]);
    });
    return { deliveryId, status: 'delivered', ...(httpStatus ? { httpStatus } : {}) };
  }
  const last = attempt.retryCount >= attempt.retryLimit;
  await deps.db.transaction(async (tx) => {
    await tx.query(
      `UPDATE alert_deliveries SET attempts = attempts + 1, last_status = $2, last_error = $3, status = $4 WHERE id = $1`,
      [deliveryId, httpStatus ?? null, failure, last ? 'failing' : 'pending'],
    );
    if (last) {
      await tx.query(`UPDATE monitors SET webhook_status = 'failing', webhook_error = $2, webhook_failed_at = $3 WHERE id = $1`, [
        monitor.id,
        failure,
        now,
      ]);
    }
  });
  deps.logger?.warn('alert webhook failed', {
    deliveryId,
    monitor: monitor.name,
    attempt: attempt.retryCount + 1,
    error: failure,
    last,
  });
  if (last) return { deliveryId, status: 'failing', ...(httpStatus ? { httpStatus } : {}), error: failure };
  throw new GroundworkError('monitor.webhook_failed', `Webhook of monitor ${monitor.name} failed: ${failure}.`, {
    category: 'unavailable',
    isRetryable: true,
    fix: 'The queue retries it with backoff; check the receiver.',
  });
}
