/**
 * Finds every error code thrown in src/: each `new GroundworkError(<code>, …, {category})` and each call of a
 * helper that builds one from a literal code (`usageError('retrieve.invalid_k', …)`). Used by the registry test
 * (every thrown code is registered, with the thrown category) — a small tokenizer, not a TypeScript parser,
 * because the only thing it needs is the first argument and the `category` of the options object.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface ThrownCode {
  readonly code: string;
  /** The literal category of the options object; undefined when absent (the default, `internal`) or computed. */
  readonly category: string | undefined;
  /** True when the options object has a `category` that is not a string literal (e.g. a conditional). */
  readonly computedCategory: boolean;
  /** The literal `isRetryable` of the options object (false when absent); undefined when computed. */
  readonly retryable: boolean | undefined;
  readonly file: string;
  readonly line: number;
}

export interface DynamicSite {
  readonly file: string;
  readonly line: number;
  readonly argument: string;
}

/** Template-literal codes and what their placeholders stand for (`${kind}s.invalid_name` for prompts and models). */
const templateExpansions: Readonly<Record<string, readonly string[]>> = {
  kind: ['prompt', 'model'],
  'request.kind': ['prompt', 'model'],
};

/** Helpers that turn a literal first argument into a GroundworkError. */
const codeHelpers = ['usageError'];

function walk(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      if (entry !== 'fixtures') walk(path, out);
    } else if (/\.tsx?$/.test(entry) && !/\.(test|contract)\.tsx?$/.test(entry)) out.push(path);
  }
  return out;
}

/** Index just after the string/template starting at `start` (which holds the quote). */
function skipString(text: string, start: number): number {
  const quote = text[start];
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '\\') i += 2;
    else if (ch === quote) return i + 1;
    else if (quote === '`' && ch === '$' && text[i + 1] === '{') i = skipBalanced(text, i + 1);
    else i += 1;
  }
  return i;
}

/** Index just after the bracket group starting at `start` ((, [ or {). */
function skipBalanced(text: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === "'" || ch === '"' || ch === '`') {
      i = skipString(text, i);
      continue;
    }
    if (ch === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i += 1;
      continue;
    }
    if (ch === '/' && text[i + 1] === '*') {
      i = text.indexOf('*/', i + 2) + 2;
      continue;
    }
    if ('([{'.includes(ch)) depth += 1;
    else if (')]}'.includes(ch)) {
      depth -= 1;
      if (depth === 0) return i + 1;
    }
    i += 1;
  }
  return i;
}

/** The top-level, comma-separated arguments of the call whose `(` is at `open`. */
function callArguments(text: string, open: number): string[] {
  const end = skipBalanced(text, open) - 1;
  const args: string[] = [];
  let i = open + 1;
  let startArg = i;
  while (i < end) {
    const ch = text[i] as string;
    if (ch === "'" || ch === '"' || ch === '`') i = skipString(text, i);
    else if ('([{'.includes(ch)) i = skipBalanced(text, i);
    else if (ch === ',') {
      args.push(text.slice(startArg, i).trim());
      i += 1;
      startArg = i;
    } else i += 1;
  }
  const last = text.slice(startArg, end).trim();
  if (last) args.push(last);
  return args;
}

/** The codes a literal argument stands for; undefined when it is not a literal. */
function literalCodes(argument: string): string[] | undefined {
  const plain = /^(['"`])([a-z0-9_.]+)\1$/.exec(argument);
  if (plain) return [plain[2] as string];
  const template = /^`((?:[a-z0-9_.]|\$\{[a-zA-Z.]+\})+)`$/.exec(argument);
  if (!template) return undefined;
  let codes = [template[1] as string];
  for (const match of (template[1] as string).matchAll(/\$\{([a-zA-Z.]+)\}/g)) {
    const values = templateExpansions[match[1] as string];
    if (!values) return undefined;
    codes = codes.flatMap((code) => values.map((value) => code.replace(match[0], value)));
  }
  return codes;
}

interface OptionFacts {
  readonly category: string | undefined;
  readonly computed: boolean;
  readonly retryable: boolean | undefined;
}

function optionFacts(options: string | undefined): OptionFacts {
  if (options === undefined) return { category: undefined, computed: false, retryable: false };
  if (!options.startsWith('{')) return { category: undefined, computed: true, retryable: undefined };
  const inner = options.slice(1, -1);
  // Only top-level properties: drop nested groups and strings' contents are kept (category is a string).
  let flat = '';
  let i = 0;
  while (i < inner.length) {
    const ch = inner[i] as string;
    if ('([{'.includes(ch)) {
      i = skipBalanced(inner, i);
      flat += ' ';
    } else if (ch === "'" || ch === '"' || ch === '`') {
      const end = skipString(inner, i);
      flat += inner.slice(i, end);
      i = end;
    } else {
      flat += ch;
      i += 1;
    }
  }
  const spread = /\.\.\./.test(flat);
  const retryableLiteral = /(?:^|[\s,])isRetryable:\s*(true|false)\s*(?:,|$)/.exec(flat);
  const retryable = retryableLiteral
    ? retryableLiteral[1] === 'true'
    : /(?:^|[\s,])isRetryable[\s:,]/.test(flat) || spread
      ? undefined
      : false;
  const literal = /(?:^|[\s,])category:\s*'([a-z_]+)'\s*(?:,|$)/.exec(flat);
  if (literal) return { category: literal[1], computed: false, retryable };
  if (/(?:^|[\s,])category[\s:,]/.test(flat) || spread) return { category: undefined, computed: true, retryable };
  return { category: undefined, computed: false, retryable };
}

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i += 1) if (text[i] === '\n') line += 1;
  return line;
}

export function scanErrorCodes(root: string): { thrown: ThrownCode[]; dynamic: DynamicSite[] } {
  const thrown: ThrownCode[] = [];
  const dynamic: DynamicSite[] = [];
  const pattern = new RegExp(`(?:new GroundworkError|\\b(?:${codeHelpers.join('|')}))\\s*\\(`, 'g');
  for (const path of walk(join(root, 'src'))) {
    const text = readFileSync(path, 'utf8');
    const file = relative(root, path);
    for (const match of text.matchAll(pattern)) {
      const open = (match.index ?? 0) + match[0].length - 1;
      if (/function\s+$/.test(text.slice(Math.max(0, (match.index ?? 0) - 10), match.index))) continue;
      const args = callArguments(text, open);
      const line = lineOf(text, match.index ?? 0);
      const codes = literalCodes(args[0] ?? '');
      if (!codes) {
        dynamic.push({ file, line, argument: args[0] ?? '' });
        continue;
      }
      const helper = !match[0].startsWith('new');
      const facts = helper ? { category: 'usage', computed: false, retryable: false } : optionFacts(args[2]);
      for (const code of codes) {
        thrown.push({ code, category: facts.category, computedCategory: facts.computed, retryable: facts.retryable, file, line });
      }
    }
  }
  return { thrown, dynamic };
}
