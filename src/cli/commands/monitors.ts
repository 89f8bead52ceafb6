import type { Command } from 'commander';
import { type Environment, GroundworkError, localOperator } from '../../core/index.ts';
import {
  acknowledgeAlert,
  alertStatuses,
  createMonitor,
  deleteMonitor,
  evaluateMonitors,
  getMonitor,
  listAlerts,
  listMonitors,
  monitorKinds,
  resolveAlert,
  updateMonitor,
  webhookFormats,
} from '../../monitor/index.ts';
import { monitorDeps } from '../../worker.ts';
import type { CliRuntime, CommandContext } from '../context.ts';
import { exitCodes } from '../exit-codes.ts';
import { table } from '../output.ts';

/** A monitor / alert / evaluation as `--json` prints it (the API's shape: dates as ISO strings). */
type Json = Record<string, unknown>;
interface MonitorJson extends Json {
  id: string;
  name: string;
  kind: string;
  useCase: string | null;
  source: string | null;
  threshold: string;
  window: string;
  lastValue: number | null;
  lastState: string | null;
  webhook: { url: string; status: string | null; error: string | null } | null;
  evaluations?: Array<{ at: string; value: number | null; state: string }>;
  openAlertId?: string | null;
}
interface AlertJson extends Json {
  id: string;
  monitor: string;
  kind: string;
  status: string;
  value: number | null;
  threshold: string;
  window: string;
  firedAt: string;
  useCase: string | null;
  source: string | null;
}

const json = <T>(value: unknown): T => JSON.parse(JSON.stringify(value)) as T;
const value = (v: number | null | undefined) => (v === null || v === undefined ? '—' : Number(v.toPrecision(4)).toString());
const path = (id: string) => encodeURIComponent(id);

function usage(message: string, fix: string): GroundworkError {
  return new GroundworkError('cli.invalid_option', message, { category: 'usage', fix });
}

/** `--param key=value` (repeatable): numbers and booleans as such. */
function parseParams(values: readonly string[] = []): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const entry of values) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw usage(`--param ${entry} is not KEY=VALUE.`, 'Write --param minSample=20 (repeatable).');
    const raw = entry.slice(eq + 1);
    out[entry.slice(0, eq)] =
      raw === 'true' ? true : raw === 'false' ? false : raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  }
  return out;
}

const collect = (v: string, previous: string[] = []) => [...previous, v];

interface DefinitionOptions {
  useCase?: string;
  source?: string;
  threshold?: string;
  window?: string;
  baseline?: string;
  every?: string;
  webhook?: string;
  webhookFormat?: string;
  webhookSecretEnv?: string;
  param?: string[];
  incident?: string;
  rollback?: boolean;
  disabled?: boolean;
  enabled?: boolean;
}

/** `env`: the CLI's environment (context.io.env), where `--webhook-secret-env` names the secret. */
function definitionInput(options: DefinitionOptions, env: Environment): Json {
  if (options.webhookFormat && !(webhookFormats as readonly string[]).includes(options.webhookFormat)) {
    throw usage(
      `--webhook-format ${options.webhookFormat} is not one of ${webhookFormats.join(', ')}.`,
      `Use ${webhookFormats.join(', ')}.`,
    );
  }
  let webhookSecret: string | undefined;
  if (options.webhookSecretEnv) {
    webhookSecret = env[options.webhookSecretEnv];
    if (!webhookSecret) {
      throw usage(
        `--webhook-secret-env ${options.webhookSecretEnv}: that environment variable is empty.`,
        'Export the secret first.',
      );
    }
  }
  const onFire =
    options.incident || options.rollback
      ? { ...(options.incident ? { incident: options.incident } : {}), ...(options.rollback ? { rollback: true } : {}) }
      : undefined;
  return {
    ...(options.useCase ? { useCase: options.useCase } : {}),
    ...(options.source ? { source: options.source } : {}),
    ...(options.threshold ? { threshold: options.threshold } : {}),
    ...(options.window ? { window: options.window } : {}),
    ...(options.baseline ? { baseline: options.baseline } : {}),
    ...(options.every ? { every: options.every } : {}),
    ...(options.webhook ? { webhook: options.webhook } : {}),
    ...(options.webhookFormat ? { webhookFormat: options.webhookFormat } : {}),
    ...(webhookSecret ? { webhookSecret } : {}),
    ...(options.param ? { params: parseParams(options.param) } : {}),
    ...(onFire ? { onFire } : {}),
    ...(options.disabled ? { enabled: false } : options.enabled ? { enabled: true } : {}),
  };
}

