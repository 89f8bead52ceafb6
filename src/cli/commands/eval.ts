import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { createAnswerer, promptVersion, type VersionPin } from '../../answer/index.ts';
import { type Caller, callerWithPrincipals, GroundworkError, localOperator } from '../../core/index.ts';
import {
  acceptCandidate,
  askThrough,
  collectCandidates,
  compareRuns,
  createJudge,
  type EvaluationReport,
  importDataset,
  labelRun,
  listAlerts,
  listCandidates,
  listDatasets,
  listRuns,
  type ParsedCases,
  parseBeirCases,
  parseCsvCases,
  parseGate,
  parseJsonlCases,
  type ReportFormat,
  type RunComparison,
  rejectCandidate,
  renderReport,
  runGatedEvaluation,
  showRun,
} from '../../evaluate/index.ts';
import { createModelResolver } from '../../models/index.ts';
import { pinNeedsAnswerMode, runScheduledEvaluationOn, startWorker, versionPin } from '../../worker.ts';
import type { CliRuntime, CommandContext } from '../context.ts';
import { exitCodes } from '../exit-codes.ts';
import { table } from '../output.ts';
import { evalCommandGroup } from './eval-retrieval.ts';

const positiveInt = (max: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`must be an integer from 1 to ${max}`);
  return n;
};
const collect = (value: string, previous: string[] = []) => [...previous, value];
const list = (value: string, previous: string[] = []) => [
  ...previous,
  ...value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
];

/** `--as group:a,user:b` reads as those principals; without it the CLI operator sees everything. */
function viewerFrom(as: string[] | undefined): Caller {
  return as && as.length > 0 ? callerWithPrincipals(as) : localOperator;
}

const f4 = (x: number | null | undefined) => (x === null || x === undefined ? '—' : x.toFixed(4));

function readInput(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new GroundworkError('evaluate.file_unreadable', `Cannot read ${path}: ${(error as Error).message}`, {
      category: 'usage',
      fix: 'Check the path and permissions.',
    });
  }
}

function parseFile(path: string, format: string | undefined, split: string): ParsedCases & { origin: 'jsonl' | 'csv' | 'beir' } {
  const isDir = (() => {
    try {
      return statSync(path).isDirectory();
    } catch {
      return false;
    }
  })();
  const kind = format ?? (isDir ? 'beir' : path.toLowerCase().endsWith('.csv') ? 'csv' : 'jsonl');
  if (kind === 'beir') {
    const beir = parseBeirCases(readInput(join(path, 'queries.jsonl')), readInput(join(path, 'qrels', `${split}.tsv`)));
    // Query problems carry queries.jsonl lines; qrels problems their own lines (reasons name the file).
    return { cases: beir.cases, problems: [...beir.problems, ...beir.qrelsProblems], origin: 'beir' };
  }
  const text = readInput(path);
  return kind === 'csv' ? { ...parseCsvCases(text), origin: 'csv' } : { ...parseJsonlCases(text), origin: 'jsonl' };
}

function writeReport(
  context: CommandContext,
  report: EvaluationReport,
  format: ReportFormat | undefined,
  out: string | undefined,
) {
  if (!format && !out) return;
  const text = renderReport(report, format ?? 'md');
  if (out) {
    writeFileSync(resolve(context.io.cwd, out), text);
    context.output.info(`report written to ${out}`);
  } else if (!context.output.json) context.io.stdout.write(text);
}

function comparisonLines(comparison: RunComparison): string[] {
  return [
    `compared with ${comparison.baseline.id} (${comparison.pairedCases} paired cases, ${comparison.resamples} resamples, seed ${comparison.seed})`,
    table(
      ['metric', 'baseline', 'candidate', 'Δ', '95% CI', 'W/L/T', ''],
      comparison.metrics.map((m) => [
        m.metric,
        f4(m.baseline),
        f4(m.candidate),
        f4(m.difference),
        `[${f4(m.low)}, ${f4(m.high)}]`,
        `${m.wins}/${m.losses}/${m.ties}`,
        m.significance === 'none' ? '' : m.significance.toUpperCase(),
      ]),
    ),
  ];
}

