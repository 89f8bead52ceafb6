import picomatch from 'picomatch';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { GroundworkError } from '../../core/index.ts';
import { globContains } from './glob-contains.ts';
import { describeInvalidPrincipal, tryParsePrincipal } from './principal.ts';
import { tryParseSourceIdentity } from './source-identity.ts';

/**
 * ACL map: who may read which documents of one source (`--acl-map FILE`, JSON or YAML).
 *
 * ```yaml
 * default: [group:staff]              # when no rule matches; omit it and unmatched documents are operator-only
 * ignoreCase: false                   # match globs case-insensitively (Windows file shares)
 * rules:                              # evaluated in order; the LAST matching rule wins (a rule a later one
 *                                     # always overrides is an error: put specific rules last) …
 *   - match: "underwriting/**"
 *     principals: ["CORP\\Underwriters", group:underwriting-leads]
 *   - match: "underwriting/reinsurance/**"
 *     principals: [group:reinsurance]
 *     inherit: true                   # … unless it says `inherit: true`: then it adds to the earlier matches
 *   - match: "claims/**"
 *     principals: [LEGACY_ROLE_ADJ]
 * aliases:                            # source-specific identities → unified principals (one step, no chains)
 *   "CORP\\Underwriters": group:underwriting
 *   LEGACY_ROLE_ADJ: [group:claims, group:claims-adjusters]
 * ```
 *
 * The parsed map is plain data (it is stored as JSON on the source) and is validated again when read back.
 */

export interface AclRule {
  /** Path globs (picomatch, relative to the source root, `/` separators); any one matching is a match. */
  readonly match: readonly string[];
  /** Raw identities as written: unified principals or alias keys. Empty = explicitly operator-only. */
  readonly principals: readonly string[];
  /** Add to the principals of earlier matching rules instead of replacing them. */
  readonly inherit: boolean;
  readonly description?: string;
}

export interface AclMap {
  /** Raw identities granted when no rule matches; absent = such documents are undetermined (operator-only). */
  readonly default?: readonly string[];
  readonly rules: readonly AclRule[];
  /** Alias key as written → unified principals (normalised). Keys match raw identities case-insensitively. */
  readonly aliases: Readonly<Record<string, readonly string[]>>;
  readonly ignoreCase: boolean;
}

export interface ParsedAclMap {
  readonly aclMap: AclMap;
  /** Problems that do not stop the map from working, e.g. an identity that is neither a principal nor an alias. */
  readonly warnings: readonly string[];
}

const identity = z.string().trim().min(1, 'must not be empty');

export const aclMapSchema = z.strictObject({
  default: z.array(identity).optional(),
  ignoreCase: z.boolean().default(false),
  rules: z
    .array(
      z.strictObject({
        match: z.union([identity, z.array(identity).min(1, 'must list at least one glob')]),
        principals: z.array(identity),
        inherit: z.boolean().default(false),
        description: z.string().optional(),
      }),
    )
    .default([]),
  aliases: z.record(identity, z.union([identity, z.array(identity).min(1, 'must list at least one principal')])).default({}),
});

/** Input shape of an ACL map as written in a file. */
export type AclMapInput = z.input<typeof aclMapSchema>;

/**
 * Parses an ACL map file's text (JSON when `fileName` ends in `.json`, YAML otherwise).
 * @throws GroundworkError `protect.invalid_acl_map` (usage) listing every problem at once, each with its path and fix.
 */
export function parseAclMap(text: string, fileName: string): ParsedAclMap {
  let value: unknown;
  const isJson = fileName.toLowerCase().endsWith('.json');
  try {
    value = isJson ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw invalidAclMap(fileName, [
      `is not valid ${isJson ? 'JSON' : 'YAML'} (${(error as Error).message.split('\n')[0]}). Fix: correct the syntax at the position shown.`,
    ]);
  }
  return validateAclMap(value ?? {}, fileName);
}

/**
 * Validates an ACL map value (from a parsed file, or read back from the store).
 * `allowShadowed` is for maps read back from the store (stored before shadowing was an error): they must stay
 * listable; a sync checks the map again with `shadowedRuleProblems` and refuses it.
 * @throws GroundworkError `protect.invalid_acl_map` listing every problem.
 */
