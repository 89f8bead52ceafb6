import picomatch from 'picomatch';
import type { Caller } from '../../core/index.ts';
import { type AclMap, type AclRule, normaliseSourcePath } from './acl-map.ts';
import { tryParsePrincipal } from './principal.ts';
import { describeSourceIdentity, type IdentityMappingLookup } from './source-identity.ts';

/**
 * Deciding who may read one document, and explaining the decision.
 *
 * Precedence, first that applies:
 *  1. sidecar principals (`<file>.meta.json` → `principals`) — they replace the map's rules;
 *  2. inherited principals (archive members, e-mail attachments take their parent's);
 *  3. the ACL map's rules, in order: the last matching rule wins, a rule with `inherit: true` adds to the
 *     earlier matches instead;
 *  4. the ACL map's `default`;
 *  5. the source's own `readableBy` (`--readable-by` on `groundwork ingest` / `sources add`);
 *  6. nothing: no principal may read the document (`principals: []`, `determined: false`). Only the local
 *     operator on the server (the CLI without --server) and operator views (quarantine, explanations) see it;
 *     no API key — admin keys included — finds it through search or answers.
 * Aliases apply to every raw identity (rules, sidecar, default). An identity that is neither a unified
 * principal nor an alias is dropped with a warning: an unknown name never opens a document up.
 */

/** Where a grant came from. `ruleIndex` is the 0-based position in the map's `rules`. */
export type AccessSource =
  | { readonly kind: 'sidecar' }
  | { readonly kind: 'inherited' }
  | { readonly kind: 'rule'; readonly ruleIndex: number; readonly match: readonly string[]; readonly description?: string }
  | { readonly kind: 'default' }
  | { readonly kind: 'readable-by' };

/** One principal granted read access, and how: the raw identity as written and the alias that mapped it. */
export interface AccessGrant {
  readonly principal: string;
  readonly source: AccessSource;
  /** The identity as written in the rule, sidecar or default. */
  readonly raw: string;
  /** The alias key that turned `raw` into `principal`, when an alias did. */
  readonly alias?: string;
  /** The identity mapping (govern) that turned the source identity `raw` into `principal`, when one did. */
  readonly mapping?: { readonly identity: string; readonly version: number };
}

export interface AccessExplanation {
  /** The document path, normalised (relative to the source root, `/` separators). */
  readonly path: string;
  readonly decidedBy: 'sidecar' | 'inherited' | 'rules' | 'default' | 'readable-by' | 'none';
  readonly determined: boolean;
  /** Every grant, in decision order; one principal may appear more than once (several routes). */
  readonly grants: readonly AccessGrant[];
  /** Every rule whose globs matched the path; `applied` is false when a later rule replaced it or a sidecar won. */
  readonly matchedRules: readonly {
    readonly ruleIndex: number;
    readonly match: readonly string[];
    readonly inherit: boolean;
    readonly applied: boolean;
  }[];
  /** Identities that were dropped because they are neither unified principals nor aliases. */
  readonly dropped: readonly { readonly raw: string; readonly source: AccessSource }[];
}

export interface DocumentAccess {
  /** Unified principals, sorted and unique. Empty = operator-only: no principal (no API key, admin keys included) may read it. */
  readonly principals: string[];
  /** False when nothing explicit decided the principals (deny by default applies); flag such documents. */
  readonly determined: boolean;
  readonly explanation: AccessExplanation;
  /** Human-readable warnings (unknown identities), for sync reports. */
  readonly warnings: string[];
}