/** The human text of `eval run`: metrics, gates, the comparison, and the verdict. */
function runReportText(r: EvaluationReport, durationMs: number): string {
  const lines = [
    `run ${r.runId} on ${r.dataset}: ${r.caseCount} cases, ${r.errors} errors, ${Math.round(durationMs)} ms`,
    table(
      ['metric', 'mean', 'n', 'std'],
      Object.entries(r.metrics).map(([name, s]) => [name, f4(s.mean), s.n, f4(s.std)]),
    ),
  ];
  for (const gate of r.gates) lines.push(`${gate.failed ? 'FAIL' : 'ok  '} ${gate.expression} (${gate.reason})`);
  if (r.comparison) lines.push('', ...comparisonLines(r.comparison));
  lines.push(r.passed ? 'PASSED' : 'FAILED');
  return lines.join('\n');
}

interface RunOptions {
  mode: 'retrieval' | 'answer';
  useCase?: string;
  depth: number;
  repeat: number;
  label?: string[];
  baseline?: string;
  failIf?: string[];
  reportFormat?: ReportFormat;
  out?: string;
  judge?: string;
  concurrency: number;
  promptVersion?: number;
  modelVersion?: number;
}

type CliPlatform = Awaited<ReturnType<CommandContext['platform']>>;

/**
 * The answer feature behind the evaluation's answer port: the use case's answerer (extractive without a
 * model) and the configuration to snapshot (use case settings, prompt version, model). Groundedness uses
 * the evaluation's offline checker, which also rejects flipped negations and swapped entities
 * (docs/benchmarks.md "Groundedness checker").
 */
async function answerPort(platform: CliPlatform, useCaseName: string | undefined, pin: VersionPin | undefined) {
  const models = createModelResolver({ config: platform.config.models, secrets: platform.secrets });
  const answerer = createAnswerer({
    db: platform.db,
    retriever: platform.retriever,
    models,
    tracer: platform.tracer,
    events: platform.events,
    piiPatterns: platform.config.ingest.piiPatterns,
  });
  const name = useCaseName ?? 'default';
  const useCase = await answerer.useCases.get(name);
  if (useCaseName && !useCase) await answerer.useCases.require(useCaseName);
  const ask = askThrough(answerer, name, pin);
  // The run records the versions its answers ran with: what a governed label move compares it with.
  if (!useCase) {
    const model = platform.config.models.chat ?? 'extractive';
    return { ask, models, snapshot: { useCaseSettings: null, promptVersion: promptVersion(undefined), model } };
  }
  const target = await answerer.target(name, pin);
  return {
    ask,
    models,
    snapshot: {
      useCaseSettings: useCase,
      promptVersion: target.promptVersion,
      modelVersion: target.modelVersion,
      model: target.model,
    },
  };
}

/** `groundwork eval import|datasets|run|runs|show|compare|label|candidates|alerts|schedule`. */
export function registerEvalCommands(program: Command, runtime: CliRuntime): void {
  const group = evalCommandGroup(program);
  registerImportCommand(group, runtime);
  registerDatasetsCommand(group, runtime);
  registerRunCommand(group, runtime);
  registerRunsCommand(group, runtime);
  registerShowCommand(group, runtime);
  registerCompareCommand(group, runtime);
  registerLabelCommand(group, runtime);
  registerCandidatesCommands(group, runtime);
  registerAlertsCommand(group, runtime);
  registerSchedulerCommand(group, runtime);
  registerScheduleRunCommand(group, runtime);
}

