import type { Command } from 'commander';
import { GroundworkError, localOperator } from '../../core/index.ts';
import { listUseCaseChanges } from '../../incidents/index.ts';
import type { CliRuntime } from '../context.ts';
import { exitCodes } from '../exit-codes.ts';
import { table } from '../output.ts';

interface ChangeLogJson {
  useCase: string;
  entries: Array<{
    at: string;
    area: string;
    action: string;
    summary: string;
    author: string;
    approvers: string[];
    evalDelta: { dataset: string; regressed: boolean; metrics: Array<{ metric: string; difference: number }> } | null;
    incidents: string[];
  }>;
  incidents: Array<{ id: string; severity: string; status: string; title: string }>;
}

function deltaText(delta: ChangeLogJson['entries'][number]['evalDelta']): string {
  if (!delta) return '';
  const first = delta.metrics[0];
  const change = first ? `${first.metric} ${first.difference >= 0 ? '+' : ''}${first.difference.toFixed(3)}` : '';
  return `${delta.regressed ? 'REGRESSED ' : ''}${change}`.trim();
}

/** `groundwork use-cases changes NAME`: the use case's change log (registered after the use-cases commands). */
export function registerUseCaseChangesCommand(program: Command, runtime: CliRuntime): void {
  const useCases = program.commands.find((command) => command.name() === 'use-cases');
  if (!useCases)
    throw new GroundworkError('cli.missing_command', 'The use-cases command is not registered.', { category: 'internal' });
  useCases
    .command('changes <name>')
    .description(
      'every prompt, model, config, source and ACL change that affected the use case, with approvers, eval deltas, incidents',
    )
    .option('--limit <n>', 'at most this many entries', '200')
    .action(
      runtime.action(async (context, name: string, options: { limit: string }) => {
        const limit = Number(options.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
          throw new GroundworkError('cli.invalid_option', `--limit ${options.limit} is not a number from 1 to 1000.`, {
            category: 'usage',
            fix: 'Give --limit a whole number from 1 to 1000.',
          });
        }
        const api = context.api();
        const log = api
          ? await api.get<ChangeLogJson>(`/v1/use-cases/${encodeURIComponent(name)}/changes?limit=${limit}`)
          : await (async () => {
              const platform = await context.platform();
              const changes = await listUseCaseChanges(platform.db, localOperator, name, {
                limit,
                governance: platform.governance,
              });
              return JSON.parse(JSON.stringify(changes)) as ChangeLogJson;
            })();
        context.output.result(log, (l) => {
          const lines =
            l.entries.length === 0
              ? [`No changes recorded for ${l.useCase}.`]
              : [
                  table(
                    ['WHEN', 'AREA', 'CHANGE', 'BY', 'APPROVED BY', 'EVAL', 'INCIDENTS'],
                    l.entries.map((e) => [
                      e.at,
                      e.area,
                      e.summary,
                      e.author,
                      e.approvers.join(', '),
                      deltaText(e.evalDelta),
                      e.incidents.join(', '),
                    ]),
                  ),
                ];
          if (l.incidents.length > 0) {
            lines.push('', 'incidents:', ...l.incidents.map((i) => `  ${i.id}  ${i.severity}  ${i.status}  ${i.title}`));
          }
          return lines.join('\n');
        });
        return exitCodes.ok;
      }),
    );
}