function withDefinitionOptions(command: Command): Command {
  return command
    .option('--use-case <name>', 'watch this use case (answer-quality, review, cost and retrieval kinds; none: every use case)')
    .option('--source <name>', 'watch this source (freshness, update-lag, documents-count, quarantine-rate)')
    .option('--threshold <expr>', 'e.g. ">0.2", "<0.5", "drop>0.3", "rise>0.5", "age>24h" (default per kind)')
    .option('--window <duration>', 'sliding window, e.g. 1h (default 1h)')
    .option('--baseline <duration>', 'baseline window for score-drift and cost/tokens per answer (default 7 × window)')
    .option('--every <duration>', 'evaluate at most this often (default 5m)')
    .option('--webhook <url>', 'POST alerts here (http/https; private addresses need monitoring.allowPrivateWebhooks)')
    .option('--webhook-format <format>', webhookFormats.join(', '))
    .option('--webhook-secret-env <NAME>', 'HMAC secret for X-Groundwork-Signature, read from this environment variable')
    .option('--param <key=value>', 'kind parameter, e.g. minSample=20, below=0.4, staleAfter=180d (repeatable)', collect)
    .option('--incident <sev>', 'open an incident of this severity when it fires (sev1–sev4)')
    .option('--rollback', "roll the use case's production labels back when it fires (if the use case's policy allows)");
}

function humanMonitor(m: MonitorJson): string {
  const lines = [
    `${m.name}  ${m.kind}  ${m.useCase ? `use case ${m.useCase}` : m.source ? `source ${m.source}` : 'all use cases'}`,
    `threshold ${m.threshold}  window ${m.window}  last value ${value(m.lastValue)}  state ${m.lastState ?? 'not evaluated'}`,
  ];
  if (m.webhook)
    lines.push(
      `webhook ${m.webhook.url}  ${m.webhook.status ?? 'nothing sent yet'}${m.webhook.error ? `: ${m.webhook.error}` : ''}`,
    );
  if (m.openAlertId) lines.push(`open alert ${m.openAlertId}`);
  if (m.evaluations?.length) {
    lines.push('', 'recent evaluations:');
    for (const e of m.evaluations.slice(0, 10)) lines.push(`  ${e.at}  ${value(e.value)}  ${e.state}`);
  }
  return lines.join('\n');
}

async function local(context: CommandContext) {
  return monitorDeps(await context.platform());
}