/** `eval import`: a dataset version from JSONL, CSV or a BEIR folder (through importDataset, audited). */
function registerImportCommand(group: Command, runtime: CliRuntime): void {
  group
    .command('import')
    .description('import a dataset version from JSONL, CSV or a BEIR folder (all rows or nothing)')
    .argument('<name>', 'dataset name (a new import of the same name is a new version)')
    .argument('<file>', 'cases.jsonl, cases.csv, or a BEIR folder (queries.jsonl + qrels/<split>.tsv)')
    .addOption(new Option('--format <format>', 'input format (default from the file)').choices(['jsonl', 'csv', 'beir']))
    .option('--split <name>', 'BEIR qrels split', 'test')
    .option('--description <text>', 'what the dataset is for')
    .action(
      runtime.action(
        async (context, name: string, file: string, options: { format?: string; split: string; description?: string }) => {
          const parsed = parseFile(resolve(context.io.cwd, file), options.format, options.split);
          const platform = await context.platform();
          const dataset = await importDataset(platform.db, parsed.cases, {
            name,
            origin: parsed.origin,
            caller: localOperator,
            parseProblems: parsed.problems,
            clock: platform.clock,
            ...(options.description ? { description: options.description } : {}),
          });
          context.output.result(dataset, (d) => `imported ${d.name} version ${d.version}: ${d.caseCount} cases (${d.id})`);
          return exitCodes.ok;
        },
      ),
    );
}

/** `eval datasets`: the dataset versions. */
function registerDatasetsCommand(group: Command, runtime: CliRuntime): void {
  group
    .command('datasets')
    .description('list dataset versions')
    .action(
      runtime.action(async (context) => {
        const platform = await context.platform();
        const datasets = await listDatasets(platform.db);
        context.output.result(datasets, (all) =>
          all.length === 0
            ? 'no datasets (import one with `groundwork eval import NAME FILE`)'
            : table(
                ['name', 'version', 'cases', 'origin', 'created', 'id'],
                all.map((d) => [d.name, d.version, d.caseCount, d.origin, d.createdAt.toISOString(), d.id]),
              ),
        );
        return exitCodes.ok;
      }),
    );
}

/** `eval run`: one run with gates and an optional baseline; exit 1 when it fails. */
function registerRunCommand(group: Command, runtime: CliRuntime): void {
  group
    .command('run')
    .description('evaluate a dataset; exits 1 when a gate fails or the run is significantly worse than the baseline')
    .argument('<dataset>', 'dataset name (latest version), name@version, or id')
    .addOption(new Option('--mode <mode>', 'what to evaluate').choices(['retrieval', 'answer']).default('retrieval'))
    .option('--use-case <name>', 'use case to answer with (answer mode)')
    .option(
      '--judge <model>',
      'judge model "provider:model" for judge_correctness / judge_faithfulness (answer mode; sends answers and cited text to it)',
    )
    .option('--depth <n>', 'documents retrieved per case (MAP is cut here)', positiveInt(1000), 100)
    .option('--repeat <n>', 'samples per case for answer runs (reports the spread)', positiveInt(50), 1)
    .option('--concurrency <n>', 'cases evaluated in parallel (server PostgreSQL)', positiveInt(32), 1)
    .option('--label <label>', 'label the run (repeatable), e.g. baseline', collect)
    .option('--baseline <run>', 'run id or label to compare with (paired bootstrap)')
    .option('--fail-if <gate>', 'gate, e.g. "ndcg@10 < 0.6" (repeatable)', collect)
    .option(
      '--prompt-version <n>',
      "answer mode: answer with this version of the use case's versioned prompt (a candidate, before its production label moves)",
      positiveInt(1_000_000),
    )
    .option(
      '--model-version <n>',
      "answer mode: answer with this version of the use case's model configuration (a candidate, before its production label moves)",
      positiveInt(1_000_000),
    )
    .addOption(new Option('--report-format <format>', 'report format').choices(['md', 'junit', 'json']))
    .option('--out <file>', 'write the report to a file')
    .action(
      runtime.action(async (context, dataset: string, options: RunOptions) => {
        // Gates are parsed before anything runs: a typo is a usage error, not a wasted run.
        const gates = (options.failIf ?? []).map(parseGate);
        const platform = await context.platform();
        const pin = versionPin(options);
        if (pin && options.mode !== 'answer') throw pinNeedsAnswerMode();
        const answering = options.mode === 'answer' ? await answerPort(platform, options.useCase, pin) : undefined;
        const progress = context.output.progress('cases');
        const { run, report } = await runGatedEvaluation(
          {
            db: platform.db,
            tracer: platform.tracer,
            events: platform.events,
            clock: platform.clock,
            search: (request) => platform.retriever.search(request),
            ...(answering ? { ask: answering.ask, flushTraces: () => platform.observe.recorder.flush() } : {}),
            ...(answering && options.judge ? { judge: createJudge(answering.models.chat(options.judge)) } : {}),
          },
          {
            dataset,
            mode: options.mode,
            caller: localOperator,
            depth: options.depth,
            repeat: options.repeat,
            concurrency: options.concurrency,
            gates,
            baseline: options.baseline,
            viewer: localOperator,
            bootstrap: {
              resamples: platform.config.evaluation.bootstrapResamples,
              seed: platform.config.evaluation.bootstrapSeed,
            },
            labels: options.label ?? [],
            ...(options.useCase ? { useCase: options.useCase } : {}),
            snapshot: { retrieval: platform.config.retrieval, ...(answering?.snapshot ?? {}) },
            onCase: (done, total) => progress.update(done, total),
          },
        );
        progress.finish();
        writeReport(context, report, options.reportFormat, options.out);
        if (!options.reportFormat || options.out || context.output.json) {
          context.output.result(report, (r) => runReportText(r, run.durationMs));
        }
        return report.passed ? exitCodes.ok : exitCodes.failure;
      }),
    );
}

