import type { AclMap } from './acl-map.ts';
import { resolveDocumentAccess } from './resolve-document-access.ts';

/**
 * A rule of an ACL map that matched files of a sync but decided none of them: later rules replaced it on
 * every file it matched. The map check refuses what it can prove statically (`shadowed by rules[N]`); this
 * catches the rest from the real paths. Counts only: file paths can be sensitive, rule globs are config.
 */
export interface AclRuleWarning {
  readonly code: 'acl.rule_never_decides';
  /** 0-based index in the map's `rules`. */
  readonly ruleIndex: number;
  readonly match: readonly string[];
  /** Files the rule matched in this sync. */
  readonly matched: number;
  /** Rules that decided those files instead (0-based), most frequent first. */
  readonly replacedBy: readonly number[];
  readonly message: string;
}

export interface AclRuleUsage {
  /** Records which rules match `path` (relative to the source root) and which of them decide it. */
  observe(path: string): void;
  /** Rules that matched at least one observed path and decided none. */
  warnings(): AclRuleWarning[];
}

/**
 * Tracks, over every file of a sync, whether each rule ever decides a document. Sidecars are ignored on
 * purpose: a sidecar overriding a rule is a deliberate exception, not a mistake in the map.
 */
export function trackAclRuleUsage(aclMap: AclMap | undefined): AclRuleUsage {
  const matched = new Map<number, number>();
  const applied = new Set<number>();
  const replacedBy = new Map<number, Map<number, number>>();
  return {
    observe(path) {
      if (!aclMap || aclMap.rules.length === 0) return;
      const { explanation } = resolveDocumentAccess({ aclMap, path });
      // The rule that replaced the earlier matches: the first applied one (the later applied ones inherit).
      const deciding = explanation.matchedRules.find((rule) => rule.applied)?.ruleIndex;
      for (const rule of explanation.matchedRules) {
        matched.set(rule.ruleIndex, (matched.get(rule.ruleIndex) ?? 0) + 1);
        if (rule.applied) {
          applied.add(rule.ruleIndex);
          continue;
        }
        const winners = replacedBy.get(rule.ruleIndex) ?? new Map<number, number>();
        if (deciding !== undefined) winners.set(deciding, (winners.get(deciding) ?? 0) + 1);
        replacedBy.set(rule.ruleIndex, winners);
      }
    },
    warnings() {
      if (!aclMap) return [];
      const out: AclRuleWarning[] = [];
      for (const [ruleIndex, count] of [...matched.entries()].sort((a, b) => a[0] - b[0])) {
        if (applied.has(ruleIndex)) continue;
        const rule = aclMap.rules[ruleIndex];
        if (!rule) continue;
        const winners = [...(replacedBy.get(ruleIndex) ?? new Map<number, number>()).entries()]
          .sort((a, b) => b[1] - a[1] || a[0] - b[0])
          .map(([index]) => index);
        const named = winners.map((index) => `rules[${index}] (${aclMap.rules[index]?.match.join(', ') ?? '?'})`).join(', ');
        out.push({
          code: 'acl.rule_never_decides',
          ruleIndex,
          match: rule.match,
          matched: count,
          replacedBy: winners,
          message: `rules[${ruleIndex}] (${rule.match.join(', ')}) matched ${count} file${count === 1 ? '' : 's'} but decided none: ${named || 'a later rule'} replaced it on every one (the last matching rule wins), so its principals never apply. Fix: move rules[${ruleIndex}] below ${winners.length === 1 ? `rules[${winners[0]}]` : 'those rules'} in the ACL map (more specific rules go last), or remove it.`,
        });
      }
      return out;
    },
  };
}
