import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { GroundworkError, localOperator } from '../../core/index.ts';
import type { ChangeRequest, SubmitChangeResult } from '../../govern/index.ts';
import {
  createPrompt,
  diffPrompts,
  formatDiff,
  getPrompt,
  type LabelMove,
  labelNewVersion,
  listPrompts,
  listPromptVersions,
  type NamedSummary,
  type PromptVersion,
  parseVersionRef,
  promptHistory,
  requestLabelMove,
  splitProtectedLabels,
  type VersionEvent,
  type VersionRef,
} from '../../prompts/index.ts';
import type { CliRuntime, CommandContext } from '../context.ts';
import { table } from '../output.ts';
import { describePending, printChangeOutcome } from './changes.ts';

/** `3` → version 3; `production` → the label. */
export function refArgument(text: string): VersionRef {
  if (/^\d+$/.test(text)) return { version: Number(text) };
  return text === 'latest' ? 'latest' : { label: text };
}

export function versionNumber(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new GroundworkError('cli.bad_version', `${text} is not a version number.`, {
      category: 'usage',
      fix: 'Versions are numbered 1, 2, 3 …; see them with the show command.',
    });
  }
  return value;
}

export function namesTable(kind: string, rows: readonly NamedSummary[]): string {
  if (rows.length === 0) return `No ${kind}s yet.`;
  return table(
    ['NAME', 'LATEST', 'LABELS', 'UPDATED (UTC)'],
    rows.map((row) => [
      row.name,
      row.latestVersion,
      Object.entries(row.labels)
        .map(([label, version]) => `${label}→${version}`)
        .join(' '),
      row.updatedAt.toISOString().slice(0, 19).replace('T', ' '),
    ]),
  );
}

export function moveText(kind: string, move: LabelMove, verb: string): string {
  if (move.from === move.to) return `${kind} ${move.name}: ${move.label} already points at version ${move.to}.`;
  return `${kind} ${move.name}: ${verb} ${move.label} ${move.from === null ? '' : `from version ${move.from} `}to version ${move.to}.`;
}

export function historyText(events: readonly VersionEvent[]): string {
  if (events.length === 0) return 'No history.';
  return table(
    ['WHEN (UTC)', 'ACTION', 'LABEL', 'VERSION', 'BY', 'WHY'],
    events.map((e) => [
      e.at.toISOString().slice(0, 19).replace('T', ' '),
      e.action,
      e.label ?? '',
      e.fromVersion === null ? String(e.toVersion ?? '') : `${e.fromVersion} → ${e.toVersion}`,
      e.actor,
      e.reason ?? '',
    ]),
  );
}

export function versionHeader(
  kind: string,
  v: { name: string; version: number; labels: readonly string[]; author: string; createdAt: Date; message: string },
): string {
  return [
    `${kind} ${v.name}@${v.version}${v.labels.length > 0 ? `  (${v.labels.join(', ')})` : ''}`,
    `  by ${v.author} at ${v.createdAt.toISOString()}: ${v.message}`,
  ].join('\n');
}

function promptText(version: PromptVersion): string {
  return `${versionHeader('prompt', version)}\n  variables: ${version.body.variables.join(', ')}\n\n${version.body.template}`;
}