/** `eval runs`: runs, newest first. */
function registerRunsCommand(group: Command, runtime: CliRuntime): void {
  group
    .command('runs')
    .description('list evaluation runs, newest first')
    .option('--dataset <name>', 'only runs of this dataset')
    .option('--label <label>', 'only runs with this label')
    .option('--limit <n>', 'at most this many', positiveInt(1000), 50)
    .action(
      runtime.action(async (context, options: { dataset?: string; label?: string; limit: number }) => {
        const platform = await context.platform();
        const runs = await listRuns(platform.db, {
          limit: options.limit,
          ...(options.dataset ? { dataset: options.dataset } : {}),
          ...(options.label ? { label: options.label } : {}),
        });
        context.output.result(runs, (all) =>
          table(
            ['id', 'dataset', 'mode', 'status', 'cases', 'ndcg@10', 'labels', 'started'],
            all.map((r) => [
              r.id,
              `${r.datasetName}@${r.datasetVersion}`,
              r.mode,
              r.status,
              r.caseCount,
              f4(r.metrics['ndcg@10']?.mean),
              r.labels.join(','),
              r.startedAt.toISOString(),
            ]),
          ),
        );
        return exitCodes.ok;
      }),
    );
}

/** `eval show`: one run as the viewer may see it. */
function registerShowCommand(group: Command, runtime: CliRuntime): void {
  group
    .command('show')
    .description('a run: configuration snapshot, metrics, and the cases you may see')
    .argument('<run>', 'run id or label')
    .option('--as <principals>', 'view as these principals (comma-separated)', list)
    .addOption(new Option('--report-format <format>', 'report format').choices(['md', 'junit', 'json']))
    .option('--out <file>', 'write the report to a file')
    .action(
      runtime.action(
        async (context, reference: string, options: { as?: string[]; reportFormat?: ReportFormat; out?: string }) => {
          const platform = await context.platform();
          const run = await showRun(platform.db, reference, viewerFrom(options.as));
          writeReport(
            context,
            {
              runId: run.id,
              dataset: `${run.datasetName}@${run.datasetVersion}`,
              mode: run.mode,
              caseCount: run.caseCount,
              errors: run.cases.filter((c) => c.error).length,
              metrics: run.metrics,
              gates: [],
              passed: run.status === 'succeeded',
            },
            options.reportFormat,
            options.out,
          );
          context.output.result(run, (r) =>
            [
              `run ${r.id} (${r.status}) on ${r.datasetName}@${r.datasetVersion}, ${r.mode}, labels: ${r.labels.join(', ') || '—'}`,
              `index: ${r.indexState.documentCount} documents, ${r.indexState.chunkCount} chunks, fingerprint ${r.indexState.fingerprint}`,
              `config: ${JSON.stringify(r.config)}`,
              table(
                ['metric', 'mean', 'n'],
                Object.entries(r.metrics)
                  .sort(([a], [b]) => a.localeCompare(b))
                  .map(([name, s]) => [name, f4(s.mean), s.n]),
              ),
              '',
              table(
                ['case', 'sample', 'ndcg@10', 'top documents', 'error'],
                r.cases.map((c) => [
                  c.externalId,
                  c.sample,
                  f4(c.metrics['ndcg@10']),
                  c.retrievedDocumentIds.slice(0, 3).join(' '),
                  c.error ?? '',
                ]),
              ),
              r.hiddenCases > 0 ? `${r.hiddenCases} case result(s) hidden: asked as principals you do not hold` : '',
            ].join('\n'),
          );
          return exitCodes.ok;
        },
      ),
    );
}

