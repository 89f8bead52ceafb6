import type { Command } from 'commander';
import { GroundworkError, localOperator } from '../../core/index.ts';
import {
  getIncident,
  type IncidentLinkInput,
  type IncidentWriteContext,
  incidentLinkKinds,
  incidentSeverities,
  incidentStatuses,
  listIncidents,
  openIncident,
  resolveIncident,
  rollbackFromIncident,
  rollbackTargets,
  updateIncident,
} from '../../incidents/index.ts';
import type { CliRuntime, CommandContext } from '../context.ts';
import { exitCodes } from '../exit-codes.ts';
import { table } from '../output.ts';

/** An incident as `--json` prints it (the API's shape: dates as ISO strings). */
interface IncidentJson {
  id: string;
  title: string;
  severity: string;
  status: string;
  useCase: string | null;
  description: string;
  openedBy: string;
  openedAt: string;
  resolvedAt: string | null;
  postIncidentNote: string | null;
  links: Array<{ kind: string; ref: string; trace?: { outcome: string; documentsRestricted: boolean } | null }>;
  timeline?: Array<{ seq: number; at: string; actor: string; kind: string; note: string | null; data: Record<string, unknown> }>;
}

const json = <T>(value: unknown): T => JSON.parse(JSON.stringify(value)) as T;

/** `--link trace:trc_…` (repeatable) → links. */
function parseLinks(values: readonly string[] = []): IncidentLinkInput[] {
  return values.map((value) => {
    const colon = value.indexOf(':');
    const kind = value.slice(0, colon);
    const ref = value.slice(colon + 1);
    if (colon <= 0 || !(incidentLinkKinds as readonly string[]).includes(kind) || !ref) {
      throw new GroundworkError('cli.invalid_option', `--link ${value} is not KIND:ID.`, {
        category: 'usage',
        fix: `Write --link trace:trc_… (kinds: ${incidentLinkKinds.join(', ')}).`,
      });
    }
    return { kind: kind as IncidentLinkInput['kind'], ref };
  });
}

/** Who may approve, for people: the listed approvers, then admins (the kernel lists admins as `role:admin`). */
function approversText(eligible: readonly string[]): string {
  const people = eligible.filter((p) => p !== 'role:admin');
  return people.length > 0 ? `${people.join(', ')} or an admin` : 'an admin';
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function human(incident: IncidentJson): string {
  const lines = [
    `${incident.id}  ${incident.severity}  ${incident.status}  ${incident.title}`,
    `use case: ${incident.useCase ?? '—'}   opened by ${incident.openedBy} at ${incident.openedAt}`,
  ];
  if (incident.description) lines.push('', incident.description);
  if (incident.links.length > 0) {
    lines.push('', 'links:');
    for (const link of incident.links) {
      const trace =
        link.trace === null
          ? ' (not visible to you)'
          : link.trace?.documentsRestricted
            ? ' (uses documents you may not read)'
            : '';
      lines.push(`  ${link.kind} ${link.ref}${trace}`);
    }
  }
  if (incident.timeline) {
    lines.push('', 'timeline:');
    for (const event of incident.timeline) {
      const data = event.data as { from?: string; to?: string; kind?: string; ref?: string };
      const what =
        event.kind === 'status' || event.kind === 'severity'
          ? `${event.kind} ${data.from} → ${data.to}`
          : event.kind === 'link' || event.kind === 'unlink'
            ? `${event.kind} ${data.kind} ${data.ref}`
            : event.kind;
      lines.push(`  ${event.at}  ${event.actor}  ${what}${event.note ? `: ${event.note}` : ''}`);
    }
  }
  if (incident.postIncidentNote) lines.push('', `post-incident note: ${incident.postIncidentNote}`);
  return lines.join('\n');
}

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new GroundworkError('cli.invalid_option', `${flag} ${value} is not one of ${allowed.join(', ')}.`, {
    category: 'usage',
    fix: `Use one of: ${allowed.join(', ')}.`,
  });
}

/** Without --server: the local platform's clock and governance (change links are checked). */
async function localContext(context: CommandContext): Promise<IncidentWriteContext> {
  const platform = await context.platform();
  return { clock: platform.clock, governance: platform.governance, events: platform.events };
}

