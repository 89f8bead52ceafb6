/**
 * Renders the Helm chart in deploy/helm without helm: a small interpreter of the subset of Go templates the
 * chart keeps to (see the chart's _helpers.tpl). Anything outside it — another function, `range`, `with`,
 * variables — is an error, so a template that starts using it must extend this file and its tests with it.
 *
 * Supported: `{{ .Values.a.b }}`, `.Release.Name|Namespace|Service`, `.Chart.Name|Version|AppVersion`, string and
 * number literals, `( … )`, pipelines with `include "name" .`, `required "message" X`, `default X`, `quote`,
 * `toYaml`, `nindent N`, `indent N`, `trunc N`, `sha256sum`, `not X`; `if`/`else`/`end`, `define`/`end`,
 * comment actions and the `{{-` / `-}}` whitespace trimming. A value that does not exist is an error where
 * it is printed (Helm would print nothing), so a misspelt values path fails the tests.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'output'; expression: string }
  | { kind: 'if'; condition: string; whenTrue: Node[]; otherwise: Node[] };

interface Context {
  readonly Values: unknown;
  readonly Release: { Name: string; Namespace: string; Service: string };
  readonly Chart: { Name: string; Version: string; AppVersion: string };
}

interface Action {
  readonly body: string;
  readonly trimLeft: boolean;
  readonly trimRight: boolean;
}

type Token = { kind: 'text'; text: string } | { kind: 'action'; action: Action };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\{\{(-?)([\s\S]*?)(-?)\}\}/g;
  let last = 0;
  for (const match of source.matchAll(pattern)) {
    tokens.push({ kind: 'text', text: source.slice(last, match.index) });
    tokens.push({
      kind: 'action',
      action: { body: (match[2] ?? '').trim(), trimLeft: match[1] === '-', trimRight: match[3] === '-' },
    });
    last = (match.index ?? 0) + match[0].length;
  }
  tokens.push({ kind: 'text', text: source.slice(last) });
  // Whitespace trimming applies to the neighbouring text before anything else.
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    if (token.kind !== 'action') continue;
    const before = tokens[i - 1];
    const after = tokens[i + 1];
    if (token.action.trimLeft && before?.kind === 'text') before.text = before.text.replace(/\s+$/, '');
    if (token.action.trimRight && after?.kind === 'text') after.text = after.text.replace(/^\s+/, '');
  }
  return tokens;
}

/** Parses tokens into nodes; `defines` collects `define` blocks. */
function parse(tokens: Token[], defines: Map<string, Node[]>): Node[] {
  let position = 0;
  const block = (terminators: readonly string[]): { nodes: Node[]; end: string } => {
    const nodes: Node[] = [];
    while (position < tokens.length) {
      const token = tokens[position++] as Token;
      if (token.kind === 'text') {
        if (token.text) nodes.push({ kind: 'text', text: token.text });
        continue;
      }
      const body = token.action.body;
      if (body.startsWith('/*')) {
        if (!body.endsWith('*/')) throw new Error(`unterminated comment: ${body.slice(0, 40)}`);
        continue;
      }
      const keyword = /^(if|else|end|define|range|with|block|template)\b/.exec(body)?.[1];
      if ((keyword === 'end' || keyword === 'else') && body !== keyword) {
        throw new Error(`unsupported action {{ ${body} }} (extend test/deploy/helm-template.ts)`);
      }
      if (keyword === 'end' || keyword === 'else') {
        if (!terminators.includes(keyword)) throw new Error(`unexpected {{ ${body} }}`);
        return { nodes, end: keyword };
      }
      if (keyword === 'if') {
        const condition = body.slice(2).trim();
        const whenTrue = block(['else', 'end']);
        const otherwise = whenTrue.end === 'else' ? block(['end']).nodes : [];
        nodes.push({ kind: 'if', condition, whenTrue: whenTrue.nodes, otherwise });
        continue;
      }
      if (keyword === 'define') {
        const name = /^define\s+"([^"]+)"$/.exec(body)?.[1];
        if (!name) throw new Error(`bad define: ${body}`);
        defines.set(name, block(['end']).nodes);
        continue;
      }
      if (keyword) throw new Error(`unsupported action {{ ${body} }} (extend test/deploy/helm-template.ts)`);
      if (body.includes(':=') || body.startsWith('$')) throw new Error(`variables are not supported: {{ ${body} }}`);
      nodes.push({ kind: 'output', expression: body });
    }
    if (terminators.length > 0) throw new Error(`missing {{ end }} (expected one of ${terminators.join(', ')})`);
    return { nodes, end: '' };
  };
  return block([]).nodes;
}

