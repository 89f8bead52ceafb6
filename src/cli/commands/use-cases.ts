import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  answerStyles,
  deleteUseCase,
  saveUseCase,
  type UseCase,
  type UseCaseInput,
  useCaseStatuses,
} from '../../answer/index.ts';
import { GroundworkError, localOperator, sensitivityLabels } from '../../core/index.ts';
import type { ChangeRequest, SubmitChangeResult } from '../../govern/index.ts';
import { listSourceNames } from '../../ingest/index.ts';
import type { CliRuntime, CommandContext } from '../context.ts';
import { table } from '../output.ts';
import { printChangeOutcome } from './changes.ts';
import { registerCriteriaCommands } from './use-case-criteria.ts';

interface UseCaseFlags {
  description?: string;
  sources?: string[];
  k?: number;
  mode?: 'lexical' | 'vector' | 'hybrid';
  synonym?: Array<[string, string[]]>;
  filterType?: string[];
  filterSensitivity?: string[];
  prompt?: string;
  promptFile?: string;
  model?: string;
  temperature?: number;
  maxOutputTokens?: number;
  contextWindow?: number;
  style?: UseCase['style'];
  refusalThreshold?: number | null;
  principals?: string[];
  owner?: string | null;
  approvers?: string[];
  onCall?: string | null;
  status?: UseCase['status'];
  requiredApprovals?: number | null;
  cardFile?: string;
  reason?: string;
}

const list = (value: string, previous: string[] = []) => [
  ...previous,
  ...value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
];
const number = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError('must be a number');
  return n;
};
const integer = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('must be an integer');
  return n;
};
const synonym = (value: string, previous: Array<[string, string[]]> = []): Array<[string, string[]]> => {
  const [term, equivalents] = value.split('=');
  if (!term || !equivalents) throw new InvalidArgumentError('write TERM=EQUIVALENT|EQUIVALENT, e.g. FNOL="first notice of loss"');
  return [
    ...previous,
    [
      term.trim(),
      equivalents
        .split('|')
        .map((s) => s.trim())
        .filter(Boolean),
    ],
  ];
};

function addSettingFlags(command: Command): Command {
  return command
    .option('--description <text>', 'what the use case is for')
    .option('--sources <names>', 'source ids or names it may search (comma-separated; empty string = all)', list)
    .option('--k <n>', 'passages retrieved per question (1-50)', integer)
    .addOption(new Option('--mode <mode>', 'retrieval mode').choices(['lexical', 'vector', 'hybrid']))
    .option('--synonym <TERM=A|B>', 'domain vocabulary for this use case (repeatable)', synonym)
    .option('--filter-type <mediaTypes>', 'only these media types (comma-separated)', list)
    .option('--filter-sensitivity <labels>', `only these labels (${sensitivityLabels.join(', ')})`, list)
    .option('--prompt <text>', 'instructions placed before the grounding rules ("" = built-in)')
    .option('--prompt-file <file>', 'read the instructions from a file')
    .option('--model <ref>', '"provider:model" from models.providers, "extractive", or "default" (= models.chat)')
    .option('--temperature <t>', 'sampling temperature (0-2)', number)
    .option('--max-output-tokens <n>', 'tokens reserved for the answer', integer)
    .option('--context-window <n>', "the model's context window in tokens", integer)
    .addOption(new Option('--style <style>', 'answer style').choices([...answerStyles]))
    .option('--refusal-threshold <x>', 'refuse below this confidence (0-1, or "default" for the calibrated one)', (v: string) =>
      v === 'default' ? null : number(v),
    )
    .option('--principals <list>', 'principals allowed to ask (comma-separated; empty string = everyone)', list)
    .option('--owner <principal>', 'who answers for it, e.g. user:ana@corp.com ("" = nobody)', (v: string) => v || null)
    .option('--approvers <list>', 'principals who may approve its changes besides admins (comma-separated)', list)
    .option('--on-call <contact>', 'who is called when it misbehaves ("" = nobody)', (v: string) => v || null)
    .addOption(new Option('--status <status>', 'lifecycle; changes past draft need approval').choices([...useCaseStatuses]))
    .option('--required-approvals <n>', 'distinct approvers its changes need at least ("default" = the policy)', (v: string) =>
      v === 'default' ? null : integer(v),
    )
    .option(
      '--card-file <file>',
      'capability card as JSON {"canDo": [...], "cannotDo": [...], "verifyWhen": [...]} ("" = derived defaults)',
    )
    .option('--reason <text>', 'why (kept in the change request and the audit log)');
}

