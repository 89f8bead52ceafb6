import type { Command } from 'commander';
import {
  type ActionRecord,
  type AgentRun,
  actionStats,
  approveProposal,
  denyProposal,
  getProposal,
  type InvokableAction,
  listInvokableActions,
  listProposals,
  type ProposalDetail,
  type ProposalSummary,
  requestActionClass,
  resumeAutoExecution,
  retryProposal,
  runAgent,
  setActionPolicy,
} from '../../actions/index.ts';
import { GroundworkError, localOperator } from '../../core/index.ts';
import { actionDeps, agentDeps } from '../../worker.ts';
import type { CliRuntime } from '../context.ts';
import { exitCodes } from '../exit-codes.ts';
import { table } from '../output.ts';
import { parseLimit } from './traces.ts';

const asJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

function parseInput(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new GroundworkError('actions.invalid_input', `--input is not JSON: ${text.slice(0, 80)}`, {
      category: 'usage',
      fix: 'Correct the fields listed; `groundwork actions list --json` shows each input schema.',
    });
  }
}

function describeProposal(p: ProposalDetail): string {
  const lines = [
    `Proposal ${p.id} — ${p.action} (${p.class})${p.useCase ? ` in ${p.useCase}` : ''}: ${p.status}`,
    `proposed by ${p.proposer}${p.onBehalfOf ? ` on behalf of ${p.onBehalfOf}` : ''} at ${p.createdAt}${p.expiresAt ? `, expires ${p.expiresAt}` : ''}`,
    `executor: ${p.executor}`,
    '',
    `Reasoning: ${p.reasoning ?? '(none given)'}`,
    `Input (sha256 ${p.inputHash}):`,
    `  ${JSON.stringify(p.input)}`,
  ];
  for (const edit of p.edits)
    lines.push(`  edited by ${edit.by} at ${edit.at}: ${JSON.stringify(edit.before)} → ${JSON.stringify(edit.after)}`);
  lines.push('', p.evidence.length === 0 ? 'No evidence you may read.' : 'Evidence:');
  for (const e of p.evidence) lines.push(`  ${e.title}${e.text ? `: ${e.text}` : ''}`);
  if (p.withheldEvidence > 0) lines.push(`  ${p.withheldEvidence} cited passage(s) withheld (documents you may not read now)`);
  if (p.error) lines.push('', `Failed: ${p.error.code}: ${p.error.message}`);
  if (p.result !== null) lines.push('', `Result: ${JSON.stringify(p.result)}`);
  if (p.status === 'proposed' && !p.own)
    lines.push(
      '',
      `Approve: groundwork actions approve ${p.id} --input-hash ${p.inputHash}   Deny: groundwork actions deny ${p.id}`,
    );
  return lines.join('\n');
}

