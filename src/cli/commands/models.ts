import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { GroundworkError, localOperator } from '../../core/index.ts';
import {
  createModelConfig,
  diffModelConfigs,
  formatDiff,
  getModelConfig,
  labelNewVersion,
  listModelConfigs,
  listModelConfigVersions,
  type ModelConfigVersion,
  modelConfigHistory,
  parseVersionRef,
  splitProtectedLabels,
} from '../../prompts/index.ts';
import type { CliRuntime } from '../context.ts';
import { table } from '../output.ts';
import { describePending } from './changes.ts';
import { historyText, namesTable, refArgument, runLabelMove, versionHeader, versionNumber } from './prompts.ts';

function numberOption(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) {
    throw new GroundworkError('cli.bad_number', `--${flag} ${text} is not a number.`, {
      category: 'usage',
      fix: `Give a number to --${flag}.`,
    });
  }
  return value;
}

function modelText(v: ModelConfigVersion): string {
  return `${versionHeader('model config', v)}\n\n${JSON.stringify(v.body, null, 2)}`;
}

/** `groundwork models list|show|create|diff|label|rollback|history`: model configurations per use case. */
export function registerModelsCommands(program: Command, runtime: CliRuntime): void {
  const models = program
    .command('models')
    .description('model configurations per use case (provider, model, parameters): versions, labels, rollback');

  models
    .command('list')
    .description('model configurations with their latest version and labels')
    .action(
      runtime.action(async (context) => {
        const platform = await context.platform();
        const rows = await listModelConfigs(platform.db);
        context.output.result({ models: rows }, (v) => namesTable('model config', v.models));
        return 0;
      }),
    );

  models
    .command('show')
    .description('a model configuration: NAME (latest), NAME@VERSION or NAME:LABEL; --versions lists them all')
    .argument('<ref>', 'NAME, NAME@VERSION or NAME:LABEL')
    .option('--versions', 'list every version instead')
    .action(
      runtime.action(async (context, text: string, options: { versions?: boolean }) => {
        const platform = await context.platform();
        const { name, ref } = parseVersionRef('model', text);
        if (options.versions) {
          const versions = await listModelConfigVersions(platform.db, name);
          context.output.result({ versions }, (v) =>
            v.versions.length === 0
              ? `No model configuration ${name}.`
              : table(
                  ['VERSION', 'LABELS', 'MODEL', 'BY', 'MESSAGE'],
                  v.versions.map((m) => [
                    m.version,
                    m.labels.join(' '),
                    `${m.body.provider}:${m.body.model}`,
                    m.author,
                    m.message,
                  ]),
                ),
          );
          return 0;
        }
        context.output.result(await getModelConfig(platform.db, name, ref), modelText);
        return 0;
      }),
    );

  models
    .command('create')
    .description('create the next model configuration version for a use case')
    .argument('<name>', 'use case name')
    .option('--provider <name>', 'provider name from models.providers')
    .option('--model <id>', 'model id, e.g. gpt-4o-mini')
    .option('--temperature <t>', 'sampling temperature')
    .option('--max-output-tokens <n>', 'output token limit')
    .option('--context-window <n>', "the model's context window in tokens (context-window monitoring)")
    .option('--file <path>', 'the whole configuration as JSON {provider, model, parameters}')
    .requiredOption('-m, --message <message>', 'what changed and why')
    .option('--label <label...>', 'point these labels at the new version')
    .action(
      runtime.action(
        async (
          context,
          name: string,
          options: {
            provider?: string;
            model?: string;
            temperature?: string;
            maxOutputTokens?: string;
            contextWindow?: string;
            file?: string;
            message: string;
            label?: string[];
          },
        ) => {
          let config: unknown;
          if (options.file !== undefined) {
            const path = resolve(context.io.cwd, options.file);
            try {
              config = JSON.parse(readFileSync(path, 'utf8'));
            } catch (error) {
              throw new GroundworkError('cli.file_unreadable', `Cannot read JSON from ${path}: ${(error as Error).message}`, {
                category: 'usage',
                fix: 'Pass a JSON file like {"provider": "openai", "model": "gpt-4o-mini", "parameters": {"temperature": 0}}.',
              });
            }
          } else {
            const parameters = Object.fromEntries(
              Object.entries({
                temperature: numberOption('temperature', options.temperature),
                maxOutputTokens: numberOption('max-output-tokens', options.maxOutputTokens),
                contextWindow: numberOption('context-window', options.contextWindow),
              }).filter(([, value]) => value !== undefined),
            );
            config = { provider: options.provider, model: options.model, parameters };
          }
          const platform = await context.platform();
          const { direct, governed } = splitProtectedLabels(platform.governance, options.label);
          const created = await createModelConfig(platform.db, {
            name,
            config,
            message: options.message,
            author: localOperator.id,
            labels: direct,
          });
          // Protected labels (production) go through the governed path once the version exists.
          const { changeRequests } = await labelNewVersion(platform.governance, platform.db, localOperator, {
            kind: 'model',
            name,
            version: created.version,
            labels: governed,
            reason: options.message,
          });
          const version = governed.length > 0 ? await getModelConfig(platform.db, name, { version: created.version }) : created;
          context.output.result(
            { ...version, ...(changeRequests.length > 0 ? { changeRequests } : {}) },
            (v) =>
              `Created model config ${v.name}@${v.version} (${v.body.provider}:${v.body.model})${v.labels.length > 0 ? ` (${v.labels.join(', ')})` : ''}.` +
              (v.changeRequests ?? []).map((change) => `\n${describePending(change)}`).join(''),
          );
          return 0;
        },
      ),
    );

  models
    .command('diff')
    .description('line diff between two versions (numbers or labels)')
    .argument('<name>', 'use case name')
    .argument('<from>', 'version number or label')
    .argument('<to>', 'version number or label')
    .action(
      runtime.action(async (context, name: string, from: string, to: string) => {
        const platform = await context.platform();
        const diff = await diffModelConfigs(platform.db, name, refArgument(from), refArgument(to));
        context.output.result(
          { name, from: diff.from.version, to: diff.to.version, lines: diff.lines },
          (v) => `--- ${name}@${v.from}\n+++ ${name}@${v.to}\n${formatDiff(v.lines)}`,
        );
        return 0;
      }),
    );

  models
    .command('label')
    .description('point a label at a version: models label NAME VERSION LABEL')
    .argument('<name>', 'use case name')
    .argument('<version>', 'version number')
    .argument('<label>', 'label, e.g. production')
    .option('--reason <text>', 'why')
    .option('--eval-run <id>', 'an evaluation run that passed its gates (governance.requireEvalRunFor)')
    .action(
      runtime.action(
        async (context, name: string, version: string, label: string, options: { reason?: string; evalRun?: string }) =>
          runLabelMove(context, 'model', { name, label, version: versionNumber(version), ...options }),
      ),
    );

  models
    .command('rollback')
    .description('move a label (default production) back to the version it pointed at before')
    .argument('<name>', 'use case name')
    .argument('[label]', 'label to roll back', 'production')
    .option('--reason <text>', 'why')
    .option('--eval-run <id>', 'an evaluation run that passed its gates (governance.requireEvalRunFor)')
    .action(
      runtime.action(async (context, name: string, label: string, options: { reason?: string; evalRun?: string }) =>
        runLabelMove(context, 'model', { name, label, rollback: true, ...options }),
      ),
    );

  models
    .command('history')
    .description('every change to a model configuration: who, when, why')
    .argument('<name>', 'use case name')
    .action(
      runtime.action(async (context, name: string) => {
        const platform = await context.platform();
        const events = await modelConfigHistory(platform.db, name);
        context.output.result({ name, events }, (v) => historyText(v.events));
        return 0;
      }),
    );
}