/** `eval compare`: two runs, paired bootstrap. */
function registerCompareCommand(group: Command, runtime: CliRuntime): void {
  group
    .command('compare')
    .description('compare two runs: per-metric difference with paired-bootstrap 95% CI, wins/losses, changed cases')
    .argument('<baseline>', 'run id or label')
    .argument('<candidate>', 'run id or label')
    .option('--as <principals>', 'list changed cases as these principals (comma-separated)', list)
    .option('--resamples <n>', 'bootstrap resamples', positiveInt(100_000))
    .option('--seed <n>', 'bootstrap seed', positiveInt(2 ** 31))
    .addOption(new Option('--report-format <format>', 'report format').choices(['md', 'json']))
    .option('--out <file>', 'write the report to a file')
    .action(
      runtime.action(
        async (
          context,
          baseline: string,
          candidate: string,
          options: { as?: string[]; resamples?: number; seed?: number; reportFormat?: 'md' | 'json'; out?: string },
        ) => {
          const platform = await context.platform();
          const comparison = await compareRuns(platform.db, baseline, candidate, {
            viewer: viewerFrom(options.as),
            resamples: options.resamples ?? platform.config.evaluation.bootstrapResamples,
            seed: options.seed ?? platform.config.evaluation.bootstrapSeed,
          });
          const report: EvaluationReport = {
            runId: comparison.candidate.id,
            dataset: `${comparison.candidate.datasetName}@${comparison.candidate.datasetVersion}`,
            mode: comparison.candidate.mode,
            caseCount: comparison.pairedCases,
            errors: 0,
            metrics: comparison.candidate.metrics,
            gates: [],
            comparison,
            passed: !comparison.regressed,
          };
          writeReport(context, report, options.reportFormat, options.out);
          context.output.result(comparison, (c) =>
            [
              ...comparisonLines(c),
              '',
              `${c.changedCases.length} changed case(s)${c.hiddenChangedCases ? ` (+${c.hiddenChangedCases} not visible to you)` : ''}`,
              ...c.changedCases.slice(0, 20).map(
                (x) =>
                  `  ${x.externalId}: ${Object.entries(x.changes)
                    .map(([m, v]) => `${m} ${v.baseline.toFixed(3)}→${v.candidate.toFixed(3)}`)
                    .join(', ')}`,
              ),
              c.regressed ? 'REGRESSED: at least one metric is significantly worse' : '',
            ].join('\n'),
          );
          return exitCodes.ok;
        },
      ),
    );
}

