import type { ErrorCodeTable } from '../core/index.ts';

/** The error codes the monitor feature throws (registered in src/error-codes.ts, documented in docs/errors.md). */
export const monitorErrorCodes = {
  'monitor.invalid': {
    category: 'usage',
    description: 'A monitor field is missing or malformed (name, window, webhook, params, target).',
    fix: 'Correct the named fields (see `groundwork monitors create --help`, docs/monitoring.md or /openapi.json).',
  },
  'monitor.unknown_kind': {
    category: 'usage',
    description: 'The monitor kind (metric) is not one Groundwork knows; the message lists the valid kinds.',
    fix: 'Use one of the kinds listed in the message (docs/monitoring.md describes each).',
  },
  'monitor.invalid_threshold': {
    category: 'usage',
    description: 'The threshold expression does not parse, or does not fit the kind; the message gives the grammar.',
    fix: 'Write `>0.2`, `<0.5`, `>=N`, `<=N`, `drop>0.3` (relative fall), `rise>0.5` (relative rise) or `age>24h`.',
  },
  'monitor.not_found': {
    category: 'not_found',
    description: 'No monitor has this id or name (or the caller may not see its use case).',
    fix: 'List monitors with `groundwork monitors list` (GET /v1/monitors).',
  },
  'monitor.exists': {
    category: 'conflict',
    description: 'A monitor with this name already exists.',
    fix: 'Pick another name, or update the existing monitor (`groundwork monitors update NAME …`).',
  },
  'monitor.configured': {
    category: 'conflict',
    description: 'The monitor comes from the configuration file (`monitors:`), so the API cannot change or delete it.',
    fix: 'Edit `monitors:` in the groundwork configuration; it is reconciled at the next evaluation.',
  },
  'monitor.webhook_refused': {
    category: 'usage',
    description:
      'The webhook URL is not allowed: not http(s), a host outside `monitoring.webhookAllowedHosts`, or a private/loopback address.',
    fix: 'Use a public https URL, add the host to `monitoring.webhookAllowedHosts`, or set `monitoring.allowPrivateWebhooks: true` for a receiver on your network.',
  },
  'monitor.webhook_failed': {
    category: 'unavailable',
    retryable: true,
    description: 'A webhook POST failed (network error, timeout or non-2xx answer); the job retries it with backoff.',
    fix: 'Check the receiver; after the last retry the monitor shows webhook status `failing`.',
  },
  'alert.not_found': {
    category: 'not_found',
    description: 'No alert has this id (or the caller may not see its monitor).',
    fix: 'List alerts with `groundwork alerts list` (GET /v1/alerts).',
  },
  'alert.already_resolved': {
    category: 'conflict',
    description: 'The alert is resolved already; it cannot be acknowledged or resolved again.',
    fix: 'Nothing to do; if the monitor still fires, its next evaluation opens a new alert.',
  },
} as const satisfies ErrorCodeTable;