/** `groundwork monitors list|show|create|update|delete|evaluate` and `groundwork alerts list|ack|resolve`. */
export function registerMonitorsCommands(program: Command, runtime: CliRuntime): void {
  const monitors = program
    .command('monitors')
    .description('monitors: answer quality, retrieval, PII, cost and freshness metrics over a window, against a threshold');

  monitors
    .command('list')
    .description('monitors with their last value and state')
    .option('--use-case <name>', 'only this use case')
    .option('--source <name>', 'only this source')
    .action(
      runtime.action(async (context, options: { useCase?: string; source?: string }) => {
        const api = context.api();
        const rows = api
          ? (
              await api.get<{ monitors: MonitorJson[] }>('/v1/monitors', {
                query: { useCase: options.useCase, source: options.source },
              })
            ).monitors
          : json<MonitorJson[]>(
              await listMonitors((await context.platform()).db, localOperator, {
                ...(options.useCase ? { useCase: options.useCase } : {}),
                ...(options.source ? { source: options.source } : {}),
              }),
            );
        context.output.result({ monitors: rows }, (r) =>
          r.monitors.length === 0
            ? 'No monitors.'
            : table(
                ['NAME', 'KIND', 'TARGET', 'THRESHOLD', 'WINDOW', 'VALUE', 'STATE', 'WEBHOOK'],
                r.monitors.map((m) => [
                  m.name,
                  m.kind,
                  m.useCase ?? m.source ?? '(all)',
                  m.threshold,
                  m.window,
                  value(m.lastValue),
                  m.lastState ?? '',
                  m.webhook?.status ?? (m.webhook ? 'pending' : ''),
                ]),
              ),
        );
        return exitCodes.ok;
      }),
    );

  monitors
    .command('show <monitor>')
    .description('one monitor (id or name) with its recent evaluations, open alert and webhook deliveries')
    .action(
      runtime.action(async (context, ref: string) => {
        const api = context.api();
        const monitor = api
          ? await api.get<MonitorJson>(`/v1/monitors/${path(ref)}`)
          : json<MonitorJson>(await getMonitor((await context.platform()).db, localOperator, ref));
        context.output.result(monitor, humanMonitor);
        return exitCodes.ok;
      }),
    );

  withDefinitionOptions(
    monitors
      .command('create')
      .description('create a monitor')
      .requiredOption('--name <name>', 'lower-case letters, digits, - and _')
      .requiredOption('--kind <kind>', monitorKinds.join(', ')),
  )
    .option('--disabled', 'create it disabled')
    .action(
      runtime.action(async (context, options: DefinitionOptions & { name: string; kind: string }) => {
        const input = { name: options.name, kind: options.kind, ...definitionInput(options, context.io.env) };
        const api = context.api();
        const monitor = api
          ? await api.post<MonitorJson>('/v1/monitors', input)
          : json<MonitorJson>(await createMonitor(await local(context), localOperator, input as never));
        context.output.result(
          monitor,
          (m) => `Created monitor ${m.name} (${m.kind}, threshold ${m.threshold}, window ${m.window}).`,
        );
        return exitCodes.ok;
      }),
    );

  withDefinitionOptions(monitors.command('update <monitor>').description('change a monitor created over the API or CLI'))
    .option('--enabled', 'enable it')
    .option('--disabled', 'disable it')
    .action(
      runtime.action(async (context, ref: string, options: DefinitionOptions) => {
        const input = definitionInput(options, context.io.env);
        const api = context.api();
        const monitor = api
          ? await api.request<MonitorJson>('PATCH', `/v1/monitors/${path(ref)}`, { body: input })
          : json<MonitorJson>(await updateMonitor(await local(context), localOperator, ref, input as never));
        context.output.result(monitor, (m) => `Updated monitor ${m.name} (threshold ${m.threshold}, window ${m.window}).`);
        return exitCodes.ok;
      }),
    );

  monitors
    .command('delete <monitor>')
    .description('delete a monitor with its evaluations and alerts')
    .action(
      runtime.action(async (context, ref: string) => {
        const api = context.api();
        const deleted = api
          ? (await api.delete<{ deleted: { id: string; name: string } }>(`/v1/monitors/${path(ref)}`)).deleted
          : await deleteMonitor(await local(context), localOperator, ref);
        context.output.result({ deleted }, (d) => `Deleted monitor ${d.deleted.name}.`);
        return exitCodes.ok;
      }),
    );

  monitors
    .command('evaluate')
    .description('evaluate every due monitor now (alerts fire and resolve; webhooks are queued)')
    .option('--all', 'every enabled monitor, due or not')
    .option('--monitor <name>', 'only this monitor (repeatable)', collect)
    .action(
      runtime.action(async (context, options: { all?: boolean; monitor?: string[] }) => {
        const request = { ...(options.all ? { force: true } : {}), ...(options.monitor ? { monitors: options.monitor } : {}) };
        const api = context.api();
        const results = api
          ? (await api.post<{ results: Json[] }>('/v1/monitors/evaluate', request)).results
          : json<Json[]>(await evaluateMonitors(await local(context), localOperator, request));
        context.output.result({ results }, (r) =>
          r.results.length === 0
            ? 'No monitor is due.'
            : table(
                ['MONITOR', 'KIND', 'VALUE', 'THRESHOLD', 'STATE', 'ALERT'],
                r.results.map((e) => {
                  const alert = e.alert as { id: string; action: string } | null;
                  return [
                    e.name,
                    e.kind,
                    value(e.value as number | null),
                    e.threshold,
                    e.state,
                    alert ? `${alert.action} ${alert.id}` : '',
                  ];
                }),
              ),
        );
        return exitCodes.ok;
      }),
    );

  const alerts = program.command('alerts').description('alerts of monitors: firing → acknowledged → resolved');

  alerts
    .command('list')
    .description('alerts, newest first')
    .option('--status <status>', alertStatuses.join(', '))
    .option('--open', 'only firing or acknowledged alerts')
    .option('--monitor <name>', 'only this monitor')
    .option('--use-case <name>', 'only this use case')
    .action(
      runtime.action(async (context, options: { status?: string; open?: boolean; monitor?: string; useCase?: string }) => {
        if (options.status && !(alertStatuses as readonly string[]).includes(options.status)) {
          throw usage(
            `--status ${options.status} is not one of ${alertStatuses.join(', ')}.`,
            `Use ${alertStatuses.join(', ')}.`,
          );
        }
        const status = options.status as (typeof alertStatuses)[number] | undefined;
        const api = context.api();
        const rows = api
          ? (
              await api.get<{ alerts: AlertJson[] }>('/v1/alerts', {
                query: { status, open: options.open ? 'true' : undefined, monitor: options.monitor, useCase: options.useCase },
              })
            ).alerts
          : json<AlertJson[]>(
              await listAlerts((await context.platform()).db, localOperator, {
                open: Boolean(options.open),
                ...(status ? { status } : {}),
                ...(options.monitor ? { monitor: options.monitor } : {}),
                ...(options.useCase ? { useCase: options.useCase } : {}),
              }),
            );
        context.output.result({ alerts: rows }, (r) =>
          r.alerts.length === 0
            ? 'No alerts.'
            : table(
                ['ID', 'STATUS', 'MONITOR', 'KIND', 'TARGET', 'VALUE', 'THRESHOLD', 'FIRED'],
                r.alerts.map((a) => [
                  a.id,
                  a.status,
                  a.monitor,
                  a.kind,
                  a.useCase ?? a.source ?? '(all)',
                  value(a.value),
                  a.threshold,
                  a.firedAt,
                ]),
              ),
        );
        return exitCodes.ok;
      }),
    );

  for (const [name, description] of [
    ['ack', 'acknowledge a firing alert (someone is on it)'],
    ['resolve', 'resolve an alert by hand (alerts also resolve themselves when the monitor is healthy again)'],
  ] as const) {
    alerts
      .command(`${name} <id>`)
      .description(description)
      .option('--note <text>', 'a note kept on the alert and in the audit log')
      .action(
        runtime.action(async (context, id: string, options: { note?: string }) => {
          const body = options.note ? { note: options.note } : {};
          const api = context.api();
          const alert = api
            ? await api.post<AlertJson>(`/v1/alerts/${path(id)}/${name}`, body)
            : json<AlertJson>(
                await (name === 'ack' ? acknowledgeAlert : resolveAlert)(await local(context), localOperator, id, body),
              );
          context.output.result(alert, (a) => `Alert ${a.id} is ${a.status}.`);
          return exitCodes.ok;
        }),
      );
  }
}
