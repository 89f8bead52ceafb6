import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { answerStyles, createUseCaseStore, type UseCase, type UseCaseInput } from '../../answer/index.ts';
import { GroundworkError, localOperator, sensitivityLabels } from '../../core/index.ts';
import { recordAudit } from '../../govern/index.ts';
import type { CliRuntime, CommandContext } from '../context.ts';
import { table } from '../output.ts';

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
    .option('--principals <list>', 'principals allowed to ask (comma-separated; empty string = everyone)', list);
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
    const { rows } = await platform.db.query<{ id: string; name: string }>(
      'SELECT id, name FROM sources WHERE id = ANY($1) OR name = ANY($1)',
      [input.sources],
    );
    const unknown = input.sources.filter((s) => !rows.some((r) => r.id === s || r.name === s));
    if (unknown.length > 0) {
      context.output.warn(
        `no source named ${unknown.join(', ')} exists yet; the use case finds nothing there until one is added`,
      );
    }
  }
}

async function audited<T>(
  context: CommandContext,
  action: string,
  name: string,
  work: (store: ReturnType<typeof createUseCaseStore>) => Promise<{ before?: UseCase; after?: UseCase; result: T }>,
): Promise<T> {
  const platform = await context.platform();
  return platform.db.transaction(async (tx) => {
    const { before, after, result } = await work(createUseCaseStore(tx));
    await recordAudit(
      tx,
      {
        actor: localOperator.id,
        action,
        target: `usecase:${name}`,
        ...(before ? { before: view(before) } : {}),
        ...(after ? { after: view(after) } : {}),
      },
      platform.clock,
    );
    return result;
  });
}

/** `groundwork use-cases list|show|create|update|delete`: named answering configurations. */
export function registerUseCasesCommands(program: Command, runtime: CliRuntime): void {
  const useCases = program
    .command('use-cases')
    .description('named answering configurations: sources, prompt, model, refusal, access');

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
            ['NAME', 'MODEL', 'STYLE', 'SOURCES', 'WHO MAY ASK', 'DESCRIPTION'],
            all.map((u) => [
              u.name,
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
        // The server creates or updates (PUT) and audits; refuse to overwrite an existing one from `create`.
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
        const created = await api.request<UseCase>('PUT', `/v1/use-cases/${encodeURIComponent(name)}`, { body: input });
        context.output.result(created, () => `Created use case ${name}.\n${describeUseCase(created)}`);
        return 0;
      }
      await checkModel(context, input);
      const created = await audited(context, 'usecase.create', name, async (store) => {
        const after = await store.create(name, input);
        return { after, result: after };
      });
      context.output.result(view(created), () => `Created use case ${name}.\n${describeUseCase(created)}`);
      return 0;
    }),
  );

  addSettingFlags(useCases.command('update').description('change settings of a use case').argument('<name>')).action(
    runtime.action(async (context, name: string, flags: UseCaseFlags) => {
      const api = context.api();
      if (api) {
        const path = `/v1/use-cases/${encodeURIComponent(name)}`;
        const input = inputFrom(flags, await api.get<UseCase>(path), context.io.cwd);
        const updated = await api.request<UseCase>('PUT', path, { body: input });
        context.output.result(updated, () => `Updated use case ${name}.\n${describeUseCase(updated)}`);
        return 0;
      }
      const existing = await (await context.platform()).answerer.useCases.require(name);
      const input = inputFrom(flags, existing, context.io.cwd);
      await checkModel(context, input);
      const updated = await audited(context, 'usecase.update', name, async (store) => {
        const after = await store.update(name, input);
        return { before: existing, after, result: after };
      });
      context.output.result(view(updated), () => `Updated use case ${name}.\n${describeUseCase(updated)}`);
      return 0;
    }),
  );

  useCases
    .command('delete')
    .description('delete a use case (not "default")')
    .argument('<name>')
    .action(
      runtime.action(async (context, name: string) => {
        const api = context.api();
        if (api) {
          await api.delete(`/v1/use-cases/${encodeURIComponent(name)}`);
          context.output.result({ deleted: name }, () => `Deleted use case ${name}.`);
          return 0;
        }
        await audited(context, 'usecase.delete', name, async (store) => {
          const before = await store.require(name);
          await store.delete(name);
          return { before, result: undefined };
        });
        context.output.result({ deleted: name }, () => `Deleted use case ${name}.`);
        return 0;
      }),
    );
}