/** `eval label`: moves a label to a run. */
function registerLabelCommand(group: Command, runtime: CliRuntime): void {
  group
    .command('label')
    .description('label a run (a label names one run; it moves), e.g. baseline')
    .argument('<run>', 'run id or label')
    .argument('<label>', 'label')
    .action(
      runtime.action(async (context, reference: string, label: string) => {
        const platform = await context.platform();
        const run = await labelRun(platform.db, localOperator, reference, label, platform.clock);
        context.output.result(run, (r) => `${r.id} labels: ${r.labels.join(', ')}`);
        return exitCodes.ok;
      }),
    );
}

/** `eval candidates list|accept|reject`: production cases from negative feedback. */
function registerCandidatesCommands(group: Command, runtime: CliRuntime): void {
  const candidates = group.command('candidates').description('production cases from negative feedback, for review');
  candidates
    .command('list')
    .description('collect new negative feedback, then list pending candidates you may see')
    .option('--as <principals>', 'view as these principals (comma-separated)', list)
    .addOption(new Option('--status <status>', 'status').choices(['pending', 'accepted', 'rejected']).default('pending'))
    .action(
      runtime.action(async (context, options: { as?: string[]; status: 'pending' | 'accepted' | 'rejected' }) => {
        const platform = await context.platform();
        const added = await collectCandidates(platform.db);
        const items = await listCandidates(platform.db, viewerFrom(options.as), { status: options.status });
        context.output.result({ collected: added, candidates: items }, (r) =>
          [
            `${r.collected} new candidate(s) collected`,
            table(
              ['id', 'category', 'question', 'comment'],
              r.candidates.map((c) => [c.id, c.category ?? '', (c.question ?? '').slice(0, 60), (c.comment ?? '').slice(0, 40)]),
            ),
          ].join('\n'),
        );
        return exitCodes.ok;
      }),
    );
  candidates
    .command('accept')
    .description('accept a candidate into the next version of a dataset')
    .argument('<id>', 'candidate id')
    .requiredOption('--dataset <name>', 'dataset to add the case to')
    .option('--reference-answer <text>', 'the correct answer')
    .option('--relevant <refs>', 'relevant documents: ids or source paths (comma-separated)', list)
    .option('--expect-refusal', 'the correct behaviour is to refuse')
    .option('--principals <list>', "principals to ask the case as (default: the original caller's, when recorded)", list)
    .option('--tag <tag>', 'tag (repeatable)', collect)
    .action(
      runtime.action(
        async (
          context,
          id: string,
          options: {
            dataset: string;
            referenceAnswer?: string;
            relevant?: string[];
            expectRefusal?: boolean;
            tag?: string[];
            principals?: string[];
          },
        ) => {
          const platform = await context.platform();
          const dataset = await acceptCandidate(platform.db, id, {
            dataset: options.dataset,
            caller: localOperator,
            clock: platform.clock,
            ...(options.referenceAnswer ? { referenceAnswer: options.referenceAnswer } : {}),
            ...(options.relevant ? { relevantDocuments: options.relevant } : {}),
            ...(options.expectRefusal ? { expectRefusal: true } : {}),
            ...(options.tag ? { tags: options.tag } : {}),
            ...(options.principals ? { principals: options.principals } : {}),
          });
          context.output.result(dataset, (d) => `accepted into ${d.name} version ${d.version} (${d.caseCount} cases)`);
          return exitCodes.ok;
        },
      ),
    );
  candidates
    .command('reject')
    .description('reject a candidate')
    .argument('<id>', 'candidate id')
    .action(
      runtime.action(async (context, id: string) => {
        const platform = await context.platform();
        await rejectCandidate(platform.db, id, localOperator, platform.clock);
        context.output.result({ id, status: 'rejected' }, () => `rejected ${id}`);
        return exitCodes.ok;
      }),
    );
}

