import { type Command, InvalidArgumentError, Option } from 'commander';
import { GroundworkError, type SensitivityLabel, sensitivityLabels } from '../../core/index.ts';
import { withMappedIdentities } from '../../govern/index.ts';
import type { SearchFilters, SearchHit, SearchRequest, SearchResult } from '../../retrieve/index.ts';
import type { CliRuntime } from '../context.ts';
import { exitCodes } from '../exit-codes.ts';
import { callerFromAs } from '../principals.ts';

interface SearchOptions {
  as?: string;
  k: number;
  mode?: 'lexical' | 'vector' | 'hybrid';
  level: 'chunk' | 'document';
  source?: string[];
  type?: string[];
  sensitivity?: SensitivityLabel[];
  after?: Date;
  before?: Date;
  engine?: 'auto' | 'portable' | 'pg_textsearch';
}

const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('must be an integer from 1 to 1000');
  return n;
};
const list = (value: string, previous: string[] = []) => [
  ...previous,
  ...value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
];
const date = (value: string) => {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new InvalidArgumentError('must be a date such as 2025-01-31');
  return d;
};

/** Human rendering of one hit: rank, score, title, location, snippet. */
function renderHit(hit: SearchHit): string {
  const pages =
    hit.pageStart === null
      ? ''
      : hit.pageEnd && hit.pageEnd !== hit.pageStart
        ? ` p.${hit.pageStart}-${hit.pageEnd}`
        : ` p.${hit.pageStart}`;
  const section = hit.sectionPath.length > 0 ? ` § ${hit.sectionPath.join(' › ')}` : '';
  const scores = [
    hit.scores.lexical === undefined ? '' : `bm25 ${hit.scores.lexical.toFixed(3)}`,
    hit.scores.vector === undefined ? '' : `cos ${hit.scores.vector.toFixed(3)}`,
    hit.scores.rerank === undefined ? '' : `rerank ${hit.scores.rerank.toFixed(3)}`,
  ]
    .filter(Boolean)
    .join(', ');
  return `${String(hit.rank).padStart(2)}. ${hit.title || hit.uri}${pages}${section}  [${scores || `score ${hit.scores.fused.toFixed(3)}`}]\n    ${hit.uri}\n    ${hit.snippet}`;
}

export function renderSearchResult(result: SearchResult): string {
  const header = `${result.hits.length} result(s) · ${result.mode}${result.mode === 'vector' ? '' : ` (${result.lexicalEngine} BM25)`} · ${result.tookMs} ms${
    result.expandedTerms ? ` · expanded with: ${result.expandedTerms.join(', ')}` : ''
  }`;
  return result.hits.length === 0
    ? `${header}\nNo visible chunk matches the query.`
    : `${header}\n\n${result.hits.map(renderHit).join('\n\n')}`;
}

export function registerSearchCommand(program: Command, runtime: CliRuntime): void {
  program
    .command('search')
    .description('search the indexed chunks (BM25 / vector / hybrid), permission-aware')
    .argument('<query...>', 'the words to search for')
    .option(
      '--as <principals>',
      'search as these principals (comma-separated user:…/group:…); default: local operator, sees everything',
    )
    .option('--k <n>', 'number of results (1-1000)', positiveInt, 10)
    .addOption(
      new Option('--mode <mode>', 'ranking mode (default: hybrid with embeddings, else lexical)').choices([
        'lexical',
        'vector',
        'hybrid',
      ]),
    )
    .addOption(
      new Option('--level <level>', 'chunk hits or one hit per document').choices(['chunk', 'document']).default('chunk'),
    )
    .option('--source <ids>', 'only these source ids (comma-separated, repeatable)', list)
    .option('--type <mediaTypes>', 'only these media types, e.g. application/pdf (comma-separated, repeatable)', list)
    .option(
      '--sensitivity <labels>',
      `only these labels (${sensitivityLabels.join(', ')})`,
      (value: string, previous: string[] = []) => {
        const labels = list(value, previous);
        for (const label of labels) {
          if (!(sensitivityLabels as readonly string[]).includes(label)) throw new InvalidArgumentError(`unknown label ${label}`);
        }
        return labels;
      },
    )
    .option('--after <date>', 'documents modified on or after this date', date)
    .option('--before <date>', 'documents modified on or before this date', date)
    .addOption(new Option('--engine <engine>', 'lexical engine override').choices(['auto', 'portable', 'pg_textsearch']))
    .action(
      runtime.action(async (context, words: string[], options: SearchOptions) => {
        const query = words.join(' ');
        const caller = callerFromAs(options.as);
        const filters: SearchFilters = {
          ...(options.source ? { sourceIds: options.source } : {}),
          ...(options.type ? { mediaTypes: options.type } : {}),
          ...(options.sensitivity ? { sensitivity: options.sensitivity } : {}),
          ...(options.after ? { modifiedAfter: options.after } : {}),
          ...(options.before ? { modifiedBefore: options.before } : {}),
        };
        const api = context.api();
        if (api) {
          if (options.as !== undefined || options.engine !== undefined) {
            throw new GroundworkError('cli.flag_with_server', '--as and --engine cannot be used with --server.', {
              category: 'usage',
              fix: 'The server knows the caller from the API key and picks the engine; drop the flag, or search the store directly.',
            });
          }
          const remote = await api.post<SearchResult>('/v1/search', {
            query,
            k: Math.min(options.k, 100),
            level: options.level,
            ...(options.mode ? { mode: options.mode } : {}),
            ...(Object.keys(filters).length > 0 ? { filters } : {}),
          });
          context.output.result({ query, ...remote }, () => renderSearchResult(remote));
          return exitCodes.ok;
        }
        const platform = await context.platform();
        const request: SearchRequest = {
          query,
          // Source identities in --as (legacy:ADJ, entra:<id>) map like a key's (docs/identity-mapping.md).
          caller: await withMappedIdentities(platform.db, caller),
          k: options.k,
          level: options.level,
          filters,
          ...(options.mode ? { mode: options.mode } : {}),
          ...(options.engine ? { lexicalEngine: options.engine } : {}),
        };
        const result = await platform.retriever.search(request);
        context.output.result({ query, caller: { id: caller.id, seesEverything: caller.seesEverything }, ...result }, () =>
          renderSearchResult(result),
        );
        return exitCodes.ok;
      }),
    );
}
