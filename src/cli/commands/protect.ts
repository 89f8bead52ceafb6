import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { GroundworkError } from '../../core/index.ts';
import { type IdentityMapping, loadIdentityMappings } from '../../govern/index.ts';
import {
  type AccessCheck,
  compilePiiPatterns,
  countPii,
  type DetectPiiOptions,
  type DocumentAccess,
  deriveSensitivity,
  describeIdentityChain,
  detectPii,
  explainAccess,
  type IdentityMappingLookup,
  identityMappingLookup,
  mapIdentitiesWith,
  normalisePrincipals,
  parseAclMap,
  resolveDocumentAccess,
  tryParseSourceIdentity,
} from '../../protect/index.ts';
import type { CliRuntime, CommandContext } from '../context.ts';
import { exitCodes } from '../exit-codes.ts';

/**
 * `groundwork acl check` and `groundwork pii scan`: check an ACL map and see what PII a file holds before a
 * sync, without a store. Both are pure reads of local files.
 */

const sidecarSuffix = '.meta.json';
const maxListedFiles = 100_000;

interface CheckedPath {
  path: string;
  principals: string[];
  determined: boolean;
  decidedBy: string;
  warnings: string[];
  caller?: AccessCheck;
}

export function registerProtectCommands(program: Command, runtime: CliRuntime): void {
  const acl = program.command('acl').description('check ACL maps (who may read which documents)');
  acl
    .command('check <map-file>')
    .description('validate an ACL map; show who may read given paths, or every file under --root, and why')
    .option('--path <path...>', 'document paths relative to the source root')
    .option('--root <dir>', 'resolve every file under this folder (reads <file>.meta.json sidecars)')
    .option('--as <principals>', 'comma-separated principals to explain access for, e.g. user:bob@corp.com,group:claims')
    .option('--strict', 'exit 1 on warnings and on documents nobody but admins can read because nothing decided it')
    .option(
      '--identity-mappings',
      "apply the platform's identity mappings (from the store, or --server); implied when --as names a source identity",
    )
    .action(
      runtime.action(
        async (
          context,
          mapFile: string,
          options: { path?: string[]; root?: string; as?: string; strict?: boolean; identityMappings?: boolean },
        ) => {
          const file = resolve(context.io.cwd, mapFile);
          if (!existsSync(file)) {
            throw new GroundworkError('protect.acl_map_missing', `The ACL map ${mapFile} does not exist.`, {
              category: 'usage',
              fix: 'Pass the path of a JSON or YAML ACL map; docs/permissions.md has an example.',
            });
          }
          const { aclMap, warnings } = parseAclMap(readFileSync(file, 'utf8'), mapFile);
          const asked = options.as === undefined ? undefined : splitList(options.as);
          const useMappings = options.identityMappings === true || (asked ?? []).some((p) => tryParseSourceIdentity(p));
          const identityMappings = useMappings ? await loadMappings(context) : undefined;
          const mappedCaller = asked && identityMappings ? mapIdentitiesWith(identityMappings, asked) : undefined;
          const callerPrincipals = asked === undefined ? undefined : (mappedCaller?.principals ?? normalisePrincipals(asked));
          const chain = mappedCaller
            ? describeIdentityChain(asked?.find((p) => p.startsWith('user:')) ?? (asked ?? []).join(', '), mappedCaller.chain)
            : '';
          const targets: { path: string; sidecarPrincipals?: string[] }[] = (options.path ?? []).map((path) => ({ path }));
          if (options.root) targets.push(...listFiles(resolve(context.io.cwd, options.root)));

          const documents: CheckedPath[] = targets.map(({ path, sidecarPrincipals }) => {
            const access: DocumentAccess = resolveDocumentAccess({ aclMap, path, sidecarPrincipals, identityMappings });
            const check = callerPrincipals ? explainAccess(access.explanation, callerPrincipals) : undefined;
            return {
              path: access.explanation.path,
              principals: access.principals,
              determined: access.determined,
              decidedBy: access.explanation.decidedBy,
              warnings: access.warnings,
              // The whole chain: the caller's source identities → principals, then the grant that lets them read.
              ...(check ? { caller: chain ? { ...check, reason: `${chain}. ${check.reason}` } : check } : {}),
            };
          });
          const undetermined = documents.filter((document) => !document.determined).map((document) => document.path);
          const documentWarnings = documents.flatMap((document) => document.warnings);
          const result = {
            file: mapFile,
            valid: true,
            rules: aclMap.rules.length,
            aliases: Object.keys(aclMap.aliases).length,
            hasDefault: aclMap.default !== undefined,
            ...(identityMappings ? { identityMappingsVersion: identityMappings.version } : {}),
            ...(mappedCaller ? { identityChain: mappedCaller.chain } : {}),
            warnings: [...warnings, ...documentWarnings],
            undetermined,
            documents,
          };
          context.output.result(result, (value) => {
            const lines = [
              `${value.file}: valid (${value.rules} rule${value.rules === 1 ? '' : 's'}, ${value.aliases} alias${value.aliases === 1 ? '' : 'es'}, ${value.hasDefault ? 'a default' : 'no default: unmatched documents are operator-only'})`,
            ];
            for (const document of value.documents) {
              const readers = document.principals.length > 0 ? document.principals.join(', ') : 'operator-only';
              lines.push(
                `${document.path}: ${readers} (${document.determined ? document.decidedBy : 'undetermined, deny by default'})`,
              );
              if (document.caller) lines.push(`  ${document.caller.reason}`);
            }
            if (value.undetermined.length > 0)
              lines.push(`${value.undetermined.length} document(s) undetermined: add a rule or a default.`);
            return lines.join('\n');
          });
          for (const warning of result.warnings) context.output.warn(warning);
          return options.strict && (result.warnings.length > 0 || undetermined.length > 0) ? exitCodes.failure : exitCodes.ok;
        },
      ),
    );

  const pii = program.command('pii').description('detect personal data in files');
  pii
    .command('scan <file>')
    .description('list the PII in a text file (types and positions, never values) and the sensitivity label it implies')
    .option('--path <path>', 'the path relative to the source root, for sensitivity rules (default: the file argument)')
    .option('--jsonl', 'batch mode: FILE holds one {"id", "text"} per line; writes one {"id", "spans"} per line')
    .option('--min-score <score>', 'report only spans scored at least this, 0..1 (default 0.5)')
    .option('--dates', 'also report other dates and times as "date" (for evaluations; not PII by default)')
    .action(
      runtime.action(
        async (
          context,
          fileArgument: string,
          options: { path?: string; jsonl?: boolean; minScore?: string; dates?: boolean },
        ) => {
          const file = resolve(context.io.cwd, fileArgument);
          if (!existsSync(file) || !statSync(file).isFile()) {
            throw new GroundworkError('protect.file_missing', `${fileArgument} is not a readable file.`, {
              category: 'usage',
              fix: options.jsonl
                ? 'Pass the path of a JSONL file with one {"id": …, "text": …} object per line.'
                : 'Pass the path of a text file (parse other formats with a sync first).',
            });
          }
          const minScore = parseMinScore(options.minScore);
          const { config } = context.config();
          const customPatterns = compilePiiPatterns(config.ingest.piiPatterns);
          const detectOptions = { customPatterns, minScore, dates: options.dates === true };
          if (options.jsonl) return scanJsonl(context.io.stdout, context.output.json, file, fileArgument, detectOptions);
          const text = readFileSync(file, 'utf8');
          const spans = detectPii(text, detectOptions);
          const counts = countPii(spans);
          const sensitivity = deriveSensitivity({
            piiCounts: counts,
            path: options.path ?? fileArgument,
            rules: config.protect.sensitivityRules,
            defaultLabel: config.protect.defaultSensitivity,
            piiSensitivity: config.protect.piiSensitivity,
          });
          const lineStarts = [0];
          for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
          const located = spans.map((span) => {
            let low = 0;
            let high = lineStarts.length - 1;
            while (low < high) {
              const mid = (low + high + 1) >> 1;
              if ((lineStarts[mid] as number) <= span.start) low = mid;
              else high = mid - 1;
            }
            return { ...span, line: low + 1, column: span.start - (lineStarts[low] as number) + 1 };
          });
          context.output.result({ file: fileArgument, counts, spans: located, sensitivity }, (value) =>
            [
              `${value.file}: ${
                value.spans.length === 0
                  ? 'no PII found'
                  : Object.entries(value.counts)
                      .map(([type, count]) => `${count} ${type}`)
                      .join(', ')
              }`,
              ...value.spans.map((span) => `  ${span.line}:${span.column} ${span.type} (${span.end - span.start} characters)`),
              `sensitivity: ${value.sensitivity.label}`,
              ...value.sensitivity.reasons.map((reason) => `  ${reason.effective ? '*' : '-'} ${reason.detail}`),
            ].join('\n'),
          );
          return exitCodes.ok;
        },
      ),
    );
}

