import picomatch from 'picomatch';
import { type SensitivityLabel, type SensitivityRule, sensitivityLabels } from '../../core/index.ts';
import { normaliseSourcePath } from '../acl/acl-map.ts';

/**
 * Sensitivity labels: `public < internal < confidential < restricted`.
 *
 * How a document's label is derived (each step recorded as a reason):
 *  1. baseline: the highest label among matching configured rules (path globs and/or metadata), else the default;
 *  2. detected PII raises it to a floor per type (SSN, card, IBAN, national ids, passport and licence numbers →
 *     restricted; names, street addresses, e-mail, phone, IP address, date of birth, custom patterns →
 *     confidential; nationalities, religions, political groups → confidential; places, organisations, postcodes,
 *     ages, URLs, titles → no floor; configurable per type);
 *  3. a `sensitivity` in the document's metadata or sidecar raises it further, and can never lower it;
 *  4. a matching rule with `override: true` (configuration, i.e. an administrator's decision) pins the label,
 *     even below the PII floor — e.g. a published price list that lists a public contact e-mail. The last
 *     matching override wins. Sidecars cannot override: whoever can write next to a file does not decide
 *     what may leave the building.
 */

/** The numeric rank of a label: public 0 … restricted 3. */
export function sensitivityRank(label: SensitivityLabel): number {
  return sensitivityLabels.indexOf(label);
}

/** The higher of two labels. */
export function maxSensitivity(a: SensitivityLabel, b: SensitivityLabel): SensitivityLabel {
  return sensitivityRank(a) >= sensitivityRank(b) ? a : b;
}

export function isSensitivityLabel(value: unknown): value is SensitivityLabel {
  return typeof value === 'string' && (sensitivityLabels as readonly string[]).includes(value);
}

/**
 * Minimum label per built-in PII type. Custom pattern types default to `confidential`.
 *
 *  - identifiers that open accounts or prove identity → `restricted`;
 *  - what identifies or reaches a person → `confidential` (a name is personal data on its own);
 *  - a nationality, religion or political group (`nrp`) → `confidential`: special-category data under GDPR
 *    Art. 9 when it describes someone; not `restricted`, because a word alone ("a Catholic priest") cannot
 *    tell whether it does, and restricted text never reaches an external model;
 *  - what only narrows down who someone is (a city, a company, a postcode, an age, a web address, a title or
 *    honorific) → `public`:
 *    it never raises a label by itself (a press release naming London stays public), but it is still
 *    redacted before egress with the rest.
 */
export const builtInPiiSensitivity: Readonly<Record<string, SensitivityLabel>> = {
  ssn: 'restricted',
  credit_card: 'restricted',
  iban: 'restricted',
  national_id: 'restricted',
  passport_number: 'restricted',
  drivers_license: 'restricted',
  email: 'confidential',
  phone: 'confidential',
  date_of_birth: 'confidential',
  person: 'confidential',
  street_address: 'confidential',
  ip_address: 'confidential',
  nrp: 'confidential',
  postal_code: 'public',
  location: 'public',
  organization: 'public',
  age: 'public',
  url: 'public',
  title: 'public',
  date: 'public',
};
const customPiiSensitivity: SensitivityLabel = 'confidential';

export interface SensitivityReason {
  readonly kind: 'default' | 'rule' | 'pii' | 'metadata' | 'override';
  /** The label this reason asks for. */
  readonly label: SensitivityLabel;
  /** Whether it decided (or raised) the final label; false when something else outranked it. */
  readonly effective: boolean;
  readonly detail: string;
}

export interface DeriveSensitivityInput {
  /** Detected PII counts by type (the document's `pii_summary`). */
  readonly piiCounts?: Readonly<Record<string, number>>;
  /** Path relative to the source root. */
  readonly path?: string;
  /** Document metadata (parser properties merged with the sidecar); a `sensitivity` key is honoured. */
  readonly metadata?: Readonly<Record<string, unknown>>;
  /** Config `protect.sensitivityRules`. */
  readonly rules?: readonly SensitivityRule[];
  /** Config `protect.defaultSensitivity` (default `internal`). */
  readonly defaultLabel?: SensitivityLabel;
  /** Config `protect.piiSensitivity`: minimum label per PII type, over the built-in table. */
  readonly piiSensitivity?: Readonly<Record<string, SensitivityLabel>>;
}

export interface SensitivityDecision {
  readonly label: SensitivityLabel;
  readonly reasons: readonly SensitivityReason[];
}