/** The capability card from `--card-file` (JSON), or null for "" (derived defaults). */
function cardFrom(file: string, cwd: string): unknown {
  if (file === '') return null;
  try {
    return JSON.parse(readFileSync(resolve(cwd, file), 'utf8')) as unknown;
  } catch (error) {
    throw new GroundworkError(
      'cli.invalid_option',
      `--card-file ${file} is not a readable JSON file: ${(error as Error).message}`,
      {
        category: 'usage',
        fix: 'Give a JSON file like {"canDo": ["…"], "cannotDo": ["…"], "verifyWhen": ["…"]}, or "" for the derived card.',
      },
    );
  }
}

/** Flags → stored fields (only those given; retrieval merges over the existing settings). */
function inputFrom(flags: UseCaseFlags, existing: UseCase | undefined, cwd: string): UseCaseInput {
  const input: Record<string, unknown> = {};
  if (flags.description !== undefined) input.description = flags.description;
  if (flags.sources !== undefined) input.sources = flags.sources;
  if (flags.principals !== undefined) input.principals = flags.principals;
  if (flags.promptFile !== undefined) input.prompt = readFileSync(resolve(cwd, flags.promptFile), 'utf8');
  else if (flags.prompt !== undefined) input.prompt = flags.prompt === '' ? null : flags.prompt;
  if (flags.model !== undefined) input.model = flags.model === 'default' ? null : flags.model;
  if (flags.temperature !== undefined) input.temperature = flags.temperature;
  if (flags.maxOutputTokens !== undefined) input.maxOutputTokens = flags.maxOutputTokens;
  if (flags.contextWindow !== undefined) input.contextWindow = flags.contextWindow;
  if (flags.style !== undefined) input.style = flags.style;
  if (flags.refusalThreshold !== undefined) input.refusalThreshold = flags.refusalThreshold;
  if (flags.owner !== undefined) input.owner = flags.owner;
  if (flags.approvers !== undefined) input.approvers = flags.approvers;
  if (flags.onCall !== undefined) input.onCall = flags.onCall;
  if (flags.status !== undefined) input.status = flags.status;
  if (flags.requiredApprovals !== undefined) input.requiredApprovals = flags.requiredApprovals;
  if (flags.cardFile !== undefined) input.card = cardFrom(flags.cardFile, cwd);
  const retrieval: Record<string, unknown> = { ...(existing?.retrieval ?? {}) };
  let retrievalChanged = false;
  if (flags.k !== undefined) {
    retrieval.k = flags.k;
    retrievalChanged = true;
  }
  if (flags.mode !== undefined) {
    retrieval.mode = flags.mode;
    retrievalChanged = true;
  }
  if (flags.synonym !== undefined) {
    retrieval.synonyms = { ...((retrieval.synonyms as object) ?? {}), ...Object.fromEntries(flags.synonym) };
    retrievalChanged = true;
  }
  if (flags.filterType !== undefined || flags.filterSensitivity !== undefined) {
    retrieval.filters = {
      ...((retrieval.filters as object) ?? {}),
      ...(flags.filterType ? { mediaTypes: flags.filterType } : {}),
      ...(flags.filterSensitivity ? { sensitivity: flags.filterSensitivity } : {}),
    };
    retrievalChanged = true;
  }
  if (retrievalChanged) input.retrieval = retrieval;
  return input as UseCaseInput;
}

function view(useCase: UseCase): Record<string, unknown> {
  return JSON.parse(JSON.stringify(useCase)) as Record<string, unknown>;
}