function parseMinScore(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const score = Number(value);
  if (!Number.isFinite(score) || score < 0 || score > 1) {
    throw new GroundworkError('protect.invalid_min_score', `--min-score ${JSON.stringify(value)} is not a number from 0 to 1.`, {
      category: 'usage',
      fix: 'Pass a score such as --min-score 0.5 (higher: fewer, surer spans).',
    });
  }
  return score;
}

/**
 * `pii scan FILE.jsonl --jsonl`: one `{id, text}` per input line → one `{id, spans: [{type, start, end,
 * score}]}` per output line, in input order, streamed (files of any size). Offsets count Unicode code points
 * ("characters" as Python and most labelled sets count them), not JavaScript's UTF-16 units. Blank lines are
 * skipped; a line that is not such an object stops the scan with its line number, never its content.
 */
async function scanJsonl(
  stdout: NodeJS.WritableStream,
  json: boolean,
  file: string,
  fileArgument: string,
  detectOptions: DetectPiiOptions,
): Promise<number> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
  let lineNumber = 0;
  let texts = 0;
  let spansTotal = 0;
  for await (const line of lines) {
    lineNumber++;
    if (line.trim().length === 0) continue;
    const item = parseJsonlItem(line, lineNumber, fileArgument);
    const spans = toCodePointSpans(item.text, detectPii(item.text, detectOptions));
    texts++;
    spansTotal += spans.length;
    const out = json
      ? `${JSON.stringify({ id: item.id, spans })}\n`
      : `${String(item.id)}: ${spans.length === 0 ? 'no PII found' : summarise(spans)}\n`;
    if (!stdout.write(out)) await new Promise((done) => stdout.once('drain', done));
  }
  if (!json) stdout.write(`${texts} text${texts === 1 ? '' : 's'}, ${spansTotal} span${spansTotal === 1 ? '' : 's'}\n`);
  return exitCodes.ok;
}