const ruleMatcherCache = new WeakMap<SensitivityRule, (path: string) => boolean>();

function pathMatches(rule: SensitivityRule, path: string | undefined): boolean {
  if (rule.match === undefined) return true;
  if (path === undefined) return false;
  let matcher = ruleMatcherCache.get(rule);
  if (!matcher) {
    matcher = picomatch(Array.isArray(rule.match) ? rule.match : [rule.match as string], { dot: true });
    ruleMatcherCache.set(rule, matcher);
  }
  return matcher(normaliseSourcePath(path));
}

function metadataMatches(rule: SensitivityRule, metadata: Readonly<Record<string, unknown>> | undefined): boolean {
  if (rule.metadata === undefined) return true;
  if (!metadata) return false;
  return Object.entries(rule.metadata).every(([key, wanted]) => {
    const actual = metadata[key];
    const actualValues = Array.isArray(actual) ? actual : [actual];
    const wantedValues = Array.isArray(wanted) ? wanted : [wanted];
    return actualValues.some(
      (value) =>
        value !== undefined &&
        value !== null &&
        wantedValues.some((expected) => String(value).toLowerCase() === String(expected).toLowerCase()),
    );
  });
}

function describeRule(rule: SensitivityRule, index: number): string {
  const parts: string[] = [];
  if (rule.match !== undefined) parts.push(`path ${Array.isArray(rule.match) ? rule.match.join(', ') : rule.match}`);
  if (rule.metadata !== undefined) parts.push(`metadata ${JSON.stringify(rule.metadata)}`);
  return `rule #${index + 1} (${parts.join(' and ')}${rule.description ? ` — ${rule.description}` : ''})`;
}

/** Derives a document's sensitivity label and every reason that contributed. Pure. */
export function deriveSensitivity(input: DeriveSensitivityInput): SensitivityDecision {
  const rules = input.rules ?? [];
  const defaultLabel = input.defaultLabel ?? 'internal';
  const candidates: Omit<SensitivityReason, 'effective'>[] = [];

  const matching = rules
    .map((rule, index) => ({ rule, index }))
    .filter(({ rule }) => pathMatches(rule, input.path) && metadataMatches(rule, input.metadata));
  const floors = matching.filter(({ rule }) => !rule.override);
  if (floors.length > 0) {
    for (const { rule, index } of floors)
      candidates.push({ kind: 'rule', label: rule.label, detail: `${describeRule(rule, index)} → ${rule.label}` });
  } else {
    candidates.push({
      kind: 'default',
      label: defaultLabel,
      detail: `no sensitivity rule matched: the default label ${defaultLabel}`,
    });
  }

  for (const [type, count] of Object.entries(input.piiCounts ?? {})) {
    if (!(count > 0)) continue;
    const label = input.piiSensitivity?.[type] ?? builtInPiiSensitivity[type] ?? customPiiSensitivity;
    candidates.push({ kind: 'pii', label, detail: `${count} ${type.replaceAll('_', ' ')} detected → at least ${label}` });
  }

  const declared = input.metadata?.sensitivity;
  const extraReasons: SensitivityReason[] = [];
  if (isSensitivityLabel(declared)) {
    candidates.push({ kind: 'metadata', label: declared, detail: `the document's metadata declares ${declared}` });
  } else if (declared !== undefined) {
    extraReasons.push({
      kind: 'metadata',
      label: defaultLabel,
      effective: false,
      detail: `the metadata sensitivity ${JSON.stringify(declared)} is not a label (${sensitivityLabels.join(', ')}) and was ignored`,
    });
  }

  let label = candidates.reduce<SensitivityLabel>((highest, reason) => maxSensitivity(highest, reason.label), 'public');
  let reasons: SensitivityReason[] = candidates.map((reason) => ({
    ...reason,
    effective: reason.label === label,
    detail:
      reason.kind === 'metadata' && sensitivityRank(reason.label) < sensitivityRank(label)
        ? `${reason.detail}, which cannot lower the label below ${label}`
        : reason.detail,
  }));

  const override = matching.filter(({ rule }) => rule.override).at(-1);
  if (override) {
    label = override.rule.label;
    reasons = reasons.map((reason) => ({ ...reason, effective: false }));
    reasons.push({
      kind: 'override',
      label,
      effective: true,
      detail: `${describeRule(override.rule, override.index)} overrides everything else → ${label}`,
    });
  }
  return { label, reasons: [...reasons, ...extraReasons] };
}
