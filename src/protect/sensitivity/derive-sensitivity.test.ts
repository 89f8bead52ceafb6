import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { configSchema, type SensitivityRule } from '../../core/index.ts';
import { deriveSensitivity, maxSensitivity, sensitivityRank } from '../index.ts';

const rules: SensitivityRule[] = configSchema.parse({
  protect: {
    sensitivityRules: [
      { match: 'hr/**', label: 'restricted', description: 'personnel files' },
      { match: 'press/**', label: 'public' },
      { metadata: { department: 'legal' }, label: 'confidential' },
      { match: 'rates/published/**', label: 'public', override: true, description: 'published rate sheets' },
    ],
  },
}).protect.sensitivityRules;

describe('deriveSensitivity', () => {
  test('labels are ordered public < internal < confidential < restricted', () => {
    assert.deepEqual(
      ['public', 'internal', 'confidential', 'restricted'].map((l) => sensitivityRank(l as 'public')),
      [0, 1, 2, 3],
    );
    assert.equal(maxSensitivity('confidential', 'internal'), 'confidential');
  });

  test('the default applies when nothing else says anything', () => {
    const decision = deriveSensitivity({ path: 'guides/a.md', rules });
    assert.equal(decision.label, 'internal');
    assert.deepEqual(
      decision.reasons.map((r) => r.kind),
      ['default'],
    );
    assert.equal(deriveSensitivity({ defaultLabel: 'confidential' }).label, 'confidential');
  });

  test('built-in PII floors: SSN, card, IBAN → restricted; e-mail, phone, DOB, custom → confidential', () => {
    assert.equal(deriveSensitivity({ piiCounts: { ssn: 1 } }).label, 'restricted');
    assert.equal(deriveSensitivity({ piiCounts: { credit_card: 2, email: 1 } }).label, 'restricted');
    assert.equal(deriveSensitivity({ piiCounts: { iban: 1 } }).label, 'restricted');
    assert.equal(deriveSensitivity({ piiCounts: { email: 3 } }).label, 'confidential');
    assert.equal(deriveSensitivity({ piiCounts: { phone: 1 } }).label, 'confidential');
    assert.equal(deriveSensitivity({ piiCounts: { date_of_birth: 1 } }).label, 'confidential');
    assert.equal(deriveSensitivity({ piiCounts: { policy_number: 1 } }).label, 'confidential');
    assert.equal(deriveSensitivity({ piiCounts: { email: 0 } }).label, 'internal');
    assert.equal(
      deriveSensitivity({ piiCounts: { policy_number: 4 }, piiSensitivity: { policy_number: 'internal' } }).label,
      'internal',
    );
    const reasons = deriveSensitivity({ piiCounts: { email: 2, ssn: 1 } }).reasons;
    assert.deepEqual(
      reasons.filter((r) => r.effective).map((r) => r.detail),
      ['1 ssn detected → at least restricted'],
    );
  });

  test('floors of the new PII types: ids restricted, names, addresses and beliefs confidential, places and titles raise nothing', () => {
    for (const type of ['national_id', 'passport_number', 'drivers_license'])
      assert.equal(deriveSensitivity({ piiCounts: { [type]: 1 } }).label, 'restricted', type);
    // nrp: religion, political opinion, ethnic origin are special-category data (GDPR Art. 9)
    for (const type of ['person', 'street_address', 'ip_address', 'nrp'])
      assert.equal(deriveSensitivity({ piiCounts: { [type]: 1 } }).label, 'confidential', type);
    const press: SensitivityRule[] = [{ match: 'press/**', label: 'public', override: false }];
    const release = deriveSensitivity({
      path: 'press/2026-launch.md',
      rules: press,
      piiCounts: { location: 3, organization: 2, url: 1, postal_code: 1, age: 1, title: 2 },
    });
    assert.equal(release.label, 'public');
    assert.equal(deriveSensitivity({ path: 'press/quote.md', rules: press, piiCounts: { person: 1 } }).label, 'confidential');
    assert.equal(deriveSensitivity({ piiCounts: { person: 2 }, piiSensitivity: { person: 'internal' } }).label, 'internal');
  });

  test('path and metadata rules set the baseline, the highest matching rule wins, PII still raises', () => {
    assert.equal(deriveSensitivity({ path: 'hr/salaries.xlsx', rules }).label, 'restricted');
    assert.equal(deriveSensitivity({ path: 'press/release.md', rules }).label, 'public');
    assert.equal(deriveSensitivity({ path: 'press/release.md', rules, piiCounts: { email: 1 } }).label, 'confidential');
    const both = deriveSensitivity({ path: 'press/x.md', rules, metadata: { department: ['Legal', 'comms'] } });
    assert.equal(both.label, 'confidential');
    assert.deepEqual(
      both.reasons.map((r) => [r.kind, r.effective]),
      [
        ['rule', false],
        ['rule', true],
      ],
    );
    assert.match(both.reasons[1]?.detail ?? '', /rule #3 \(metadata \{"department":"legal"\}\) → confidential/);
  });

  test('metadata or a sidecar can raise the label but never lower it', () => {
    assert.equal(deriveSensitivity({ metadata: { sensitivity: 'restricted' } }).label, 'restricted');
    const lower = deriveSensitivity({ metadata: { sensitivity: 'public' }, piiCounts: { phone: 1 } });
    assert.equal(lower.label, 'confidential');
    assert.match(lower.reasons.find((r) => r.kind === 'metadata')?.detail ?? '', /cannot lower the label below confidential/);
    const invalid = deriveSensitivity({ metadata: { sensitivity: 'secret' } });
    assert.equal(invalid.label, 'internal');
    assert.match(invalid.reasons.at(-1)?.detail ?? '', /"secret" is not a label/);
  });

  test('an override rule pins the label, even below PII and sidecar', () => {
    const decision = deriveSensitivity({
      path: 'rates/published/2026.pdf',
      rules,
      piiCounts: { email: 1, phone: 1 },
      metadata: { sensitivity: 'confidential' },
    });
    assert.equal(decision.label, 'public');
    assert.deepEqual(
      decision.reasons.filter((r) => r.effective).map((r) => r.kind),
      ['override'],
    );
    assert.match(decision.reasons.at(-1)?.detail ?? '', /published rate sheets/);
  });

  test('a rule needs a path or metadata', () => {
    const result = configSchema.safeParse({ protect: { sensitivityRules: [{ label: 'public' }] } });
    assert.equal(result.success, false);
  });
});