export function validateAclMap(value: unknown, origin: string, options: { allowShadowed?: boolean } = {}): ParsedAclMap {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidAclMap(origin, [
      '(top level): must be an object with `rules`, `aliases` and optionally `default`. Fix: see docs/permissions.md for a full example.',
    ]);
  }
  // Schema problems and semantic problems (principals, globs) are collected together, so one run of
  // `acl check` lists everything: the semantic checks read the raw input defensively.
  const result = aclMapSchema.safeParse(value);
  const problems: string[] = result.success ? [] : result.error.issues.map(describeIssue);
  const warnings: string[] = [];
  const raw = value as Record<string, unknown>;

  const aliases: Record<string, string[]> = {};
  const seenAliasKeys = new Map<string, string>();
  const rawAliases = isPlainObject(raw.aliases) ? raw.aliases : {};
  for (const [key, target] of Object.entries(rawAliases)) {
    const folded = key.trim().toLowerCase();
    const earlier = seenAliasKeys.get(folded);
    if (earlier !== undefined) {
      problems.push(
        `aliases.${key}: duplicates alias "${earlier}" (alias keys are compared case-insensitively). Fix: keep one of them and merge their principals.`,
      );
      continue;
    }
    seenAliasKeys.set(folded, key);
    const targets = (Array.isArray(target) ? target : [target]).filter((item): item is string => typeof item === 'string');
    const normalised: string[] = [];
    targets.forEach((rawTarget, index) => {
      const principal = tryParsePrincipal(rawTarget);
      if (principal) normalised.push(principal.id);
      else
        problems.push(
          `aliases.${key}${Array.isArray(target) ? `[${index}]` : ''}: ${describeInvalidPrincipal(rawTarget)}. Fix: an alias must map to unified principals such as group:claims or user:alice@example.com (aliases do not chain).`,
        );
    });
    aliases[key] = [...new Set(normalised)].sort();
  }

  const rawRules = Array.isArray(raw.rules) ? raw.rules : [];
  rawRules.forEach((rule: unknown, index) => {
    if (!isPlainObject(rule)) return;
    const match = rule.match;
    const globs = (Array.isArray(match) ? match : [match]).filter((glob): glob is string => typeof glob === 'string');
    globs.forEach((glob, globIndex) => {
      const problem = globProblem(glob);
      if (problem)
        problems.push(
          `rules[${index}].match${Array.isArray(match) ? `[${globIndex}]` : ''} = ${JSON.stringify(glob)}: ${problem}`,
        );
    });
  });

  if (!result.success || problems.length > 0) throw invalidAclMap(origin, problems);
  const data = result.data;
  const rules: AclRule[] = data.rules.map((rule) => {
    const match = Array.isArray(rule.match) ? rule.match : [rule.match];
    return {
      match: match.map(normaliseGlob),
      principals: rule.principals,
      inherit: rule.inherit,
      ...(rule.description === undefined ? {} : { description: rule.description }),
    };
  });
  if (!options.allowShadowed) {
    const shadowed = shadowedRules(rules, data.ignoreCase);
    if (shadowed.length > 0) throw invalidAclMap(origin, shadowed);
  }

  const knowsIdentity = (raw: string) => seenAliasKeys.has(raw.trim().toLowerCase()) || tryParsePrincipal(raw) !== undefined;
  // A source identity (legacy:ADJ, CORP\Claims) may be mapped platform-wide (docs/identity-mapping.md): say so.
  const sourceIdentityNote = (raw: string) =>
    tryParseSourceIdentity(raw)
      ? ` It is a source identity: it grants only while \`groundwork identities map ${raw.trim()} <principal>\` maps it.`
      : '';
  rules.forEach((rule, index) => {
    rule.principals.forEach((raw, principalIndex) => {
      if (!knowsIdentity(raw))
        warnings.push(
          `${origin}: rules[${index}].principals[${principalIndex}] = ${JSON.stringify(raw)} is neither a unified principal nor an alias; it will be ignored unless mapped (documents are never opened up by an unknown identity). Fix: add it to \`aliases\` or write it as user:<e-mail> / group:<name>.${sourceIdentityNote(raw)}`,
        );
    });
  });
  data.default?.forEach((raw, index) => {
    if (!knowsIdentity(raw))
      warnings.push(
        `${origin}: default[${index}] = ${JSON.stringify(raw)} is neither a unified principal nor an alias; it will be ignored unless mapped. Fix: add it to \`aliases\` or write it as user:<e-mail> / group:<name>.${sourceIdentityNote(raw)}`,
      );
  });

  return {
    aclMap: {
      ...(data.default === undefined ? {} : { default: data.default }),
      rules,
      aliases,
      ignoreCase: data.ignoreCase,
    },
    warnings,
  };
}