export interface ResolveDocumentAccessInput {
  /** The source's ACL map; absent = no rules, no default, no aliases. */
  readonly aclMap?: AclMap | undefined;
  /** Path of the document relative to the source root (archive members: the parent path + `/member`). */
  readonly path: string;
  /** `principals` from the document's sidecar (`<file>.meta.json`); `[]` is an explicit "operator-only". */
  readonly sidecarPrincipals?: readonly string[] | undefined;
  /** The parent document's principals, for archive members and e-mail attachments. */
  readonly inheritedPrincipals?: readonly string[] | undefined;
  /**
   * The source's principals for documents neither sidecar, rules nor the map's default decide
   * (`--readable-by`): unified principals, or alias keys of the map.
   */
  readonly readableBy?: readonly string[] | undefined;
  /**
   * The identity mappings (source identities such as `legacy:adj` or `entra:<id>` → unified principals),
   * applied to every raw identity an alias of the map does not decide.
   */
  readonly identityMappings?: IdentityMappingLookup | undefined;
}

const matcherCache = new WeakMap<AclMap, ((path: string) => boolean)[]>();

function ruleMatchers(aclMap: AclMap): ((path: string) => boolean)[] {
  let matchers = matcherCache.get(aclMap);
  if (!matchers) {
    matchers = aclMap.rules.map((rule) => {
      const matches = picomatch([...rule.match], { dot: true, nocase: aclMap.ignoreCase });
      // Most globs start with a literal folder ("claims/2026/**"): a prefix test skips the regex for every
      // path outside it, which keeps large maps (hundreds of rules) cheap per document.
      const bases = rule.match.map((glob) => {
        const scanned = picomatch.scan(glob);
        return scanned.negated ? '' : aclMap.ignoreCase ? scanned.base.toLowerCase() : scanned.base;
      });
      if (bases.some((base) => base === '')) return matches;
      const folders = bases.map((base) => `${base}/`);
      // Called with the path already lower-cased when the map ignores case.
      return (path: string) => {
        for (let i = 0; i < bases.length; i++) {
          if (path === bases[i] || path.startsWith(folders[i] as string)) return matches(path);
        }
        return false;
      };
    });
    matcherCache.set(aclMap, matchers);
  }
  return matchers;
}

interface ResolvedIdentity {
  readonly principals: readonly string[];
  readonly alias?: string;
  readonly mapping?: { readonly identity: string; readonly version: number };
}

type AliasIndex = Map<string, { key: string; principals: readonly string[] }>;
const aliasCache = new WeakMap<AclMap, AliasIndex>();
const noAliases: AliasIndex = new Map();

/** Alias keys folded for lookup; built once per map (a sync resolves every document with the same map). */
function aliasIndex(aclMap: AclMap | undefined): AliasIndex {
  if (!aclMap) return noAliases;
  let index = aliasCache.get(aclMap);
  if (!index) {
    index = new Map();
    for (const [key, principals] of Object.entries(aclMap.aliases)) index.set(key.trim().toLowerCase(), { key, principals });
    aliasCache.set(aclMap, index);
  }
  return index;
}

function resolveIdentity(
  raw: string,
  aliases: Map<string, { key: string; principals: readonly string[] }>,
  mappings: IdentityMappingLookup | undefined,
): ResolvedIdentity | undefined {
  // Aliases first: a map may deliberately rename a unified principal (group:old-name → group:new-name).
  const alias = aliases.get(raw.trim().toLowerCase());
  if (alias) return { principals: alias.principals, alias: alias.key };
  const principal = tryParsePrincipal(raw);
  if (principal) return { principals: [principal.id] };
  // Then the platform's identity mappings (source identities such as legacy:adj, entra:<id>, CORP\Claims).
  const mapped = mappings?.lookup(raw);
  return mapped ? { principals: mapped.principals, mapping: { identity: mapped.identity, version: mapped.version } } : undefined;
}

