import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { GroundworkError, localOperator } from '../../core/index.ts';
import {
  addVocabularyEntry,
  exportTrainingPairs,
  listVocabulary,
  removeVocabularyEntry,
  suggestVocabulary,
  type VocabularyEntry,
  type VocabularySuggestions,
  type VocabularyVersion,
  vocabularyHistory,
} from '../../vocabulary/index.ts';
import type { CliRuntime } from '../context.ts';
import { exitCodes } from '../exit-codes.ts';
import { table } from '../output.ts';

const shown = (entry: VocabularyEntry) => (entry.kind === 'acronym' ? entry.term.toUpperCase() : entry.term);

function describeEntry(entry: VocabularyEntry | null, term: string): string {
  if (!entry) return `"${term}" removed from the vocabulary.`;
  return `${shown(entry)} = ${entry.expansions.join(' | ')}  (${entry.kind}, ${entry.useCase || 'every use case'}, version ${entry.version})`;
}

function positiveInt(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new GroundworkError('vocabulary.invalid_option', `${flag} must be a non-negative integer (got "${value}").`, {
      category: 'usage',
      fix: `e.g. ${flag} 3.`,
    });
  }
  return n;
}

/** `groundwork vocabulary list|add|remove|suggest|export-pairs` (local store or --server; docs/vocabulary.md). */
export function registerVocabularyCommands(program: Command, runtime: CliRuntime): void {
  const vocabulary = program
    .command('vocabulary')
    .description('domain vocabulary: synonyms and acronyms applied to queries, suggestions, training pairs (docs/vocabulary.md)');

  vocabulary
    .command('list')
    .description('the entries (of --use-case and the global ones), or with --history every version')
    .option('--use-case <name>', 'this use case and the global entries')
    .option('--history', 'every version, newest first')
    .action(
      runtime.action(async (context, options: { useCase?: string; history?: boolean }) => {
        const api = context.api();
        if (options.history) {
          const versions: VocabularyVersion[] = api
            ? (await api.get<{ versions: VocabularyVersion[] }>('/v1/vocabulary/history')).versions
            : await vocabularyHistory((await context.platform()).db, localOperator);
          context.output.result({ versions }, () =>
            table(
              ['VERSION', 'ACTION', 'TERM', 'USE CASE', 'AFTER', 'BY', 'AT'],
              versions.map((v) => [
                String(v.version),
                v.action,
                v.term,
                v.useCase || '*',
                v.after?.expansions.join(' | ') ?? '—',
                v.actor,
                v.at,
              ]),
            ),
          );
          return exitCodes.ok;
        }
        const listed: { version: number; entries: VocabularyEntry[] } = api
          ? await api.get('/v1/vocabulary', { query: options.useCase ? { useCase: options.useCase } : {} })
          : await listVocabulary(
              (await context.platform()).db,
              localOperator,
              options.useCase ? { useCase: options.useCase } : {},
            );
        context.output.result(listed, (v) =>
          v.entries.length === 0
            ? 'The vocabulary is empty (add one with `groundwork vocabulary add FNOL "first notice of loss"`).'
            : `${table(
                ['TERM', 'EQUIVALENTS', 'KIND', 'USE CASE', 'VERSION'],
                v.entries.map((e) => [shown(e), e.expansions.join(' | '), e.kind, e.useCase || '*', String(e.version)]),
              )}\nVersion ${v.version}.`,
        );
        return exitCodes.ok;
      }),
    );

  vocabulary
    .command('add <term> <equivalents...>')
    .description('add a term and its equivalents, e.g. FNOL "first notice of loss" (applies to the next query)')
    .option('--use-case <name>', 'only for this use case (default: every use case)')
    .option('--kind <kind>', 'synonym or acronym (default: acronym for an all-capitals term)')
    .action(
      runtime.action(async (context, term: string, expansions: string[], options: { useCase?: string; kind?: string }) => {
        const input = {
          term,
          expansions,
          ...(options.useCase ? { useCase: options.useCase } : {}),
          ...(options.kind ? { kind: options.kind } : {}),
        };
        const api = context.api();
        const entry: VocabularyEntry = api
          ? await api.post('/v1/vocabulary', input)
          : await addVocabularyEntry((await context.platform()).db, localOperator, input);
        context.output.result(entry, (e) => describeEntry(e, term));
        return exitCodes.ok;
      }),
    );

  vocabulary
    .command('remove <term> [equivalents...]')
    .description('remove equivalents from a term (the whole entry when none is named)')
    .option('--use-case <name>', 'the entry of this use case (default: the global one)')
    .action(
      runtime.action(async (context, term: string, expansions: string[], options: { useCase?: string }) => {
        const input = {
          term,
          ...(expansions.length > 0 ? { expansions } : {}),
          ...(options.useCase ? { useCase: options.useCase } : {}),
        };
        const api = context.api();
        const entry: VocabularyEntry | null = api
          ? (await api.post<{ entry: VocabularyEntry | null }>('/v1/vocabulary/remove', input)).entry
          : await removeVocabularyEntry((await context.platform()).db, localOperator, input);
        context.output.result({ entry }, () => describeEntry(entry, term));
        return exitCodes.ok;
      }),
    );

  vocabulary
    .command('suggest')
    .description('acronyms found in the documents (with counts and example documents) and questions that found nothing')
    .option('--use-case <name>', 'questions of this use case; leave out its known terms')
    .option('--min-count <n>', 'only acronym pairs found at least n times (default 1)')
    .option('--limit <n>', 'at most n suggestions of each kind (default 100)')
    .action(
      runtime.action(async (context, options: { useCase?: string; minCount?: string; limit?: string }) => {
        const minCount = positiveInt('--min-count', options.minCount);
        const limit = positiveInt('--limit', options.limit);
        const query = {
          ...(options.useCase ? { useCase: options.useCase } : {}),
          ...(minCount !== undefined ? { minCount } : {}),
          ...(limit !== undefined ? { limit } : {}),
        };
        const api = context.api();
        const result: VocabularySuggestions = api
          ? await api.get('/v1/vocabulary/suggestions', { query })
          : await suggestVocabulary((await context.platform()).db, localOperator, query);
        context.output.result(result, (r) => {
          const lines = [`Acronyms found in ${r.scannedChunks} chunk(s):`];
          if (r.acronyms.length === 0) lines.push('  none');
          for (const a of r.acronyms)
            lines.push(
              `  ${a.term} = ${a.expansion}  (${a.count}×; e.g. ${a.exampleDocumentIds.join(', ')})  → groundwork vocabulary add ${a.term} "${a.expansion}"`,
            );
          if (r.queries === null) lines.push('Questions that found nothing: not shown (needs traces:read:all).');
          else {
            lines.push('Questions that found nothing, clustered:');
            if (r.queries.length === 0) lines.push('  none');
            for (const q of r.queries) lines.push(`  ${q.terms.join(' ')}  (${q.count}×): ${q.examples.join(' / ')}`);
          }
          return lines.join('\n');
        });
        return exitCodes.ok;
      }),
    );

  vocabulary
    .command('export-pairs')
    .description(
      'training pairs {query, positive, hardNegatives} from eval datasets, graded reviews and positive feedback, for fine-tuning an embedding model',
    )
    .requiredOption('--format <format>', 'jsonl (one pair per line)')
    .option('--dataset <name>', 'only this evaluation dataset (name or name@version)')
    .option('--negatives <n>', 'hard negatives per pair: top BM25 hits that are not positives (default 3)')
    .option('--limit <n>', 'at most n pairs (default 10000)')
    .option('--no-reviews', 'leave graded reviews out')
    .option('--no-feedback', 'leave positive feedback out')
    .option('--out <file>', 'write to this file instead of stdout')
    .action(
      runtime.action(
        async (
          context,
          options: {
            format: string;
            dataset?: string;
            negatives?: string;
            limit?: string;
            reviews: boolean;
            feedback: boolean;
            out?: string;
          },
        ) => {
          if (options.format !== 'jsonl') {
            throw new GroundworkError('vocabulary.invalid_option', `--format ${options.format} is not supported (only jsonl).`, {
              category: 'usage',
              fix: 'Use --format jsonl.',
            });
          }
          const negatives = positiveInt('--negatives', options.negatives);
          const limit = positiveInt('--limit', options.limit);
          const body = {
            format: 'jsonl',
            ...(options.dataset ? { dataset: options.dataset } : {}),
            ...(negatives !== undefined ? { negatives } : {}),
            ...(limit ? { limit } : {}),
            reviews: options.reviews,
            feedback: options.feedback,
          };
          const api = context.api();
          let text: string;
          if (api) text = await api.postText('/v1/vocabulary/export-pairs', body);
          else {
            const platform = await context.platform();
            const lines: string[] = [];
            for await (const pair of exportTrainingPairs({ db: platform.db, retriever: platform.retriever }, localOperator, body))
              lines.push(`${JSON.stringify(pair)}\n`);
            text = lines.join('');
          }
          if (options.out) {
            writeFileSync(resolve(context.io.cwd, options.out), text);
            context.io.stderr.write(`${text.split('\n').filter(Boolean).length} pair(s) written to ${options.out}\n`);
          } else context.io.stdout.write(text);
          return exitCodes.ok;
        },
      ),
    );
}
