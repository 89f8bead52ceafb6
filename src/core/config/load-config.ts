import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { GroundworkError } from '../errors.ts';
import { configSchema, type GroundworkConfig } from './schema.ts';

/**
 * Loads the configuration once, at the edge, from flags > environment > file > defaults.
 *
 * This is the only module that reads `process.env` (passed in as `env`). Every problem is collected and
 * reported at once, each naming the key, the bad value (never for secrets), where it came from and the fix.
 */

export type Environment = Readonly<Record<string, string | undefined>>;

/** Resolves a secret by the environment-variable name the config references. Values are never logged. */
export type SecretResolver = (envVarName: string) => string | undefined;

export interface LoadedConfig {
  readonly config: GroundworkConfig;
  readonly secrets: SecretResolver;
  /** Where each explicitly set key came from (`flag --data-dir`, `env GROUNDWORK_DATA_DIR`, `file x.json`). */
  readonly origins: ReadonlyMap<string, string>;
  readonly configFile: string | undefined;
}

export interface LoadConfigOptions {
  /** Values from CLI flags, already shaped like the config (e.g. `{ dataDir, server: { port } }`). */
  readonly flags?: Record<string, unknown>;
  readonly env?: Environment;
  /** `--config FILE`; otherwise `groundwork.config.{json,yaml,yml}` in `cwd` when present. */
  readonly configFile?: string | undefined;
  readonly cwd?: string;
}

const defaultFileNames = ['groundwork.config.json', 'groundwork.config.yaml', 'groundwork.config.yml'];
/** Environment variables with these prefixes belong to tooling (tests, scripts), not to the config. */
const reservedEnvPrefixes = ['GROUNDWORK_TEST_', 'GROUNDWORK_NODE_'];
/** Convenience aliases for the most common settings. */
const envAliases: Record<string, string[]> = {
  DATABASE_URL: ['databaseUrl'],
  DATABASE_READ_URL: ['databaseReadUrl'],
  GROUNDWORK_LOG_LEVEL: ['log', 'level'],
  GROUNDWORK_HOST: ['server', 'host'],
  GROUNDWORK_PORT: ['server', 'port'],
  GROUNDWORK_API_KEY: ['client', 'apiKey'],
  GROUNDWORK_SERVER_URL: ['client', 'server'],
};

export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const problems: string[] = [];
  const origins = new Map<string, string>();
  const merged: Record<string, unknown> = {};

  const configFile = findConfigFile(options.configFile, cwd, problems);
  if (configFile) {
    const fromFile = readConfigFile(configFile, problems);
    if (fromFile) mergeInto(merged, fromFile, [], `file ${configFile}`, origins);
  }
  for (const [name, path, value] of environmentEntries(env, problems)) {
    setPath(merged, path, value);
    origins.set(path.join('.'), `env ${name}`);
  }
  if (options.flags) mergeInto(merged, stripUndefined(options.flags), [], 'flag', origins, true);

  const result = configSchema.safeParse(merged);
  if (!result.success) {
    for (const issue of result.error.issues) problems.push(describeIssue(issue, merged, origins));
  }
  if (problems.length > 0) {
    throw new GroundworkError(
      'config.invalid',
      `The configuration has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      {
        category: 'usage',
        fix: 'Correct each key listed above in the flag, environment variable or config file it came from; `groundwork --help` lists the flags and docs/configuration.md every key.',
        details: { problems },
      },
    );
  }
  const snapshot = { ...env };
  return {
    config: result.data as GroundworkConfig,
    secrets: (name) => snapshot[name],
    origins,
    configFile,
  };
}

function findConfigFile(explicit: string | undefined, cwd: string, problems: string[]): string | undefined {
  if (explicit) {
    const path = resolve(cwd, explicit);
    if (!existsSync(path)) {
      problems.push(`--config ${explicit}: the file does not exist. Fix: pass the path of an existing JSON or YAML config file.`);
      return undefined;
    }
    return path;
  }
  for (const name of defaultFileNames) {
    const path = resolve(cwd, name);
    if (existsSync(path)) return path;
  }
  return undefined;
}

function readConfigFile(path: string, problems: string[]): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    problems.push(`config file ${path}: cannot be read (${(error as Error).message}). Fix: check the path and its permissions.`);
    return undefined;
  }
  try {
    const value: unknown = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    if (value === null || value === undefined) return {};
    if (typeof value !== 'object' || Array.isArray(value)) {
      problems.push(
        `config file ${path}: the top level must be an object of settings. Fix: write "key: value" pairs (YAML) or a JSON object.`,
      );
      return undefined;
    }
    return value as Record<string, unknown>;
  } catch (error) {
    problems.push(
      `config file ${path}: is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'} (${(error as Error).message.split('\n')[0]}). Fix: correct the syntax at the position shown.`,
    );
    return undefined;
  }
}