/** Decides which principals may read a document, with an explanation of every grant. Pure. */
export function resolveDocumentAccess(input: ResolveDocumentAccessInput): DocumentAccess {
  const path = normaliseSourcePath(input.path);
  const aclMap = input.aclMap;
  const aliases = aliasIndex(aclMap);
  const dropped: { raw: string; source: AccessSource }[] = [];

  const grantsFrom = (raws: readonly string[], source: AccessSource): AccessGrant[] => {
    const grants: AccessGrant[] = [];
    for (const raw of raws) {
      const resolved = resolveIdentity(raw, aliases, input.identityMappings);
      if (!resolved) {
        dropped.push({ raw, source });
        continue;
      }
      for (const principal of resolved.principals)
        grants.push({
          principal,
          source,
          raw,
          ...(resolved.alias === undefined ? {} : { alias: resolved.alias }),
          ...(resolved.mapping === undefined ? {} : { mapping: resolved.mapping }),
        });
    }
    return grants;
  };

  const matchedRules: { ruleIndex: number; match: readonly string[]; inherit: boolean; applied: boolean }[] = [];
  const matchers = aclMap ? ruleMatchers(aclMap) : [];
  const rules = aclMap?.rules ?? [];
  // With ignoreCase every matcher would lower-case the path again: do it once.
  const matchPath = aclMap?.ignoreCase ? path.toLowerCase() : path;
  for (let ruleIndex = 0; ruleIndex < rules.length; ruleIndex++) {
    const rule = rules[ruleIndex] as AclRule;
    if (matchers[ruleIndex]?.(matchPath))
      matchedRules.push({ ruleIndex, match: rule.match, inherit: rule.inherit, applied: false });
  }

  let decidedBy: AccessExplanation['decidedBy'];
  let grants: AccessGrant[] = [];
  if (input.sidecarPrincipals !== undefined) {
    decidedBy = 'sidecar';
    grants = grantsFrom(input.sidecarPrincipals, { kind: 'sidecar' });
  } else if (input.inheritedPrincipals !== undefined) {
    decidedBy = 'inherited';
    grants = grantsFrom(input.inheritedPrincipals, { kind: 'inherited' });
  } else if (matchedRules.length > 0 && aclMap) {
    decidedBy = 'rules';
    // The last non-inheriting match resets; every match after it (all inheriting) adds to it.
    let start = 0;
    matchedRules.forEach((matched, position) => {
      if (!matched.inherit) start = position;
    });
    for (const matched of matchedRules.slice(start)) {
      matched.applied = true;
      const rule = aclMap.rules[matched.ruleIndex];
      if (!rule) continue;
      grants.push(
        ...grantsFrom(rule.principals, {
          kind: 'rule',
          ruleIndex: matched.ruleIndex,
          match: rule.match,
          ...(rule.description === undefined ? {} : { description: rule.description }),
        }),
      );
    }
  } else if (aclMap?.default !== undefined) {
    decidedBy = 'default';
    grants = grantsFrom(aclMap.default, { kind: 'default' });
  } else if (input.readableBy !== undefined && input.readableBy.length > 0) {
    decidedBy = 'readable-by';
    grants = grantsFrom(input.readableBy, { kind: 'readable-by' });
  } else {
    decidedBy = 'none';
  }

  const principals = [...new Set(grants.map((grant) => grant.principal))].sort();
  // An empty result is "determined" only when it was asked for explicitly (e.g. `principals: []`), not when
  // every identity was unknown or the parent itself was readable by nobody: those need a human to look.
  const determined = decidedBy !== 'none' && (principals.length > 0 || (dropped.length === 0 && decidedBy !== 'inherited'));
  const warnings = dropped.map(
    ({ raw, source }) =>
      `${path}: "${raw}" (from ${describeSource(source)}) is neither a unified principal, an alias nor a mapped source identity and was ignored. Fix: map it under \`aliases\` in the ACL map, map it with \`groundwork identities map\`, or write it as user:<e-mail> / group:<name>.`,
  );
  return {
    principals,
    determined,
    explanation: { path, decidedBy, determined, grants, matchedRules, dropped },
    warnings,
  };
}

/** The answer to "why can (or can't) this caller read the document?". */
export interface AccessCheck {
  readonly allowed: boolean;
  /** The grants through which the caller's principals are allowed (empty when denied or by admin bypass). */
  readonly via: readonly AccessGrant[];
  /** One or two sentences for people: which rule, sidecar, default or alias granted which principal. */
  readonly reason: string;
}

/**
 * Explains whether a caller may read a document, from the explanation `resolveDocumentAccess` returned.
 * Accepts a caller's principals, or a `Caller` (whose `seesEverything` is the explicit admin bypass).
 */