/** `groundwork actions list|proposals|show|approve|deny|retry|stats|class|resume` and `groundwork agent run`. */
export function registerActionsCommands(program: Command, runtime: CliRuntime): void {
  const actions = program.command('actions').description('agent actions under human approval (docs/actions.md)');

  actions
    .command('list')
    .description('the actions you may invoke: class, hints, executor')
    .option('--use-case <name>', 'in this use case')
    .action(
      runtime.action(async (context, options: { useCase?: string }) => {
        const api = context.api();
        const list = api
          ? (
              await api.get<{ actions: InvokableAction[] }>(
                `/v1/actions${options.useCase ? `?useCase=${encodeURIComponent(options.useCase)}` : ''}`,
              )
            ).actions
          : await listInvokableActions(
              actionDeps(await context.platform()),
              localOperator,
              options.useCase ? { useCase: options.useCase } : {},
            );
        context.output.result({ actions: list }, (r) =>
          r.actions.length === 0
            ? 'No actions you may invoke. Declare them under `actions:` in the configuration.'
            : table(
                ['NAME', 'CLASS', 'HINTS', 'EXECUTOR', 'DESCRIPTION'],
                r.actions.map((a) => [
                  a.name,
                  `${a.class}${a.paused ? ' (paused)' : ''}`,
                  Object.entries(a.hints)
                    .filter(([, v]) => v)
                    .map(([k]) => k)
                    .join(','),
                  a.executor,
                  a.description,
                ]),
              ),
        );
        return exitCodes.ok;
      }),
    );

  actions
    .command('proposals')
    .description('proposals you may see, newest first')
    .option('--status <status>', 'proposed | approved | denied | expired | executing | executed | failed')
    .option('--action <name>', 'only this action')
    .option('--use-case <name>', 'only this use case')
    .option('--limit <n>', 'at most this many (default 100)')
    .action(
      runtime.action(async (context, options: { status?: string; action?: string; useCase?: string; limit?: string }) => {
        const limit = parseLimit(options.limit, 100);
        const filters = {
          ...(options.status ? { status: options.status } : {}),
          ...(options.action ? { action: options.action } : {}),
          ...(options.useCase ? { useCase: options.useCase } : {}),
          limit,
        };
        const api = context.api();
        const proposals = api
          ? (
              await api.get<{ proposals: ProposalSummary[] }>(
                `/v1/proposals?${new URLSearchParams(Object.entries(filters).map(([k, v]) => [k, String(v)]))}`,
              )
            ).proposals
          : await listProposals(actionDeps(await context.platform()), localOperator, filters);
        context.output.result({ proposals }, (r) =>
          r.proposals.length === 0
            ? 'No proposals.'
            : table(
                ['ID', 'ACTION', 'STATUS', 'USE CASE', 'PROPOSER', 'CREATED (UTC)'],
                r.proposals.map((p) => [
                  p.id,
                  p.action,
                  p.status,
                  p.useCase ?? '',
                  p.proposer,
                  p.createdAt.slice(0, 19).replace('T', ' '),
                ]),
              ),
        );
        return exitCodes.ok;
      }),
    );

  actions
    .command('show <id>')
    .description('one proposal: reasoning, exact input and hash, edits, the evidence you may read')
    .action(
      runtime.action(async (context, id: string) => {
        const api = context.api();
        const proposal = api
          ? await api.get<ProposalDetail>(`/v1/proposals/${encodeURIComponent(id)}`)
          : asJson(await getProposal(actionDeps(await context.platform()), localOperator, id));
        context.output.result(proposal, describeProposal);
        return exitCodes.ok;
      }),
    );

  actions
    .command('approve <id>')
    .description('approve a proposal (bound to the input hash you reviewed; never your own)')
    .option('--input-hash <sha256>', 'the inputHash you reviewed (default: the current one, shown by `actions show`)')
    .option('--input <json>', 'an edited input (validated, recorded as an edit)')
    .option('--comment <text>', 'a note on the approval')
    .action(
      runtime.action(async (context, id: string, options: { inputHash?: string; input?: string; comment?: string }) => {
        const api = context.api();
        const hash =
          options.inputHash ??
          (api
            ? (await api.get<ProposalDetail>(`/v1/proposals/${encodeURIComponent(id)}`)).inputHash
            : (await getProposal(actionDeps(await context.platform()), localOperator, id)).inputHash);
        const body = {
          inputHash: hash,
          ...(options.input !== undefined ? { input: parseInput(options.input) } : {}),
          ...(options.comment ? { comment: options.comment } : {}),
        };
        const approved = api
          ? await api.post<ProposalDetail>(`/v1/proposals/${encodeURIComponent(id)}/approve`, body)
          : asJson(await approveProposal(actionDeps(await context.platform()), localOperator, id, body));
        context.output.result(
          approved,
          (p) => `Approved ${p.id} (${p.action}); its execution is queued.${p.edits.length ? ' Input edited.' : ''}`,
        );
        return exitCodes.ok;
      }),
    );

  actions
    .command('deny <id>')
    .description('deny a proposal (never your own)')
    .option('--reason <text>', 'why')
    .action(
      runtime.action(async (context, id: string, options: { reason?: string }) => {
        const api = context.api();
        const body = options.reason ? { reason: options.reason } : {};
        const denied = api
          ? await api.post<ProposalDetail>(`/v1/proposals/${encodeURIComponent(id)}/deny`, body)
          : asJson(await denyProposal(actionDeps(await context.platform()), localOperator, id, body));
        context.output.result(denied, (p) => `Denied ${p.id} (${p.action}).`);
        return exitCodes.ok;
      }),
    );

  actions
    .command('retry <id>')
    .description('retry a failed proposal (same idempotency key)')
    .action(
      runtime.action(async (context, id: string) => {
        const api = context.api();
        const retried = api
          ? await api.post<ProposalDetail>(`/v1/proposals/${encodeURIComponent(id)}/retry`, {})
          : asJson(await retryProposal(actionDeps(await context.platform()), localOperator, id));
        context.output.result(retried, (p) => `Retrying ${p.id} (${p.action}).`);
        return exitCodes.ok;
      }),
    );

  actions
    .command('stats')
    .description('per action: approvals, denial and edit rates, outcomes, graduation eligibility')
    .action(
      runtime.action(async (context) => {
        const api = context.api();
        const stats = api
          ? (await api.get<{ actions: ActionRecord[] }>('/v1/actions/stats')).actions
          : asJson(await actionStats(actionDeps(await context.platform()), localOperator));
        context.output.result({ actions: stats }, (r) =>
          table(
            ['ACTION', 'CLASS', 'APPROVED', 'DENIED', 'EDITED', 'EXECUTED', 'FAILED', 'PENDING', 'AUTO?'],
            r.actions.map((a) => [
              a.action,
              `${a.class}${a.paused ? ' (paused)' : ''}`,
              a.approved,
              a.denied,
              a.edited,
              a.executed,
              a.failed,
              a.pending,
              a.graduation.eligible ? 'eligible' : a.graduation.reason,
            ]),
          ),
        );
        return exitCodes.ok;
      }),
    );

  actions
    .command('class <action> <class>')
    .description('set an action class; graduating to auto is a change request showing its record')
    .option('--reason <text>', 'why')
    .action(
      runtime.action(async (context, name: string, cls: string, options: { reason?: string }) => {
        const api = context.api();
        const body = { class: cls, ...(options.reason ? { reason: options.reason } : {}) };
        let result: unknown;
        if (api) result = await api.post(`/v1/actions/${encodeURIComponent(name)}/class`, body);
        else {
          const platform = await context.platform();
          result = asJson(
            await requestActionClass({ ...actionDeps(platform), governance: platform.governance }, localOperator, name, cls, {
              ...(options.reason ? { reason: options.reason } : {}),
            }),
          );
        }
        context.output.result(result as { status: string; changeRequest?: { id: string } }, (r) =>
          r.status === 'pending'
            ? `Change request ${r.changeRequest?.id} is waiting for an approver (groundwork changes approve ${r.changeRequest?.id}).`
            : `${name} is now ${cls}.`,
        );
        return exitCodes.ok;
      }),
    );

  actions
    .command('policy <action>')
    .description('replace who may invoke an action (admins); --clear restores the configured allow')
    .option('--principals <list>', 'comma-separated principals (user:…, group:…)')
    .option('--roles <list>', 'comma-separated roles')
    .option('--use-cases <list>', 'comma-separated use cases')
    .option('--clear', 'remove the stored policy')
    .action(
      runtime.action(
        async (context, name: string, options: { principals?: string; roles?: string; useCases?: string; clear?: boolean }) => {
          const list = (v: string | undefined) =>
            v
              ? v
                  .split(',')
                  .map((x) => x.trim())
                  .filter(Boolean)
              : [];
          const allow = options.clear
            ? null
            : { principals: list(options.principals), roles: list(options.roles) as never[], useCases: list(options.useCases) };
          const api = context.api();
          let result: { action: string; allow: unknown };
          if (api) {
            result = await api.request('PUT', `/v1/actions/${encodeURIComponent(name)}/policy`, { body: { allow } });
          } else {
            const platform = await context.platform();
            result = {
              action: name,
              allow: await setActionPolicy(platform.db, localOperator, platform.actions.require(name), allow),
            };
          }
          context.output.result(result, (r) => `Policy of ${r.action}: ${JSON.stringify(r.allow)}`);
          return exitCodes.ok;
        },
      ),
    );

  actions
    .command('resume <action>')
    .description('resume auto-execution of an action paused by the anomaly monitor')
    .action(
      runtime.action(async (context, name: string) => {
        const api = context.api();
        const result = api
          ? await api.post<{ action: string; resumed: boolean }>(`/v1/actions/${encodeURIComponent(name)}/resume`, {})
          : await resumeAutoExecution(actionDeps(await context.platform()), localOperator, name);
        context.output.result(result, (r) =>
          r.resumed ? `Auto-execution of ${r.action} resumed.` : `${r.action} was not paused.`,
        );
        return exitCodes.ok;
      }),
    );

  program
    .command('agent')
    .description("a use case's agent (opt-in: agents.useCases)")
    .command('run <useCase> <task>')
    .description('run the agent on a task: search and your actions as tools; proposals wait for approval')
    .option('--max-steps <n>', 'at most this many steps (never above the configured maxSteps)')
    .action(
      runtime.action(async (context, useCase: string, task: string, options: { maxSteps?: string }) => {
        const maxSteps = options.maxSteps ? parseLimit(options.maxSteps, 6) : undefined;
        const api = context.api();
        let run: AgentRun;
        if (api) {
          run = await api.post<AgentRun>(`/v1/agents/${encodeURIComponent(useCase)}/runs`, {
            task,
            ...(maxSteps ? { maxSteps } : {}),
          });
        } else {
          const platform = await context.platform();
          run = await runAgent(agentDeps(platform), localOperator, useCase, { task, ...(maxSteps ? { maxSteps } : {}) });
          await platform.observe.recorder.flush();
        }
        context.output.result(run, (r) =>
          [
            `${r.outcome}: ${r.message}`,
            '',
            r.text || '(no final text)',
            '',
            ...r.toolCalls.map((c) => `step ${c.step}: ${c.tool} ${JSON.stringify(c.input).slice(0, 120)}`),
            ...r.proposals.map((p) => `proposal ${p.id} (${p.action}): ${p.status}`),
            `trace ${r.traceId} · ${r.usage.inputTokens + r.usage.outputTokens} tokens${r.usage.costUsd === null ? '' : ` · $${r.usage.costUsd.toFixed(4)}`}`,
          ].join('\n'),
        );
        return exitCodes.ok;
      }),
    );
}