/** `eval alerts`: drift alerts of scheduled runs. */
function registerAlertsCommand(group: Command, runtime: CliRuntime): void {
  group
    .command('alerts')
    .description('drift alerts raised by scheduled runs')
    .option('--schedule <name>', 'only this schedule')
    .action(
      runtime.action(async (context, options: { schedule?: string }) => {
        const platform = await context.platform();
        const alerts = await listAlerts(platform.db, options.schedule ? { scheduleName: options.schedule } : {});
        context.output.result(alerts, (all) =>
          table(
            ['schedule', 'metric', 'previous', 'current', 'drop', 'run', 'delivery', 'at'],
            all.map((a) => [
              a.scheduleName,
              a.metric,
              f4(a.previousValue),
              f4(a.currentValue),
              f4(a.drop),
              a.runId,
              a.delivery,
              a.createdAt.toISOString(),
            ]),
          ),
        );
        return exitCodes.ok;
      }),
    );
}

/** `eval scheduler`: runs the configured schedules until stopped. */
function registerSchedulerCommand(group: Command, runtime: CliRuntime): void {
  group
    .command('scheduler')
    .description('register evaluation.schedules with the job queue and run them when due, until Ctrl-C / SIGTERM')
    .action(
      runtime.action(async (context) => {
        const platform = await context.platform();
        const { schedules } = platform.config.evaluation;
        if (schedules.length === 0) {
          throw new GroundworkError('evaluate.no_schedules', 'No evaluation schedules are configured.', {
            category: 'usage',
            fix: 'Add evaluation.schedules to the configuration (docs/evaluation.md "Scheduled runs and drift").',
          });
        }
        // The worker for evaluation jobs only: it registers the schedules and runs them when due (the same
        // as `groundwork worker --only evaluation-scheduled-run`).
        let runs = 0;
        const worker = await startWorker(platform, {
          only: ['evaluation-scheduled-run'],
          onJob: (event) => {
            if (event.outcome === 'completed') runs++;
            context.output.info(`scheduled evaluation job ${event.id}: ${event.outcome}${event.code ? ` [${event.code}]` : ''}`);
          },
        });
        context.output.info(
          `scheduler started: ${schedules.map((s) => `${s.name} (${s.cron})`).join(', ')}; waiting (Ctrl-C to stop)`,
        );
        await new Promise<void>((resolveStop) => {
          process.once('SIGINT', () => resolveStop());
          process.once('SIGTERM', () => resolveStop());
        });
        await worker.stop();
        context.output.result({ runs }, (r) => `scheduler stopped after ${r.runs} run(s)`);
        return exitCodes.ok;
      }),
    );
}

/** `eval schedule-run`: one configured schedule, now. */
function registerScheduleRunCommand(group: Command, runtime: CliRuntime): void {
  group
    .command('schedule-run')
    .description('run a configured schedule now (as the job queue does) and check drift against its previous run')
    .argument('<name>', 'schedule name from evaluation.schedules')
    .action(
      runtime.action(async (context, name: string) => {
        const platform = await context.platform();
        const schedule = platform.config.evaluation.schedules.find((s) => s.name === name);
        if (!schedule) {
          throw new GroundworkError('evaluate.schedule_not_found', `No evaluation schedule "${name}" in the configuration.`, {
            category: 'usage',
            fix: `Configured: ${platform.config.evaluation.schedules.map((s) => s.name).join(', ') || 'none'}; add it under evaluation.schedules.`,
          });
        }
        const { run, alerts } = await runScheduledEvaluationOn(platform, schedule);
        context.output.result({ runId: run.runId, metrics: run.metrics, alerts }, (r) =>
          [`run ${r.runId}`, ...r.alerts.map((a) => `ALERT ${a.metric}: ${f4(a.previousValue)} → ${f4(a.currentValue)}`)].join(
            '\n',
          ),
        );
        return alerts.length > 0 ? exitCodes.failure : exitCodes.ok;
      }),
    );
}
