import { type Command, InvalidArgumentError, Option } from 'commander';
import { evaluateBeir } from '../../retrieve/index.ts';
import type { CliRuntime } from '../context.ts';
import { exitCodes } from '../exit-codes.ts';

/**
 * The `eval` command group, created on first use: every evaluation subcommand (`eval retrieval`, and those
 * of the evaluation feature) registers under it through this function, in any order.
 */
export function evalCommandGroup(program: Command): Command {
  return (
    program.commands.find((command) => command.name() === 'eval') ??
    program.command('eval').description('evaluate retrieval and answers against judged datasets')
  );
}

const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('must be an integer from 1 to 1000');
  return n;
};

interface EvalRetrievalOptions {
  beir: string;
  split: string;
  k: number;
  depth: number;
  mode?: 'lexical' | 'vector' | 'hybrid';
  engine?: 'auto' | 'portable' | 'pg_textsearch';
}

/** `groundwork eval retrieval --beir DIR [--split test] [--k 10] [--json]`. */
export function registerEvalRetrievalCommand(program: Command, runtime: CliRuntime): void {
  evalCommandGroup(program)
    .command('retrieval')
    .description('BEIR evaluation: import the dataset into its own schema and report nDCG, Recall, MRR, MAP, P')
    .requiredOption('--beir <dir>', 'BEIR dataset folder (corpus.jsonl, queries.jsonl, qrels/<split>.tsv)')
    .option('--split <name>', 'qrels split', 'test')
    .option('--k <n>', 'cutoff for nDCG/MRR/P (also reported @10; Recall @100 and MAP @1000 always)', positiveInt, 10)
    .option('--depth <n>', 'documents retrieved per query (MAP is @1000 as trec_eval)', positiveInt, 1000)
    .addOption(new Option('--mode <mode>', 'ranking mode (default lexical)').choices(['lexical', 'vector', 'hybrid']))
    .addOption(new Option('--engine <engine>', 'lexical engine').choices(['auto', 'portable', 'pg_textsearch']))
    .action(
      runtime.action(async (context, options: EvalRetrievalOptions) => {
        const platform = await context.platform();
        const progress = context.output.progress('queries');
        const report = await evaluateBeir(platform.db, platform.config.retrieval, platform.tracer, {
          dir: options.beir,
          split: options.split,
          k: options.k,
          depth: options.depth,
          ...(options.mode ? { mode: options.mode } : {}),
          ...(options.engine ? { lexicalEngine: options.engine } : {}),
          onProgress: (done, total) => progress.update(done, total),
        });
        progress.finish();
        const m = report.metrics;
        const f = (x: number) => x.toFixed(4);
        context.output.result(report, (r) =>
          [
            `BEIR ${r.dataset} (${r.split}): ${r.import.documents} documents, ${r.queries} judged queries` +
              ` — ${r.import.imported ? `imported in ${r.import.importMs} ms` : 'import reused'} (schema ${r.import.schema})`,
            `${r.mode} · ${r.lexicalEngine} BM25 · k1 ${r.k1} · b ${r.b} · analyzer ${r.textConfig}`,
            '',
            `nDCG@10     ${f(m.ndcg10)}`,
            `Recall@100  ${f(m.recall100)}`,
            `MRR@10      ${f(m.mrr10)}`,
            `MAP         ${f(m.map)}`,
            `P@10        ${f(m.p10)}`,
            ...(r.k === 10 ? [] : [`nDCG@${r.k} ${f(m.ndcgK)}   MRR@${r.k} ${f(m.mrrK)}   P@${r.k} ${f(m.pK)}`]),
            '',
            `query time p50 ${r.searchMs.p50} ms, p95 ${r.searchMs.p95} ms (per-query results with --json)`,
          ].join('\n'),
        );
        return exitCodes.ok;
      }),
    );
}