function describeUseCase(u: UseCase): string {
  const lines = [
    `${u.name}${u.description ? ` — ${u.description}` : ''}`,
    `  sources:            ${u.sources.length > 0 ? u.sources.join(', ') : 'all'}`,
    `  retrieval:          k=${u.retrieval.k ?? 8}${u.retrieval.mode ? ` mode=${u.retrieval.mode}` : ''}${u.retrieval.synonyms ? ` synonyms=${Object.keys(u.retrieval.synonyms).join(',')}` : ''}${u.retrieval.filters ? ` filters=${JSON.stringify(u.retrieval.filters)}` : ''}`,
    `  model:              ${u.model ?? 'default (models.chat, else extractive)'}`,
    `  temperature:        ${u.temperature}`,
    `  max output tokens:  ${u.maxOutputTokens}`,
    `  context window:     ${u.contextWindow}`,
    `  style:              ${u.style}`,
    `  refusal threshold:  ${u.refusalThreshold ?? 'default (calibrated)'}`,
    `  who may ask:        ${u.principals.length > 0 ? u.principals.join(', ') : 'everyone'}`,
    `  status:             ${u.status}`,
    `  owner:              ${u.owner ?? '—'}`,
    `  approvers:          ${['admins', ...u.approvers].join(', ')}${u.requiredApprovals ? ` (at least ${u.requiredApprovals})` : ''}`,
    `  on call:            ${u.onCall ?? '—'}`,
    `  prompt:             ${u.prompt ? `${u.prompt.split('\n')[0]?.slice(0, 80)}${u.prompt.length > 80 ? '…' : ''}` : 'built-in'}`,
  ];
  return lines.join('\n');
}

/**
 * Validates a model reference against the configured providers before storing it, and warns about sources
 * that do not exist (yet): they match nothing until a source with that id or name is added.
 */
async function checkModel(context: CommandContext, input: UseCaseInput): Promise<void> {
  const platform = await context.platform();
  if (typeof input.model === 'string' && input.model !== 'extractive') platform.models.describe(input.model);
  if (input.sources && input.sources.length > 0) {
    const rows = await listSourceNames(platform.db);
    const unknown = input.sources.filter((s) => !rows.some((r) => r.id === s || r.name === s));
    if (unknown.length > 0) {
      context.output.warn(
        `no source named ${unknown.join(', ')} exists yet; the use case finds nothing there until one is added`,
      );
    }
  }
}

/** A governed use-case write, on the store (as the local operator) or through `--server` (PUT / DELETE). */
async function writeUseCase(
  context: CommandContext,
  name: string,
  write: { input: UseCaseInput; reason?: string; createOnly?: boolean; updateOnly?: boolean } | { delete: true; reason?: string },
): Promise<SubmitChangeResult | { changeRequest: ChangeRequest }> {
  const api = context.api();
  const path = `/v1/use-cases/${encodeURIComponent(name)}`;
  if (api) {
    const response =
      'delete' in write
        ? await api.delete<Record<string, unknown>>(path)
        : await api.request<Record<string, unknown>>('PUT', path, { body: write.input });
    return 'changeRequest' in response
      ? { changeRequest: response.changeRequest as ChangeRequest }
      : { status: 'applied', result: response };
  }
  const platform = await context.platform();
  const options = { ...(write.reason ? { reason: write.reason } : {}) };
  if ('delete' in write) return deleteUseCase(platform.governance, platform.db, localOperator, name, options);
  return saveUseCase(platform.governance, platform.db, localOperator, name, write.input, {
    ...options,
    ...(write.createOnly ? { createOnly: true } : {}),
    ...(write.updateOnly ? { updateOnly: true } : {}),
  });
}

