import type { ProviderConfig, SensitivityLabel } from '../../core/index.ts';
import { type DetectPiiOptions, detectPii, type PiiSpan } from '../pii/detect-pii.ts';
import { isSensitivityLabel, sensitivityRank } from '../sensitivity/derive-sensitivity.ts';
import { createRedactionSession, type RedactionSession, redactPii } from './redact-pii.ts';

/**
 * Egress policy: what may be sent to an LLM provider, and in what form.
 *
 * - An external provider (`trusted: false`, the default) receives at most its `maxSensitivity` (default
 *   `confidential`), and never `restricted` content, whatever its configuration says; PII is redacted unless
 *   `redactPii: false` is set explicitly.
 * - A trusted provider (a local or contractually private endpoint) receives up to its `maxSensitivity`
 *   (default `restricted`), unredacted unless `redactPii: true`.
 * The decision is a pure function of configuration and labels: nothing in the passages' text can change it
 * (document text is data here, never instructions).
 */

/** The effective policy for one provider, after defaults and the restricted-never-leaves cap. */
export interface EgressPolicy {
  readonly trusted: boolean;
  readonly maxSensitivity: SensitivityLabel;
  readonly redactPii: boolean;
  /** Set when the configuration asked for more than the policy allows (shown in traces and `doctor`). */
  readonly note?: string;
}

export type ProviderEgressConfig = Pick<ProviderConfig, 'maxSensitivity' | 'redactPii'> & {
  readonly trusted?: boolean | undefined;
};

export function egressPolicyFor(provider: ProviderEgressConfig): EgressPolicy {
  const trusted = provider.trusted === true;
  const configured = provider.maxSensitivity ?? (trusted ? 'restricted' : 'confidential');
  const redact = provider.redactPii ?? !trusted;
  if (!trusted && configured === 'restricted') {
    return {
      trusted,
      maxSensitivity: 'confidential',
      redactPii: redact,
      note: 'maxSensitivity "restricted" is capped at "confidential" because the provider is not trusted; mark a private endpoint `trusted: true` to send restricted content to it',
    };
  }
  return { trusted, maxSensitivity: configured, redactPii: redact };
}

/** One passage (or any text) that may be sent. */
export interface EgressItem {
  readonly id: string;
  readonly sensitivity: SensitivityLabel;
  readonly text: string;
  /** Stored PII spans of `text`; detected on the fly when absent. */
  readonly piiSpans?: readonly PiiSpan[] | undefined;
}

export type EgressOutcome = 'allowed' | 'redacted' | 'blocked';

export interface EgressItemDecision {
  readonly id: string;
  readonly outcome: EgressOutcome;
  /** Stable reason code: `within_policy`, `pii_redacted`, `above_provider_max_sensitivity`, `restricted_external`. */
  readonly code: 'within_policy' | 'pii_redacted' | 'above_provider_max_sensitivity' | 'restricted_external';
  readonly reason: string;
  /** The text to send (redacted when `outcome` is `redacted`); absent when blocked. */
  readonly text?: string;
  /** Replaced occurrences by PII type. */
  readonly redactions: Readonly<Record<string, number>>;
}

export interface EgressTotals {
  readonly allowed: number;
  readonly redacted: number;
  readonly blocked: number;
  /** Replaced occurrences by PII type over all items. */
  readonly redactedByType: Readonly<Record<string, number>>;
  /** Blocked items by reason code. */
  readonly blockedByReason: Readonly<Record<string, number>>;
}

export interface EgressDecision {
  readonly policy: EgressPolicy;
  readonly items: readonly EgressItemDecision[];
  readonly totals: EgressTotals;
  /** True when there were items and none may be sent: the caller must say so (with `blockedReason`). */
  readonly allBlocked: boolean;
  /** A sentence for the user when everything was blocked. */
  readonly blockedReason?: string;
}

export interface DecideEgressInput {
  readonly provider: ProviderEgressConfig;
  /** For messages, e.g. "openai". */
  readonly providerName?: string;
  readonly items: readonly EgressItem[];
  /** One session per request, shared with the question's redaction so placeholders agree. */
  readonly session?: RedactionSession;
  /** Custom PII patterns, used when an item has no stored spans. */
  readonly customPatterns?: DetectPiiOptions['customPatterns'];
}

/** Decides, per item, whether it may be sent as is, redacted, or not at all. Pure apart from the session. */
export function decideEgress(input: DecideEgressInput): EgressDecision {
  const policy = egressPolicyFor(input.provider);
  const session = input.session ?? createRedactionSession();
  const name = input.providerName ? `provider "${input.providerName}"` : 'the provider';
  const kind = policy.trusted ? 'trusted' : 'external';
  const redactedByType: Record<string, number> = {};
  const blockedByReason: Record<string, number> = {};
  let allowed = 0;
  let redacted = 0;
  let blocked = 0;

  const items = input.items.map((given): EgressItemDecision => {
    // Fail closed: a label this code does not know (a corrupt row, a future label) counts as restricted.
    const item = isSensitivityLabel(given.sensitivity) ? given : { ...given, sensitivity: 'restricted' as const };
    if (sensitivityRank(item.sensitivity) > sensitivityRank(policy.maxSensitivity)) {
      blocked++;
      const code =
        !policy.trusted && item.sensitivity === 'restricted' ? 'restricted_external' : 'above_provider_max_sensitivity';
      blockedByReason[code] = (blockedByReason[code] ?? 0) + 1;
      const reason =
        code === 'restricted_external'
          ? `restricted content is never sent to an external provider (${name} is not marked trusted)`
          : `${item.sensitivity} content is above the ${policy.maxSensitivity} that ${name} (${kind}) may receive`;
      return { id: item.id, outcome: 'blocked', code, reason, redactions: {} };
    }
    if (policy.redactPii) {
      const spans = item.piiSpans ?? detectPii(item.text, { customPatterns: input.customPatterns });
      if (spans.length > 0) {
        const result = redactPii(item.text, spans, session);
        const total = Object.values(result.counts).reduce((sum, n) => sum + n, 0);
        if (total > 0) {
          redacted++;
          for (const [type, count] of Object.entries(result.counts)) redactedByType[type] = (redactedByType[type] ?? 0) + count;
          return {
            id: item.id,
            outcome: 'redacted',
            code: 'pii_redacted',
            reason: `personal data replaced by placeholders (${describeCounts(result.counts)}) before sending to ${name} (${kind})`,
            text: result.text,
            redactions: result.counts,
          };
        }
      }
    }
    allowed++;
    return {
      id: item.id,
      outcome: 'allowed',
      code: 'within_policy',
      reason: `${item.sensitivity} content may be sent to ${name} (${kind}, up to ${policy.maxSensitivity})`,
      text: item.text,
      redactions: {},
    };
  });

  const allBlocked = items.length > 0 && blocked === items.length;
  return {
    policy,
    items,
    totals: { allowed, redacted, blocked, redactedByType, blockedByReason },
    allBlocked,
    ...(allBlocked
      ? {
          blockedReason: `All ${items.length} passage${items.length === 1 ? '' : 's'} found ${items.length === 1 ? 'is' : 'are'} too sensitive for ${name} (${kind}, up to ${policy.maxSensitivity}${policy.trusted ? '' : '; restricted content never leaves for an external provider'}). Use a trusted provider for this use case, or answer extractively without a model.`,
        }
      : {}),
  };
}

function describeCounts(counts: Readonly<Record<string, number>>): string {
  return Object.entries(counts)
    .map(([type, count]) => `${count} ${type.replaceAll('_', ' ')}`)
    .join(', ');
}
