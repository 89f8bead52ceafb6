import type { Command } from 'commander';
import { GroundworkError, localOperator } from '../../core/index.ts';
import type { ChangeRequest, SubmitChangeResult } from '../../govern/index.ts';
import { killUseCase, type Rollout, restoreUseCase, setStage, showRollout } from '../../rollout/index.ts';
import type { CliRuntime } from '../context.ts';
import { exitCodes } from '../exit-codes.ts';
import { printChangeOutcome } from './changes.ts';

function describeRollout(r: Rollout): string {
  const lines = [`${r.useCase}: stage ${r.stage}`];
  if (r.stage === 'pilot' || r.stage === 'limited') {
    lines.push(`cohorts: ${r.cohorts.length > 0 ? r.cohorts.join(', ') : '(none)'}`);
  }
  if (r.stage === 'limited') lines.push(`percent of the audience: ${r.percent}%`);
  lines.push(
    r.killed
      ? `KILLED by ${r.killedBy} at ${r.killedAt}${r.killMessage ? ` — "${r.killMessage}"` : ''} (restore: groundwork rollout restore ${r.useCase})`
      : 'kill switch: off',
  );
  if (r.updatedAt) lines.push(`updated ${r.updatedAt}${r.updatedBy ? ` by ${r.updatedBy}` : ''}`);
  return lines.join('\n');
}

const path = (name: string, rest = '') => `/v1/use-cases/${encodeURIComponent(name)}${rest}`;

function collect(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean),
  ];
}

/** `groundwork rollout show|set-stage|kill|restore` (local store or --server): docs/rollout.md. */
export function registerRolloutCommands(program: Command, runtime: CliRuntime): void {
  const rollout = program
    .command('rollout')
    .description('phased rollout of a use case (draft → pilot → limited → general, retired) and its kill switch');

  rollout
    .command('show <name>')
    .description('stage, cohorts, percentage and kill switch of a use case')
    .action(
      runtime.action(async (context, name: string) => {
        const api = context.api();
        const r = api
          ? await api.get<Rollout>(path(name, '/rollout'))
          : await showRollout((await context.platform()).db, localOperator, name);
        context.output.result(r, describeRollout);
        return exitCodes.ok;
      }),
    );

  rollout
    .command('set-stage <name> <stage>')
    .description('move a use case to a stage (draft|pilot|limited|general|retired); an expansion is a change request')
    .option('--cohort <name>', 'pilot/limited cohort (repeatable or a comma list; replaces the current ones)', collect)
    .option('--percent <p>', 'share of the audience admitted in limited (0–100), sticky per user')
    .option('--reason <text>', 'why (shown to approvers)')
    .action(
      runtime.action(
        async (context, name: string, stage: string, options: { cohort?: string[]; percent?: string; reason?: string }) => {
          let percent: number | undefined;
          if (options.percent !== undefined) {
            percent = Number(options.percent);
            if (options.percent.trim() === '' || !Number.isFinite(percent)) {
              throw new GroundworkError(
                'rollout.invalid_percent',
                `--percent ${options.percent} is not a number from 0 to 100.`,
                {
                  category: 'usage',
                  fix: 'Give --percent a number from 0 to 100, e.g. --percent 10.',
                },
              );
            }
          }
          const input = {
            stage,
            ...(options.cohort ? { cohorts: options.cohort } : {}),
            ...(percent === undefined ? {} : { percent }),
            ...(options.reason ? { reason: options.reason } : {}),
          };
          const api = context.api();
          let outcome: SubmitChangeResult | { changeRequest: ChangeRequest };
          if (api) {
            const response = await api.request<Record<string, unknown>>('PUT', path(name, '/rollout'), { body: input });
            outcome =
              'changeRequest' in response
                ? { changeRequest: response.changeRequest as ChangeRequest }
                : { status: 'applied', result: response };
          } else {
            const platform = await context.platform();
            outcome = await setStage(platform.governance, platform.db, localOperator, name, input);
          }
          return printChangeOutcome<Rollout>(context, outcome, { json: (r) => r, text: describeRollout });
        },
      ),
    );

  rollout
    .command('kill <name>')
    .description(
      'kill switch: the use case answers nobody within seconds, with --message shown to users (never held by approval)',
    )
    .option('--message <text>', 'what users see instead of an answer')
    .action(
      runtime.action(async (context, name: string, options: { message?: string }) => {
        const api = context.api();
        const body = options.message ? { message: options.message } : {};
        const r = api
          ? await api.post<Rollout>(path(name, '/kill'), body)
          : await killUseCase((await context.platform()).db, localOperator, name, body);
        context.output.result(r, describeRollout);
        return exitCodes.ok;
      }),
    );

  rollout
    .command('restore <name>')
    .description('lift the kill switch')
    .action(
      runtime.action(async (context, name: string) => {
        const api = context.api();
        const r = api
          ? await api.post<Rollout>(path(name, '/restore'), {})
          : await restoreUseCase((await context.platform()).db, localOperator, name);
        context.output.result(r, describeRollout);
        return exitCodes.ok;
      }),
    );
}