/** `groundwork use-cases list|show|create|update|delete`: named answering configurations. */
export function registerUseCasesCommands(program: Command, runtime: CliRuntime): void {
  const useCases = program
    .command('use-cases')
    .description('named answering configurations: sources, prompt, model, refusal, access');
  registerCriteriaCommands(useCases, runtime);

  useCases
    .command('list')
    .description('list use cases')
    .action(
      runtime.action(async (context) => {
        const api = context.api();
        const all = api
          ? (await api.get<{ useCases: UseCase[] }>('/v1/use-cases')).useCases
          : await (await context.platform()).answerer.useCases.list();
        context.output.result({ useCases: all.map(view) }, () =>
          table(
            ['NAME', 'STATUS', 'OWNER', 'MODEL', 'STYLE', 'SOURCES', 'WHO MAY ASK', 'DESCRIPTION'],
            all.map((u) => [
              u.name,
              u.status ?? 'draft',
              u.owner ?? '-',
              u.model ?? 'default',
              u.style,
              u.sources.length > 0 ? u.sources.join(',') : 'all',
              u.principals.length > 0 ? u.principals.join(',') : 'everyone',
              u.description.slice(0, 60),
            ]),
          ),
        );
        return 0;
      }),
    );

  useCases
    .command('show')
    .description('show one use case')
    .argument('<name>')
    .action(
      runtime.action(async (context, name: string) => {
        const api = context.api();
        const useCase = api
          ? await api.get<UseCase>(`/v1/use-cases/${encodeURIComponent(name)}`)
          : await (await context.platform()).answerer.useCases.require(name);
        context.output.result(view(useCase), () => describeUseCase(useCase));
        return 0;
      }),
    );

  addSettingFlags(useCases.command('create').description('create a use case').argument('<name>')).action(
    runtime.action(async (context, name: string, flags: UseCaseFlags) => {
      const input = inputFrom(flags, undefined, context.io.cwd);
      const api = context.api();
      if (api) {
        // The server creates or updates (PUT); refuse to overwrite an existing one from `create`.
        const exists = await api
          .get<UseCase>(`/v1/use-cases/${encodeURIComponent(name)}`)
          .then(() => true)
          .catch(() => false);
        if (exists) {
          throw new GroundworkError('use_case.exists', `A use case named "${name}" already exists.`, {
            category: 'conflict',
            fix: `Change it with \`groundwork use-cases update ${name} …\`, or pick another name.`,
          });
        }
      } else {
        await checkModel(context, input);
      }
      const outcome = await writeUseCase(context, name, {
        input,
        createOnly: true,
        ...(flags.reason ? { reason: flags.reason } : {}),
      });
      return printChangeOutcome<UseCase>(context, outcome, {
        json: view,
        text: (created) =>
          `Created use case ${name}.\n${describeUseCase(created)}${
            created.status === 'draft'
              ? `\nIt is a draft: only its builders can ask it. Roll it out with \`groundwork rollout set-stage ${name} pilot --cohort COHORT\` or \`… ${name} general\`.`
              : ''
          }`,
      });
    }),
  );

  addSettingFlags(useCases.command('update').description('change settings of a use case').argument('<name>')).action(
    runtime.action(async (context, name: string, flags: UseCaseFlags) => {
      const api = context.api();
      const existing = api
        ? await api.get<UseCase>(`/v1/use-cases/${encodeURIComponent(name)}`)
        : await (await context.platform()).answerer.useCases.require(name);
      const input = inputFrom(flags, existing, context.io.cwd);
      if (!api) await checkModel(context, input);
      const outcome = await writeUseCase(context, name, {
        input,
        updateOnly: true,
        ...(flags.reason ? { reason: flags.reason } : {}),
      });
      return printChangeOutcome<UseCase>(context, outcome, {
        json: view,
        text: (updated) => `Updated use case ${name}.\n${describeUseCase(updated)}`,
      });
    }),
  );

  useCases
    .command('delete')
    .description('delete a use case (not "default")')
    .argument('<name>')
    .option('--reason <text>', 'why (kept in the change request and the audit log)')
    .action(
      runtime.action(async (context, name: string, options: { reason?: string }) => {
        const outcome = await writeUseCase(context, name, {
          delete: true,
          ...(options.reason ? { reason: options.reason } : {}),
        });
        return printChangeOutcome<unknown>(context, outcome, {
          json: () => ({ deleted: name }),
          text: () => `Deleted use case ${name}.`,
        });
      }),
    );
}