/** `groundwork prompts list|show|create|diff|label|rollback|history`. Changes are recorded as the local operator. */
export function registerPromptsCommands(program: Command, runtime: CliRuntime): void {
  const prompts = program
    .command('prompts')
    .description('prompt versions, labels (production, staging, …), promotion and rollback');

  prompts
    .command('list')
    .description('prompts with their latest version and labels')
    .action(
      runtime.action(async (context) => {
        const platform = await context.platform();
        const rows = await listPrompts(platform.db);
        context.output.result({ prompts: rows }, (v) => namesTable('prompt', v.prompts));
        return 0;
      }),
    );

  prompts
    .command('show')
    .description('a prompt version: NAME (latest), NAME@VERSION or NAME:LABEL; --versions lists them all')
    .argument('<ref>', 'NAME, NAME@VERSION or NAME:LABEL')
    .option('--versions', 'list every version instead')
    .action(
      runtime.action(async (context, text: string, options: { versions?: boolean }) => {
        const platform = await context.platform();
        const { name, ref } = parseVersionRef('prompt', text);
        if (options.versions) {
          const versions = await listPromptVersions(platform.db, name);
          context.output.result({ versions }, (v) =>
            v.versions.length === 0
              ? `No prompt ${name}.`
              : table(
                  ['VERSION', 'LABELS', 'BY', 'CREATED (UTC)', 'MESSAGE'],
                  v.versions.map((p) => [
                    p.version,
                    p.labels.join(' '),
                    p.author,
                    p.createdAt.toISOString().slice(0, 19),
                    p.message,
                  ]),
                ),
          );
          return 0;
        }
        const version = await getPrompt(platform.db, name, ref);
        context.output.result(version, promptText);
        return 0;
      }),
    );

  prompts
    .command('create')
    .description('create the next version of a prompt (variables are validated first)')
    .argument('<name>', 'prompt name, e.g. underwriting-qa')
    .option('--file <path>', 'read the template from a file')
    .option('--text <template>', 'the template text')
    .requiredOption('-m, --message <message>', 'what changed and why')
    .option('--label <label...>', 'point these labels at the new version (e.g. staging)')
    .action(
      runtime.action(
        async (context, name: string, options: { file?: string; text?: string; message: string; label?: string[] }) => {
          if ((options.file === undefined) === (options.text === undefined)) {
            throw new GroundworkError('cli.prompt_source', 'Give the template with exactly one of --file or --text.', {
              category: 'usage',
              fix: 'e.g. groundwork prompts create underwriting-qa --file prompts/underwriting.txt -m "cite every claim"',
            });
          }
          let template: string;
          if (options.file !== undefined) {
            const path = resolve(context.io.cwd, options.file);
            try {
              template = readFileSync(path, 'utf8');
            } catch (error) {
              throw new GroundworkError('cli.file_unreadable', `Cannot read ${path}: ${(error as Error).message}`, {
                category: 'usage',
                fix: 'Check the path passed to --file.',
              });
            }
          } else template = options.text ?? '';
          const platform = await context.platform();
          const { direct, governed } = splitProtectedLabels(platform.governance, options.label);
          const created = await createPrompt(platform.db, {
            name,
            template,
            message: options.message,
            author: localOperator.id,
            labels: direct,
          });
          // Protected labels (production) go through the governed path once the version exists.
          const { changeRequests } = await labelNewVersion(platform.governance, platform.db, localOperator, {
            kind: 'prompt',
            name,
            version: created.version,
            labels: governed,
            reason: options.message,
          });
          const version = governed.length > 0 ? await getPrompt(platform.db, name, { version: created.version }) : created;
          context.output.result(
            { ...version, ...(changeRequests.length > 0 ? { changeRequests } : {}) },
            (v) =>
              `Created prompt ${v.name}@${v.version}${v.labels.length > 0 ? ` (${v.labels.join(', ')})` : ''}. Promote it with: groundwork prompts label ${v.name} ${v.version} production` +
              (v.changeRequests ?? []).map((change) => `\n${describePending(change)}`).join(''),
          );
          return 0;
        },
      ),
    );

  prompts
    .command('diff')
    .description('line diff between two versions (numbers or labels)')
    .argument('<name>', 'prompt name')
    .argument('<from>', 'version number or label')
    .argument('<to>', 'version number or label')
    .action(
      runtime.action(async (context, name: string, from: string, to: string) => {
        const platform = await context.platform();
        const diff = await diffPrompts(platform.db, name, refArgument(from), refArgument(to));
        context.output.result(
          { name, from: diff.from.version, to: diff.to.version, lines: diff.lines },
          (v) => `--- ${name}@${v.from}\n+++ ${name}@${v.to}\n${formatDiff(v.lines)}`,
        );
        return 0;
      }),
    );

  prompts
    .command('label')
    .description('point a label at a version (promote): prompts label NAME VERSION LABEL')
    .argument('<name>', 'prompt name')
    .argument('<version>', 'version number')
    .argument('<label>', 'label, e.g. production or staging')
    .option('--reason <text>', 'why (kept in the history and audit log)')
    .option('--eval-run <id>', 'an evaluation run that passed its gates (governance.requireEvalRunFor)')
    .action(
      runtime.action(
        async (context, name: string, version: string, label: string, options: { reason?: string; evalRun?: string }) =>
          runLabelMove(context, 'prompt', { name, label, version: versionNumber(version), ...options }),
      ),
    );

  prompts
    .command('rollback')
    .description('move a label (default production) back to the version it pointed at before')
    .argument('<name>', 'prompt name')
    .argument('[label]', 'label to roll back', 'production')
    .option('--reason <text>', 'why (kept in the history and audit log)')
    .option('--eval-run <id>', 'an evaluation run that passed its gates (governance.requireEvalRunFor)')
    .action(
      runtime.action(async (context, name: string, label: string, options: { reason?: string; evalRun?: string }) =>
        runLabelMove(context, 'prompt', { name, label, rollback: true, ...options }),
      ),
    );

  prompts
    .command('history')
    .description('every change: versions created, labels moved and rolled back — who, when, why')
    .argument('<name>', 'prompt name')
    .action(
      runtime.action(async (context, name: string) => {
        const platform = await context.platform();
        const events = await promptHistory(platform.db, name);
        context.output.result({ name, events }, (v) => historyText(v.events));
        return 0;
      }),
    );
}

/**
 * `label` / `rollback` of prompts and model configs: the governed `requestLabelMove`, on the store (as the
 * local operator) or through `--server`. A protected label prints the change request and who may approve.
 */
export async function runLabelMove(
  context: CommandContext,
  kind: 'prompt' | 'model',
  request: { name: string; label: string; version?: number; rollback?: boolean; reason?: string; evalRun?: string },
): Promise<number> {
  const noun = kind === 'prompt' ? 'prompt' : 'model config';
  const body = {
    label: request.label,
    ...(request.version === undefined ? {} : { version: request.version }),
    ...(request.reason ? { reason: request.reason } : {}),
    ...(request.evalRun ? { evalRunId: request.evalRun } : {}),
  };
  const api = context.api();
  let outcome: SubmitChangeResult | { changeRequest: ChangeRequest };
  if (api) {
    const path = `/v1/${kind === 'prompt' ? 'prompts' : 'model-configs'}/${encodeURIComponent(request.name)}/${request.rollback ? 'rollback' : 'labels'}`;
    const response = await api.post<LabelMove | { changeRequest: ChangeRequest }>(path, body);
    outcome = 'changeRequest' in response ? response : { status: 'applied', result: response };
  } else {
    const platform = await context.platform();
    outcome = await requestLabelMove(platform.governance, platform.db, localOperator, {
      kind,
      name: request.name,
      label: request.label,
      ...(request.version === undefined ? {} : { version: request.version }),
      ...(request.rollback ? { rollback: true } : {}),
      ...(request.reason ? { reason: request.reason } : {}),
      ...(request.evalRun ? { evalRunId: request.evalRun } : {}),
    });
  }
  return printChangeOutcome<LabelMove>(context, outcome, {
    json: (move) => move,
    text: (move) => moveText(noun, move, request.rollback ? 'rolled back' : 'moved'),
  });
}