export function explainAccess(
  explanation: AccessExplanation,
  caller: readonly string[] | Pick<Caller, 'principals' | 'seesEverything'>,
): AccessCheck {
  const isList = Array.isArray(caller);
  const rawPrincipals: readonly string[] = isList ? (caller as readonly string[]) : (caller as Caller).principals;
  const seesEverything = !isList && (caller as Caller).seesEverything;
  const callerPrincipals = new Set(rawPrincipals.map((raw) => tryParsePrincipal(raw)?.id ?? raw.trim()));
  const via = explanation.grants.filter((grant) => callerPrincipals.has(grant.principal));
  if (via.length > 0) {
    return { allowed: true, via, reason: `Allowed: ${via.map(describeGrant).join('; ')}.` };
  }
  if (seesEverything) {
    return {
      allowed: true,
      via: [],
      reason: `Allowed by the operator bypass (seesEverything: the local operator, or an admin on an operator view); ${describeReaders(explanation)}.`,
    };
  }
  return {
    allowed: false,
    via: [],
    reason: `Denied: ${describeReaders(explanation)}${explanation.grants.length > 0 ? '; the caller holds none of them' : ''}.${describeUnapplied(explanation)}`,
  };
}

function describeReaders(explanation: AccessExplanation): string {
  if (explanation.grants.length === 0) {
    const why =
      explanation.decidedBy === 'none'
        ? `no sidecar, rule, default or --readable-by decides who may read ${explanation.path}, so no principal may (deny by default; only the local operator sees it)`
        : `${explanation.path} is readable by no principal (${explanation.decidedBy === 'rules' ? 'the matching rule grants nobody' : `${explanation.decidedBy} grants nobody`})`;
    const droppedNote =
      explanation.dropped.length > 0
        ? ` — ${explanation.dropped.map((d) => `"${d.raw}"`).join(', ')} ${explanation.dropped.length === 1 ? 'was' : 'were'} ignored as unknown identities`
        : '';
    return `${why}${droppedNote}`;
  }
  return `${explanation.path} is readable by ${explanation.grants.map(describeGrant).join('; ')}`;
}

/** Rules that matched but did not count: the usual answer to "but the map gives my group this folder!". */
function describeUnapplied(explanation: AccessExplanation): string {
  const unapplied = explanation.matchedRules.filter((rule) => !rule.applied);
  if (unapplied.length === 0) return '';
  const rules = unapplied.map((rule) => `rule #${rule.ruleIndex + 1} (${rule.match.join(', ')})`).join(', ');
  if (explanation.decidedBy === 'rules')
    return ` ${rules} also matched but a later rule replaced ${unapplied.length === 1 ? 'it' : 'them'} (the last matching rule wins; \`inherit: true\` on the later rule keeps both).`;
  return ` ${rules} matched but ${explanation.decidedBy === 'sidecar' ? "the document's sidecar principals replace the map's rules" : "the parent document's principals apply to archive members and attachments"}.`;
}

function describeGrant(grant: AccessGrant): string {
  const alias = grant.alias === undefined ? '' : ` (alias "${grant.alias}" → ${grant.principal})`;
  const mapping =
    grant.mapping === undefined
      ? ''
      : ` (${describeSourceIdentity(grant.raw)} → ${grant.principal}, identity mapping v${grant.mapping.version})`;
  return `${grant.principal} via ${describeSource(grant.source)}${alias}${mapping}`;
}

function describeSource(source: AccessSource): string {
  switch (source.kind) {
    case 'sidecar':
      return 'the sidecar file (.meta.json principals)';
    case 'inherited':
      return 'the parent document (archive or e-mail)';
    case 'default':
      return 'the ACL map default';
    case 'readable-by':
      return "the source's --readable-by";
    case 'rule':
      return `rule #${source.ruleIndex + 1} (${source.match.join(', ')}${source.description ? ` — ${source.description}` : ''})`;
  }
}