function parseJsonlItem(line: string, lineNumber: number, fileArgument: string): { id: string | number; text: string } {
  const fail = (problem: string) =>
    new GroundworkError('protect.invalid_jsonl', `${fileArgument}:${lineNumber}: ${problem}.`, {
      category: 'usage',
      fix: 'Write one JSON object per line with an "id" (string or number) and a "text" (string): {"id": "a1", "text": "…"}.',
      details: { line: lineNumber },
    });
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw fail('is not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw fail('is not a JSON object');
  const { id, text } = value as { id?: unknown; text?: unknown };
  if (typeof id !== 'string' && typeof id !== 'number') throw fail('has no "id" (a string or a number)');
  if (typeof text !== 'string') throw fail('has no "text" string');
  return { id, text };
}

/** Converts UTF-16 offsets to code point offsets (they differ only after characters outside the BMP). */
function toCodePointSpans(
  text: string,
  spans: readonly { type: string; start: number; end: number; score: number }[],
): { type: string; start: number; end: number; score: number }[] {
  if (!/[\uD800-\uDBFF]/.test(text)) return spans.map(({ type, start, end, score }) => ({ type, start, end, score }));
  const codePointAt = new Uint32Array(text.length + 1);
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    codePointAt[i] = count;
    const code = text.charCodeAt(i);
    // The low half of a surrogate pair belongs to the same code point as the high half.
    if (!(code >= 0xdc00 && code <= 0xdfff && i > 0 && text.charCodeAt(i - 1) >= 0xd800 && text.charCodeAt(i - 1) <= 0xdbff))
      count++;
    else codePointAt[i] = count - 1;
  }
  codePointAt[text.length] = count;
  return spans.map(({ type, start, end, score }) => ({
    type,
    start: codePointAt[start] as number,
    end: codePointAt[end] as number,
    score,
  }));
}

function summarise(spans: readonly { type: string; start: number; end: number }[]): string {
  return Object.entries(countPii(spans))
    .map(([type, count]) => `${count} ${type}`)
    .join(', ');
}

/** The platform's identity mappings: over the API with --server, else from the local store. */
async function loadMappings(context: CommandContext): Promise<IdentityMappingLookup> {
  const api = context.api();
  if (api) {
    const listed = await api.get<{ version: number; mappings: IdentityMapping[] }>('/v1/identity-mappings');
    return identityMappingLookup(
      listed.mappings.map((m) => ({ identity: m.identity, principals: m.principals, version: m.version })),
      listed.version,
    );
  }
  return loadIdentityMappings((await context.platform()).db);
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/** Files under `root` (relative paths), with the principals of their sidecars when they have any. */
function listFiles(root: string): { path: string; sidecarPrincipals?: string[] }[] {
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new GroundworkError('protect.root_missing', `--root ${root} is not a folder.`, {
      category: 'usage',
      fix: 'Pass the folder the source reads (the root the ACL map paths are relative to).',
    });
  }
  const out: { path: string; sidecarPrincipals?: string[] }[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (out.length >= maxListedFiles) return;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && !entry.name.endsWith(sidecarSuffix)) {
        const sidecar = readSidecarPrincipals(`${full}${sidecarSuffix}`);
        out.push({ path: relative(root, full), ...(sidecar ? { sidecarPrincipals: sidecar } : {}) });
      }
    }
  };
  walk(root);
  return out;
}

function readSidecarPrincipals(path: string): string[] | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as { principals?: unknown };
    if (value.principals === undefined) return undefined;
    return Array.isArray(value.principals) ? value.principals.filter((item): item is string => typeof item === 'string') : [];
  } catch {
    // An unreadable sidecar is the sync's problem to report; here it simply does not decide access.
    return undefined;
  }
}
