import type { Command } from 'commander';
import { localOperator } from '../../core/index.ts';
import {
  approveChange,
  type ChangeRequest,
  getChange,
  listChanges,
  rejectChange,
  type SubmitChangeResult,
  withdrawChange,
} from '../../govern/index.ts';
import type { CliRuntime, CommandContext } from '../context.ts';
import { table } from '../output.ts';

/** Text for a change request that is waiting for approval (what a governed CLI write prints). */
export function describePending(change: ChangeRequest): string {
  const who = change.eligibleApprovers.map((p) => (p === 'role:admin' ? 'admins' : p)).join(', ');
  return [
    `Change request ${change.id} is pending: ${change.summary}.`,
    `It needs ${change.requiredApprovals} approval(s) from someone other than ${change.author}: ${who}.`,
    `Approve with: groundwork changes approve ${change.id}   (expires ${change.expiresAt})`,
  ].join('\n');
}

/**
 * Prints a governed write's outcome: the applied result (`applied(result)` / the result as JSON), or the
 * pending change request (`{changeRequest}` with --json, its id and who may approve as text). Exit 0 either way.
 */
export function printChangeOutcome<T>(
  context: CommandContext,
  outcome: SubmitChangeResult | { changeRequest: ChangeRequest },
  applied: { json: (result: T) => unknown; text: (result: T) => string },
): number {
  if ('status' in outcome && outcome.status === 'applied') {
    const result = outcome.result as T;
    context.output.result(applied.json(result), () => applied.text(result));
    return 0;
  }
  const changeRequest = outcome.changeRequest as ChangeRequest;
  context.output.result({ changeRequest }, () => describePending(changeRequest));
  return 0;
}

function describe(change: ChangeRequest): string {
  const lines = [
    `${change.id}  ${change.status}${change.emergency ? ' (emergency)' : ''}${change.awaitingRetrospective ? ', awaiting retrospective approval' : ''}`,
    `  ${change.summary}`,
    `  kind/target:   ${change.kind} ${change.target}`,
    `  author:        ${change.author}${change.reason ? ` — ${change.reason}` : ''}`,
    `  use cases:     ${change.useCases.join(', ') || '—'}`,
    `  approvals:     ${change.approvals.length}/${change.requiredApprovals} ${change.approvals.map((a) => `${a.actor}${a.comment ? ` ("${a.comment}")` : ''}`).join(', ')}`,
    `  may approve:   ${change.eligibleApprovers.map((p) => (p === 'role:admin' ? 'admins' : p)).join(', ')}`,
    `  before:        ${JSON.stringify(change.before)}`,
    `  after:         ${JSON.stringify(change.after)}`,
    `  content hash:  ${change.contentHash}`,
    `  created:       ${change.createdAt}   expires: ${change.expiresAt}`,
  ];
  if (change.evalRunId) lines.push(`  eval run:      ${change.evalRunId}`);
  if (change.rejections.length > 0) {
    lines.push(
      `  rejected by:   ${change.rejections.map((r) => `${r.actor}${r.comment ? ` ("${r.comment}")` : ''}`).join(', ')}`,
    );
  }
  if (change.staleReason) lines.push(`  stale:         ${change.staleReason}`);
  return lines.join('\n');
}

/** `groundwork changes list|show|approve|reject|withdraw`: four-eyes change requests. */
export function registerChangesCommands(program: Command, runtime: CliRuntime): void {
  const changes = program.command('changes').description('change requests awaiting (or given) four-eyes approval');

  changes
    .command('list')
    .description('list change requests, newest first')
    .option('--status <status>', 'pending, applied, rejected, withdrawn, expired or pending-retrospective')
    .option('--kind <kind>', 'e.g. prompt.label, use_case.update, source.acl')
    .option('--use-case <name>', 'only changes affecting this use case')
    .option('--limit <n>', 'at most this many (default 100)')
    .action(
      runtime.action(async (context, options: { status?: string; kind?: string; useCase?: string; limit?: string }) => {
        const filter = {
          ...(options.status ? { status: options.status } : {}),
          ...(options.kind ? { kind: options.kind } : {}),
          ...(options.useCase ? { useCase: options.useCase } : {}),
          ...(options.limit ? { limit: Number(options.limit) } : {}),
        };
        const api = context.api();
        let list: ChangeRequest[];
        if (api) {
          const query = new URLSearchParams(Object.entries(filter).map(([k, v]) => [k, String(v)])).toString();
          list = (await api.get<{ changes: ChangeRequest[] }>(`/v1/changes${query ? `?${query}` : ''}`)).changes;
        } else {
          const platform = await context.platform();
          list = await listChanges(platform.governance, platform.db, localOperator, filter as Parameters<typeof listChanges>[3]);
        }
        context.output.result({ changes: list }, (v) =>
          v.changes.length === 0
            ? 'No change requests.'
            : table(
                ['ID', 'STATUS', 'KIND', 'SUMMARY', 'AUTHOR', 'APPROVALS', 'CREATED'],
                v.changes.map((c) => [
                  c.id,
                  c.awaitingRetrospective ? 'applied (retro)' : c.status,
                  c.kind,
                  c.summary.slice(0, 60),
                  c.author,
                  `${c.approvals.length}/${c.requiredApprovals}`,
                  c.createdAt.slice(0, 16),
                ]),
              ),
        );
        return 0;
      }),
    );

  changes
    .command('show')
    .description('show one change request with its before/after')
    .argument('<id>')
    .action(
      runtime.action(async (context, id: string) => {
        const api = context.api();
        const change = api
          ? (await api.get<{ changeRequest: ChangeRequest }>(`/v1/changes/${encodeURIComponent(id)}`)).changeRequest
          : await (async () => {
              const platform = await context.platform();
              return getChange(platform.governance, platform.db, localOperator, id);
            })();
        context.output.result({ changeRequest: change }, (v) => describe(v.changeRequest));
        return 0;
      }),
    );

  for (const [verb, decide, description] of [
    ['approve', approveChange, 'approve a change request (the last required approval applies it)'],
    ['reject', rejectChange, 'reject a change request'],
    ['withdraw', withdrawChange, 'withdraw your own pending change request'],
  ] as const) {
    changes
      .command(verb)
      .description(description)
      .argument('<id>')
      .option('--comment <text>', 'why (kept in the request and the audit log)')
      .action(
        runtime.action(async (context, id: string, options: { comment?: string }) => {
          const api = context.api();
          const body = options.comment ? { comment: options.comment } : {};
          const change = api
            ? (await api.post<{ changeRequest: ChangeRequest }>(`/v1/changes/${encodeURIComponent(id)}/${verb}`, body))
                .changeRequest
            : await (async () => {
                const platform = await context.platform();
                return decide(platform.governance, platform.db, localOperator, id, body);
              })();
          context.output.result({ changeRequest: change }, (v) =>
            [
              `${verb === 'approve' ? 'Approved' : verb === 'reject' ? 'Rejected' : 'Withdrew'} ${v.changeRequest.id}: now ${v.changeRequest.status}` +
                (v.changeRequest.status === 'pending'
                  ? ` (${v.changeRequest.approvals.length}/${v.changeRequest.requiredApprovals} approvals)`
                  : ''),
              describe(v.changeRequest),
            ].join('\n'),
          );
          return 0;
        }),
      );
  }
}