async function show(context: CommandContext, id: string): Promise<IncidentJson> {
  const api = context.api();
  if (api) return api.get<IncidentJson>(`/v1/incidents/${encodeURIComponent(id)}`);
  return json(await getIncident((await context.platform()).db, localOperator, id));
}

/** `groundwork incidents open|list|show|update|resolve` (local store as the operator, or `--server`). */
export function registerIncidentsCommands(program: Command, runtime: CliRuntime): void {
  const incidents = program
    .command('incidents')
    .description('incidents: severity, status (open → triaged → mitigated → resolved), timeline, links, rollback');

  incidents
    .command('open <title>')
    .description('open an incident')
    .requiredOption('--severity <sev>', `one of ${incidentSeverities.join(', ')} (sev1 is the worst)`)
    .option('--use-case <name>', 'the affected use case')
    .option('--description <text>', 'what is wrong')
    .option('--link <kind:id>', 'link a trace, feedback entry or change request (repeatable)', collect)
    .action(
      runtime.action(
        async (
          context,
          title: string,
          options: { severity: string; useCase?: string; description?: string; link?: string[] },
        ) => {
          const input = {
            title,
            severity: oneOf('--severity', options.severity, incidentSeverities) as (typeof incidentSeverities)[number],
            ...(options.useCase ? { useCase: options.useCase } : {}),
            ...(options.description ? { description: options.description } : {}),
            ...(options.link ? { links: parseLinks(options.link) } : {}),
          };
          const api = context.api();
          const incident = api
            ? await api.post<IncidentJson>('/v1/incidents', input)
            : json<IncidentJson>(
                await openIncident((await context.platform()).db, localOperator, input, await localContext(context)),
              );
          context.output.result(incident, (i) => `Opened incident ${i.id} (${i.severity}): ${i.title}`);
          return exitCodes.ok;
        },
      ),
    );

  incidents
    .command('list')
    .description('incidents, newest first')
    .option('--status <status>', incidentStatuses.join(', '))
    .option('--severity <sev>', incidentSeverities.join(', '))
    .option('--use-case <name>', 'only this use case')
    .option('--active', 'only incidents not resolved yet')
    .option('--limit <n>', 'at most this many', '100')
    .action(
      runtime.action(
        async (context, options: { status?: string; severity?: string; useCase?: string; active?: boolean; limit: string }) => {
          const status = oneOf('--status', options.status, incidentStatuses);
          const severity = oneOf('--severity', options.severity, incidentSeverities);
          const limit = Number(options.limit);
          if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
            throw new GroundworkError('cli.invalid_option', `--limit ${options.limit} is not a number from 1 to 1000.`, {
              category: 'usage',
              fix: 'Give --limit a whole number from 1 to 1000.',
            });
          }
          const api = context.api();
          let rows: IncidentJson[];
          if (api) {
            const query = new URLSearchParams({ limit: String(limit) });
            if (status) query.set('status', status);
            if (severity) query.set('severity', severity);
            if (options.useCase) query.set('useCase', options.useCase);
            if (options.active) query.set('active', 'true');
            rows = (await api.get<{ incidents: IncidentJson[] }>(`/v1/incidents?${query}`)).incidents;
          } else {
            rows = json(
              await listIncidents((await context.platform()).db, localOperator, {
                limit,
                active: Boolean(options.active),
                ...(status ? { status } : {}),
                ...(severity ? { severity } : {}),
                ...(options.useCase ? { useCase: options.useCase } : {}),
              }),
            );
          }
          context.output.result({ incidents: rows }, (r) =>
            r.incidents.length === 0
              ? 'No incidents.'
              : table(
                  ['ID', 'SEV', 'STATUS', 'USE CASE', 'OPENED', 'TITLE'],
                  r.incidents.map((i) => [i.id, i.severity, i.status, i.useCase ?? '', i.openedAt, i.title]),
                ),
          );
          return exitCodes.ok;
        },
      ),
    );

  incidents
    .command('show <id>')
    .description('one incident with its links and timeline')
    .action(
      runtime.action(async (context, id: string) => {
        context.output.result(await show(context, id), human);
        return exitCodes.ok;
      }),
    );

  incidents
    .command('update <id>')
    .description('change status (moving back needs --note), severity or title; add a note; link or unlink')
    .option('--status <status>', 'open, triaged or mitigated (resolve with `incidents resolve`)')
    .option('--severity <sev>', incidentSeverities.join(', '))
    .option('--title <text>', 'a new title')
    .option('--note <text>', 'a note on the timeline (required when moving back)')
    .option('--link <kind:id>', 'link a trace, feedback entry or change request (repeatable)', collect)
    .option('--unlink <kind:id>', 'remove a link (repeatable)', collect)
    .action(
      runtime.action(
        async (
          context,
          id: string,
          options: { status?: string; severity?: string; title?: string; note?: string; link?: string[]; unlink?: string[] },
        ) => {
          const status = oneOf('--status', options.status, incidentStatuses);
          const severity = oneOf('--severity', options.severity, incidentSeverities);
          const input = {
            ...(status ? { status } : {}),
            ...(severity ? { severity } : {}),
            ...(options.title ? { title: options.title } : {}),
            ...(options.note ? { note: options.note } : {}),
            ...(options.link || options.unlink
              ? { links: { add: parseLinks(options.link), remove: parseLinks(options.unlink) } }
              : {}),
          };
          const api = context.api();
          const incident = api
            ? await api.request<IncidentJson>('PATCH', `/v1/incidents/${encodeURIComponent(id)}`, { body: input })
            : json<IncidentJson>(
                await updateIncident((await context.platform()).db, localOperator, id, input, await localContext(context)),
              );
          context.output.result(incident, human);
          return exitCodes.ok;
        },
      ),
    );

  incidents
    .command('resolve <id>')
    .description('resolve an incident (sev1 and sev2 need --post-incident-note)')
    .option('--note <text>', 'a closing note on the timeline')
    .option('--post-incident-note <text>', 'what happened, why, and what prevents it next time')
    .action(
      runtime.action(async (context, id: string, options: { note?: string; postIncidentNote?: string }) => {
        const input = {
          ...(options.note ? { note: options.note } : {}),
          ...(options.postIncidentNote ? { postIncidentNote: options.postIncidentNote } : {}),
        };
        const api = context.api();
        const incident = api
          ? await api.post<IncidentJson>(`/v1/incidents/${encodeURIComponent(id)}/resolve`, input)
          : json<IncidentJson>(await resolveIncident((await context.platform()).db, localOperator, id, input));
        context.output.result(incident, (i) => `Resolved incident ${i.id} (${i.severity}): ${i.title}`);
        return exitCodes.ok;
      }),
    );

  incidents
    .command('rollback <id>')
    .description("roll the affected use case's production prompt and/or model configuration back one version")
    .requiredOption('--reason <text>', 'why (kept on the change request, the timeline and the audit log)')
    .option('--target <what>', rollbackTargets.join(', '), 'both')
    .option('--emergency', 'apply at once, flagged, with a retrospective approval (admins, the owner or on-call only)')
    .action(
      runtime.action(async (context, id: string, options: { reason: string; target: string; emergency?: boolean }) => {
        const input = {
          reason: options.reason,
          target: oneOf('--target', options.target, rollbackTargets) ?? 'both',
          emergency: Boolean(options.emergency),
        };
        const api = context.api();
        let outcome: RollbackJson;
        if (api) {
          outcome = await api.post<RollbackJson>(`/v1/incidents/${encodeURIComponent(id)}/rollback`, input);
        } else {
          const platform = await context.platform();
          outcome = json(
            await rollbackFromIncident(platform.governance, platform.db, localOperator, id, input, await localContext(context)),
          );
        }
        context.output.result(outcome, (o) =>
          o.rollbacks
            .map((r) =>
              r.status === 'applied'
                ? `Rolled back ${r.kind} ${r.name} production ${r.from} → ${r.to}${r.emergency ? ` (emergency: change request ${r.changeRequest?.id} needs a retrospective approval)` : ''}.`
                : `Change request ${r.changeRequest?.id} filed: ${r.kind} ${r.name} production ${r.from} → ${r.to}; it needs approval by ${approversText(r.changeRequest?.eligibleApprovers ?? [])} (not you).`,
            )
            .join('\n'),
        );
        return exitCodes.ok;
      }),
    );
}

interface RollbackJson {
  incident: IncidentJson;
  rollbacks: Array<{
    kind: string;
    name: string;
    status: 'applied' | 'pending';
    emergency: boolean;
    from: number | null;
    to: number | null;
    changeRequest: { id: string; eligibleApprovers: string[] } | null;
  }>;
}