/** Splits on `separator` outside quotes and parentheses. */
function splitTop(text: string, separator: RegExp): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      current += ch;
      if (ch === '\\') current += text[++i] ?? '';
      else if (ch === '"') quoted = false;
      continue;
    }
    if (ch === '"') quoted = true;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    if (depth === 0 && separator.test(ch)) {
      if (current.trim()) parts.push(current.trim());
      current = '';
      continue;
    }
    current += ch;
  }
  if (depth !== 0 || quoted) throw new Error(`unbalanced expression: ${text}`);
  if (current.trim()) parts.push(current.trim());
  return parts;
}

const missing = Symbol('missing');

function isEmpty(value: unknown): boolean {
  if (value === missing || value === undefined || value === null || value === false || value === 0 || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

function toYaml(value: unknown): string {
  if (value === missing) throw new Error('toYaml of a value that does not exist');
  // Helm's toYaml (sigs.k8s.io/yaml) sorts keys and drops the final newline.
  return stringifyYaml(value, { sortMapEntries: true, lineWidth: 0 }).replace(/\n$/, '');
}

class Renderer {
  readonly defines = new Map<string, Node[]>();

  render(nodes: readonly Node[], dot: unknown): string {
    let out = '';
    for (const node of nodes) {
      if (node.kind === 'text') out += node.text;
      else if (node.kind === 'if')
        out += this.render(isEmpty(this.pipeline(node.condition, dot)) ? node.otherwise : node.whenTrue, dot);
      else out += this.print(this.pipeline(node.expression, dot), node.expression);
    }
    return out;
  }

  private print(value: unknown, expression: string): string {
    if (value === missing || value === undefined) throw new Error(`{{ ${expression} }} has no value`);
    if (value === null) return 'null';
    if (typeof value === 'object') throw new Error(`{{ ${expression} }} is a map or list: pipe it through toYaml`);
    return String(value);
  }

  private pipeline(text: string, dot: unknown): unknown {
    const commands = splitTop(text, /\|/);
    let value: unknown = missing;
    commands.forEach((command, index) => {
      const words = splitTop(command, /\s/);
      const [head, ...rest] = words as [string, ...string[]];
      if (index === 0 && !(head in functions)) {
        if (rest.length > 0) throw new Error(`unsupported expression: ${command}`);
        value = this.term(head, dot);
        return;
      }
      const fn = functions[head];
      if (!fn) throw new Error(`unsupported function ${head} (extend test/deploy/helm-template.ts)`);
      const args = rest.map((word) => this.term(word, dot));
      value = fn.call(this, index === 0 ? args : [...args, value]);
    });
    return value;
  }

  term(word: string, dot: unknown): unknown {
    if (word.startsWith('(') && word.endsWith(')')) return this.pipeline(word.slice(1, -1), dot);
    if (word.startsWith('"')) return JSON.parse(word) as string;
    if (/^-?\d+(\.\d+)?$/.test(word)) return Number(word);
    if (word === 'true' || word === 'false') return word === 'true';
    if (word === '.') return dot;
    if (word.startsWith('.')) {
      let node: unknown = dot;
      for (const key of word.slice(1).split('.')) {
        if (node === null || typeof node !== 'object' || !(key in node)) return missing;
        node = (node as Record<string, unknown>)[key];
      }
      return node;
    }
    throw new Error(`unsupported term ${word}`);
  }

  include(name: string, dot: unknown): string {
    const body = this.defines.get(name);
    if (!body) throw new Error(`include of undefined template "${name}"`);
    return this.render(body, dot);
  }
}

const asNumber = (value: unknown): number => {
  if (typeof value !== 'number') throw new Error(`expected a number, got ${String(value)}`);
  return value;
};
const asText = (value: unknown): string => {
  if (value === missing || value === undefined) throw new Error('a function got a value that does not exist');
  return typeof value === 'object' && value !== null ? toYaml(value) : String(value);
};
const indentLines = (spaces: number, text: string) =>
  text
    .split('\n')
    .map((line) => (line ? ' '.repeat(spaces) + line : line))
    .join('\n');

const functions: Record<string, (this: Renderer, args: unknown[]) => unknown> = {
  include(args) {
    const [name, dot] = args;
    if (typeof name !== 'string') throw new Error('include needs a template name');
    return this.include(name, dot);
  },
  required([message, value]) {
    if (isEmpty(value)) throw new Error(`required: ${String(message)}`);
    return value;
  },
  default([fallback, value]) {
    return isEmpty(value) ? fallback : value;
  },
  not([value]) {
    return isEmpty(value);
  },
  quote([value]) {
    return JSON.stringify(asText(value));
  },
  toYaml([value]) {
    return toYaml(value);
  },
  nindent([spaces, value]) {
    return `\n${indentLines(asNumber(spaces), asText(value))}`;
  },
  indent([spaces, value]) {
    return indentLines(asNumber(spaces), asText(value));
  },
  trunc([length, value]) {
    return asText(value).slice(0, asNumber(length));
  },
  sha256sum([value]) {
    return createHash('sha256').update(asText(value)).digest('hex');
  },
};

function deepMerge(base: unknown, override: unknown): unknown {
  if (override === undefined) return base;
  if (
    base &&
    override &&
    typeof base === 'object' &&
    typeof override === 'object' &&
    !Array.isArray(base) &&
    !Array.isArray(override)
  ) {
    const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
    for (const [key, value] of Object.entries(override)) out[key] = deepMerge(out[key], value);
    return out;
  }
  return override;
}

export interface RenderedChart {
  /** Rendered text per template file (`api-deployment.yaml`, `NOTES.txt`, …). */
  readonly files: ReadonlyMap<string, string>;
  /** Every Kubernetes object of the YAML templates. */
  readonly objects: ReadonlyArray<Record<string, unknown> & { kind: string; metadata: { name: string } }>;
  readonly values: Record<string, unknown>;
}

/** Renders every template of the chart in `chartDir` with its values.yaml merged with `overrides`. */
export function renderChart(
  chartDir: string,
  options: { values?: Record<string, unknown>; releaseName?: string; namespace?: string } = {},
): RenderedChart {
  const chart = parseYaml(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as {
    name: string;
    version: string;
    appVersion: string;
  };
  const values = deepMerge(parseYaml(readFileSync(join(chartDir, 'values.yaml'), 'utf8')), options.values) as Record<
    string,
    unknown
  >;
  const context: Context = {
    Values: values,
    Release: { Name: options.releaseName ?? 'prod', Namespace: options.namespace ?? 'groundwork', Service: 'Helm' },
    Chart: { Name: chart.name, Version: chart.version, AppVersion: chart.appVersion },
  };
  const renderer = new Renderer();
  const dir = join(chartDir, 'templates');
  const names = readdirSync(dir).sort();
  const parsed = new Map<string, Node[]>();
  for (const name of names) parsed.set(name, parse(tokenize(readFileSync(join(dir, name), 'utf8')), renderer.defines));
  const files = new Map<string, string>();
  const objects: Array<Record<string, unknown> & { kind: string; metadata: { name: string } }> = [];
  for (const name of names) {
    if (name.startsWith('_')) continue;
    const text = renderer.render(parsed.get(name) ?? [], context);
    files.set(name, text);
    if (!name.endsWith('.yaml')) continue;
    for (const document of text.split(/^---$/m)) {
      const object = parseYaml(document) as (Record<string, unknown> & { kind: string; metadata: { name: string } }) | null;
      if (object) objects.push(object);
    }
  }
  return { files, objects, values };
}