/**
 * Rules that can never decide any path: a later rule that does not inherit matches every path they match, and
 * the last matching rule wins. Written the other way round (`claims/**` after `claims/restricted/**`), the
 * broader rule silently hands the restricted folder to everyone in it — so such a map is refused, not warned
 * about. Only containment `globContains` can prove counts; the sync reports the rest from real paths.
 */
function shadowedRules(rules: readonly AclRule[], ignoreCase: boolean): string[] {
  const problems: string[] = [];
  rules.forEach((rule, index) => {
    for (let later = index + 1; later < rules.length; later++) {
      const other = rules[later] as AclRule;
      if (other.inherit) continue;
      const covered = rule.match.every((inner) =>
        other.match.some((outer) => globContains(outer, inner, { nocase: ignoreCase })),
      );
      if (!covered) continue;
      problems.push(
        `rules[${index}].match = ${JSON.stringify(rule.match.length === 1 ? rule.match[0] : rule.match)}: is shadowed by rules[${later}] (${other.match.join(', ')}), which comes later, does not inherit and matches every path this rule matches — so this rule never decides any document and its principals never apply (the last matching rule wins). Fix: move rules[${index}] below rules[${later}] (more specific rules go last), or delete it if rules[${later}] is meant to decide.`,
      );
      break;
    }
  });
  return problems;
}

/** @throws `protect.invalid_acl_map` when a rule of a (stored) map is shadowed by a later one. */
export function assertNoShadowedRules(aclMap: AclMap, origin: string): void {
  const shadowed = shadowedRules(aclMap.rules, aclMap.ignoreCase);
  if (shadowed.length > 0) throw invalidAclMap(origin, shadowed);
}

/** Paths inside a source are compared with `/` separators and without a leading `./` or `/`. */
export function normaliseSourcePath(path: string): string {
  return path
    .replaceAll('\\', '/')
    .replace(/^(\.\/)+/, '')
    .replace(/^\/+/, '');
}

function normaliseGlob(glob: string): string {
  // Globs are written relative to the source root; a leading "./" or "/" is a common, harmless habit.
  return glob.replace(/^(\.\/)+/, '').replace(/^\/+/, '');
}

function globProblem(glob: string): string | undefined {
  if (glob.includes('\\'))
    return 'uses a backslash. Fix: write paths with forward slashes (claims/2026/**); paths from Windows shares are normalised to "/" before matching.';
  if (glob.startsWith('../') || glob.includes('/../'))
    return 'leaves the source root. Fix: write globs relative to the source root, without "..".';
  try {
    picomatch.makeRe(glob, { dot: true });
    return undefined;
  } catch (error) {
    return `is not a valid glob (${(error as Error).message}). Fix: see https://github.com/micromatch/picomatch#globbing-features.`;
  }
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path
    .map((part, index) => (typeof part === 'number' ? `[${part}]` : index === 0 ? String(part) : `.${String(part)}`))
    .join('');
  const where = path || '(top level)';
  if (issue.code === 'unrecognized_keys') {
    return issue.keys
      .map(
        (key) =>
          `${where === '(top level)' ? key : `${where}.${key}`}: is not a known ACL map key. Fix: use default, ignoreCase, rules (match, principals, inherit, description) or aliases.`,
      )
      .join('\n  - ');
  }
  const fixes: Record<string, string> = {
    invalid_type: `write ${where} as ${'expected' in issue ? `${/^[aeiou]/.test(String(issue.expected)) ? 'an' : 'a'} ${String(issue.expected)}` : 'described'}${/principals$|default$/.test(where) ? ' (a list such as [group:claims])' : ''}.`,
    too_small: 'add at least one entry.',
  };
  return `${where}: ${issue.message}. Fix: ${fixes[issue.code] ?? `correct ${where} as described in docs/permissions.md.`}`;
}

function invalidAclMap(origin: string, problems: readonly string[]): GroundworkError {
  return new GroundworkError(
    'protect.invalid_acl_map',
    `The ACL map ${origin} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    {
      category: 'usage',
      fix: 'Correct each entry listed above; docs/permissions.md has the reference and a full example.',
      details: { origin, problems: [...problems] },
    },
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