function environmentEntries(env: Environment, problems: string[]): Array<[string, string[], unknown]> {
  const entries: Array<[string, string[], unknown]> = [];
  for (const [name, raw] of Object.entries(env)) {
    if (raw === undefined || raw === '') continue;
    let path = envAliases[name];
    if (!path) {
      if (!name.startsWith('GROUNDWORK_') || reservedEnvPrefixes.some((p) => name.startsWith(p))) continue;
      path = name
        .slice('GROUNDWORK_'.length)
        .split('__')
        .map((segment) => segment.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()));
    }
    const kind = leafKind(path);
    if (kind === 'unknown') {
      problems.push(
        `env ${name}: does not name a setting. Fix: remove it, or use GROUNDWORK_<SECTION>__<KEY> (e.g. GROUNDWORK_SERVER__PORT=8787); see docs/configuration.md.`,
      );
      continue;
    }
    entries.push([name, path, coerceEnvValue(raw, kind)]);
  }
  return entries;
}

type LeafKind = 'string' | 'number' | 'boolean' | 'json' | 'unknown';

/** Finds what type a config path expects, so environment strings can be coerced faithfully. */
function leafKind(path: string[]): LeafKind {
  let schema: z.ZodType | undefined = configSchema;
  for (const key of path) {
    schema = unwrap(schema);
    const shape = (schema as unknown as { shape?: Record<string, z.ZodType> }).shape;
    if (shape) {
      schema = shape[key];
      if (!schema) return 'unknown';
      continue;
    }
    const def = (schema as unknown as { _zod: { def: { type: string; valueType?: z.ZodType } } })._zod.def;
    if (def.type === 'record' && def.valueType) {
      schema = def.valueType;
      continue;
    }
    return 'unknown';
  }
  const type = (unwrap(schema) as unknown as { _zod: { def: { type: string } } })._zod.def.type;
  if (type === 'string' || type === 'enum') return 'string';
  if (type === 'number') return 'number';
  if (type === 'boolean') return 'boolean';
  return 'json';
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let current = schema;
  for (let i = 0; i < 10 && current; i++) {
    const def = (current as unknown as { _zod: { def: { type: string; innerType?: z.ZodType } } })._zod.def;
    if (def.innerType && ['default', 'optional', 'prefault', 'nullable', 'readonly'].includes(def.type)) {
      current = def.innerType;
    } else break;
  }
  return current;
}

function coerceEnvValue(raw: string, kind: LeafKind): unknown {
  if (kind === 'string') return raw;
  if (kind === 'number') return /^-?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : raw;
  if (kind === 'boolean') {
    if (/^(true|1|yes|on)$/i.test(raw)) return true;
    if (/^(false|0|no|off)$/i.test(raw)) return false;
    return raw;
  }
  try {
    return JSON.parse(raw);
  } catch {
    return raw.includes(',') ? raw.split(',').map((s) => s.trim()) : raw;
  }
}

function mergeInto(
  target: Record<string, unknown>,
  source: Record<string, unknown>,
  path: string[],
  origin: string,
  origins: Map<string, string>,
  flagNames = false,
): void {
  for (const [key, value] of Object.entries(source)) {
    const here = [...path, key];
    const existing = target[key];
    if (isPlainObject(value) && isPlainObject(existing)) {
      mergeInto(existing, value, here, origin, origins, flagNames);
    } else {
      target[key] = isPlainObject(value) ? structuredClone(value) : value;
      const label = flagNames ? `flag --${here.map(kebab).join('-')}` : origin;
      recordOrigins(origins, here, value, label);
    }
  }
}

function recordOrigins(origins: Map<string, string>, path: string[], value: unknown, label: string): void {
  origins.set(path.join('.'), label);
  if (isPlainObject(value)) {
    for (const [key, inner] of Object.entries(value)) recordOrigins(origins, [...path, key], inner, label);
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (!isPlainObject(node[key])) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

function getPath(source: unknown, path: PropertyKey[]): unknown {
  let node = source;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown, origins: Map<string, string>): string {
  const key = issue.path.map(String).join('.') || '(top level)';
  const origin = origins.get(key);
  const from = origin ? ` (from ${origin})` : '';
  if (issue.code === 'unrecognized_keys') {
    return issue.keys
      .map((unknownKey) => {
        const full = key === '(top level)' ? unknownKey : `${key}.${unknownKey}`;
        const where = origins.get(full);
        return `${full}: is not a known setting${where ? ` (from ${where})` : ''}. Fix: remove it or check its spelling against docs/configuration.md.`;
      })
      .join('\n  - ');
  }
  const value = getPath(input, issue.path);
  // A value under a secret-ish key, or under an `…Env` reference (someone may have pasted the secret itself).
  const secretLike = /(key|secret|token|password|env)$/i.test(key) || /database(Read)?Url$/.test(key);
  const shown = value === undefined ? 'missing' : secretLike ? '(hidden)' : JSON.stringify(value);
  return `${key} = ${shown}${from}: ${issue.message}. Fix: ${fixFor(issue, key)}`;
}

function fixFor(issue: z.core.$ZodIssue, key: string): string {
  switch (issue.code) {
    case 'invalid_type':
      return `set ${key} to a ${issue.expected}.`;
    case 'too_big':
      return `use a value of at most ${String(issue.maximum)}.`;
    case 'too_small':
      return `use a value of at least ${String(issue.minimum)}.`;
    case 'invalid_value':
      return `use one of: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}.`;
    case 'invalid_format':
      return `give ${key} a valid ${issue.format}.`;
    default:
      return `correct ${key} as described.`;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function stripUndefined(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (inner === undefined) continue;
    out[key] = isPlainObject(inner) ? stripUndefined(inner) : inner;
  }
  return out;
}

function kebab(value: string): string {
  return value.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
