import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { GroundworkError } from '../../core/index.ts';
import {
  compilePiiPatterns,
  countPii,
  detectPii,
  hasKnownCardPrefix,
  isIbanChecksumValid,
  isLuhnValid,
  isValidSsn,
  type PiiSpan,
} from '../index.ts';

/**
 * Labelled corpus: `{{type:value}}` marks an expected span; everything else must produce none.
 * `label()` strips the marks and returns the text with the exact expected spans.
 */
const withoutScore = ({ type, start, end }: PiiSpan): PiiSpan => ({ type, start, end });

function label(marked: string): { text: string; spans: PiiSpan[] } {
  const spans: PiiSpan[] = [];
  let text = '';
  let cursor = 0;
  for (const match of marked.matchAll(/\{\{([a-z_]+):(.+?)\}\}/g)) {
    text += marked.slice(cursor, match.index);
    const value = match[2] ?? '';
    spans.push({ type: match[1] ?? '', start: text.length, end: text.length + value.length });
    text += value;
    cursor = match.index + match[0].length;
  }
  return { text: text + marked.slice(cursor), spans };
}

const positives = [
  // e-mail
  'Insured contact: {{email:dana.whitfield@example.com}}, {{phone:(555) 201-7788}}.',
  'Write to <{{email:claims+fnol@meridian-mutual.co.uk}}> or "{{email:o.brien@example.ie}}".',
  'Reply to {{email:a_b%c@sub.domain.example.org}}.',
  // phones
  'Call {{phone:+44 20 7946 0958}} (London) or {{phone:+1 415 555 2671}} or {{phone:+14155552671}}.',
  '{{location:Berlin}} office {{phone:030 12345678}}, mobile {{phone:0171-1234567}}, intl {{phone:+49 (0)30 1234567}}.',
  'In {{location:Paris}}: {{phone:06.12.34.56.78}} ou {{phone:+33 1 23 45 67 89}}; {{location:Wien}} {{phone:0043 1 5344 0}}.',
  'Toll-free {{phone:1-800-555-0199}}, fax {{phone:555.201.7789}}, desk {{phone:212-555-0123}}.',
  // SSN
  'SSN {{ssn:123-45-6789}} and {{ssn:123 45 6789}}; Social Security No. {{ssn:123456789}}.',
  // payment cards (test numbers)
  'Visa {{credit_card:4111 1111 1111 1111}}, MC {{credit_card:5555-5555-5555-4444}}, Amex {{credit_card:378282246310005}}.',
  'Discover {{credit_card:6011111111111117}}, Visa 13 {{credit_card:4222222222222}}, MC 2-series {{credit_card:2223003122003222}}.',
  // IBAN
  'Pay to {{iban:DE89 3704 0044 0532 0130 00}} EUR, or {{iban:GB29NWBK60161331926819}}.',
  'IBAN {{iban:FR14 2004 1010 0505 0001 3M02 606}}; NL: {{iban:NL91ABNA0417164300}}.',
  // dates of birth
  'DOB: {{date_of_birth:03/14/1975}}; born on {{date_of_birth:3 March 1975}}; date of birth {{date_of_birth:1975-03-14}}.',
  'Né le {{date_of_birth:3 mars 1975}} à Lyon; geboren am {{date_of_birth:3. März 1975}}; Birth date: {{date_of_birth:Mar 3, 1975}}; d.o.b. {{date_of_birth:4/5/1975}}.',
  'Tel: {{phone:+1 (555) 201-7788}}; UK {{phone:+44 (0)20 7946 0958}}; US {{phone:555 201 7788}}; DOB {{date_of_birth:3/14/75}}.',
  'Upper-case {{email:Dana.Whitfield@Example.COM}}, Amex grouped {{credit_card:3782-822463-10005}}.',
  'Geburtsdatum: {{date_of_birth:12.05.1980}}, geb. {{date_of_birth:12. Mai 1980}}; Date of Birth: {{date_of_birth:March 3rd, 1975}}.',
  // the gaps the first version had (issue 13)
  'Maestro {{credit_card:630427373398}}, JCB {{credit_card:180016070420458}} and {{credit_card:213176828496175}}.',
  'Local: tel. {{phone:555-0199}}, call {{phone:467 3395}}, phone: {{phone:78 651 450}}, desk {{phone:+1 415 555 0100 x565}}.',
  'Rio {{phone:(71) 4233-6306}}, mobile {{phone:699 956 915}}; {{phone:416 60 039}} office.',
  "my iban is {{iban:gb29nwbk60161331926819}}; please tell me your date of birth. It's {{date_of_birth:6/24/1991}}.",
  'Server {{ip_address:192.168.100.200}} and {{ip_address:2001:db8::8a2e:370:7334}}; see {{url:https://www.example.com/claims}} or {{url:example.org}}.',
  'Call {{phone:555-0199}} or ext. 1234; {{street_address:PO Box 12345}}; ZIP {{postal_code:90210-1234}}; postcode {{postal_code:SW1A 1AA}}.',
];

const negatives = [
  'Policy: HO3-448812 (policy form HO-3, endorsement MM-HO-WD-04). Claim CL-2026-0142.',
  'Date of loss: 2026-09-12. Reported: 2026-09-13 at 2026-09-14 10:32:15Z; due 12/05/2024 or 12.05.2024.',
  'Estimate: dwelling 18,400 USD, contents 3,150 USD; 1 234 567,89 EUR; 0.25; 1,234,567.89; $4,111,111.11.',
  'ISBN 978-3-16-148410-0 and ISBN-10 0-306-40615-2; invoice INV-2026-004512; order #2026041512345.',
  'Luhn-invalid card 4111 1111 1111 1112; unknown prefix 9111 1111 1111 1111; too short 4111 1111 111.',
  'Bad IBAN checksum DE89 3704 0044 0532 0130 01; wrong length DE89 3704 0044 0532 0130; unknown XX89 3704 0044 0532 0130 00.',
  'Not SSNs: 000-12-3456, 666-12-3456, 912-34-5678, 123-00-4567, 123-45-0000, 078-05-1120, SSN pending.',
  'Version 10.2.3.4, coordinates 48.8566, 2.3522, ratio 1/3/2026, build 10.0.0.12.',
  'Born in 1975. The building was born on a grand plan. Birthday party on Friday.',
  'Phone-like numbers without shape: 5552017788, 12345 67890, 2026 0142 0000, 555-0199.',
  'A timestamp 20260914103215 and a UUID 123e4567-e89b-12d3-a456-426614174000.',
  'e-mail@ alone, user@localhost, @handle, name@example, a@b.c',
  'Message-ID: <20260921091400.cl20260142@example.com>\nIn-Reply-To: <a1b2@mail.example.org>',
  'Ext. 1234; box 12345; 90210-1234; 10:30-11:45; 2020-2026; 1998–2004; v2026.09.14.1; 10:32:15; 12:00.',
  'Zeros 0000 0000 0000 0000, a count of 1 234 567 items, phone-ish 123-456-7890 (area code cannot start with 1).',
];

describe('detectPii: labelled corpus', () => {
  for (const marked of positives) {
    test(`finds exactly: ${marked.slice(0, 60)}`, () => {
      const { text, spans } = label(marked);
      const found = detectPii(text);
      assert.deepEqual(
        found.map((s) => `${s.type}:${text.slice(s.start, s.end)}`),
        spans.map((s) => `${s.type}:${text.slice(s.start, s.end)}`),
      );
      assert.deepEqual(found.map(withoutScore), spans);
      for (const span of found) assert.ok(span.score > 0 && span.score <= 1, `score of ${span.type} in 0..1`);
    });
  }
  for (const text of negatives) {
    test(`finds nothing in: ${text.slice(0, 60)}`, () => {
      const found = detectPii(text);
      assert.deepEqual(
        found.map((s) => `${s.type}:${text.slice(s.start, s.end)}`),
        [],
      );
    });
  }

  test('precision and recall over the whole corpus', () => {
    let truePositives = 0;
    let falsePositives = 0;
    let expected = 0;
    for (const marked of [...positives, ...negatives]) {
      const { text, spans } = label(marked);
      const keys = new Set(spans.map((s) => `${s.type}:${s.start}:${s.end}`));
      expected += spans.length;
      for (const s of detectPii(text)) {
        if (keys.has(`${s.type}:${s.start}:${s.end}`)) truePositives++;
        else falsePositives++;
      }
    }
    assert.equal(falsePositives, 0);
    assert.equal(truePositives, expected);
  });
});

describe('detectPii: custom patterns and overlaps', () => {
  test('custom patterns from config become their own types', () => {
    const { text, spans } = label(
      'Policy {{policy_number:HO3-448812}}, claim {{claim_number:CL-2026-0142}}, mail {{email:x@example.com}}.',
    );
    const found = detectPii(text, { customPatterns: { policy_number: 'HO3-\\d{6}', claim_number: 'CL-\\d{4}-\\d{4}' } });
    assert.deepEqual(found.map(withoutScore), spans);
  });

  test('the longest span wins an overlap; equal lengths go to the more specific detector', () => {
    const text = 'Contact cl-2026-0142@claims.example.com today; card 4111111111111111.';
    const found = detectPii(text, { customPatterns: { claim_number: 'cl-\\d{4}-\\d{4}', long_digits: '\\d{16}' } });
    assert.deepEqual(
      found.map((s) => `${s.type}:${text.slice(s.start, s.end)}`),
      ['email:cl-2026-0142@claims.example.com', 'long_digits:4111111111111111'],
    );
  });

  test('digit soup and separators stay linear and find nothing', () => {
    for (const soup of [
      '1 '.repeat(20_000),
      '12-'.repeat(20_000),
      '7'.repeat(50_000),
      'a@'.repeat(20_000),
      '(1) '.repeat(20_000),
    ]) {
      assert.deepEqual(detectPii(soup), []);
    }
  });

  test('spans never overlap and are sorted', () => {
    const text = Array.from(
      { length: 50 },
      (_, i) => `Row ${i}: +1 415 555 ${String(2000 + i)} a${i}@ex.com 4111-1111-1111-1111`,
    ).join('\n');
    const found = detectPii(text);
    assert.equal(found.length, 150);
    for (let i = 1; i < found.length; i++) assert.ok((found[i - 1] as PiiSpan).end <= (found[i] as PiiSpan).start);
    assert.deepEqual(countPii(found), { phone: 50, email: 50, credit_card: 50 });
  });

  test('invalid custom patterns are reported together', () => {
    assert.throws(
      () => compilePiiPatterns({ ok: 'A\\d+', broken: '(', 'bad name': 'x', empty: 'x*' }),
      (error: GroundworkError) =>
        error.code === 'protect.invalid_pii_pattern' && (error.details.problems as string[]).length === 3,
    );
  });

  test('compiled patterns can be reused', () => {
    const compiled = compilePiiPatterns({ policy_number: 'HO3-\\d{6}' });
    assert.equal(detectPii('HO3-123456 and HO3-654321', { customPatterns: compiled }).length, 2);
    assert.equal(detectPii('HO3-123456', { customPatterns: compiled }).length, 1);
  });
});

describe('detectPii: other dates (opt-in)', () => {
  const marked =
    'Reported {{date:2000-04-16 11:34:35}}; loss on {{date:12/1/1981}} and {{date:4 May 1962}}, reviewed {{date:March 2020}}. ' +
    'The crew came on {{date:Tuesday}} at {{date:10:30 am}}; founded in {{date:1977}}, {{date:During}} ignored.';
  test('off by default: dates are not personal data, dates of birth still are', () => {
    const { text } = label(marked.replace('{{date:During}}', 'During'));
    assert.deepEqual(detectPii(text), []);
    assert.deepEqual(
      detectPii('DOB: 4 May 1962').map((span) => span.type),
      ['date_of_birth'],
    );
  });
  test('dates: true reports dates, timestamps, weekdays, times and years after a preposition as date', () => {
    const { text, spans } = label(marked.replace('{{date:During}} ignored', 'During {{date:2017}} nothing else'));
    assert.deepEqual(detectPii(text, { dates: true }).map(withoutScore), spans);
  });
  test('dates: true leaves identifiers, amounts, versions and ratios alone', () => {
    const text =
      'Claim CL-2026-1234, policy HO3-448812, invoice INV-2026-000123, 12,345.00 USD, version 10.2.3, ratio 1/3, ISBN 978-3-16-148410-0, page 2026.';
    assert.deepEqual(detectPii(text, { dates: true }), []);
  });
});

describe('checksums', () => {
  test('Luhn, issuer prefixes, IBAN mod-97 and SSN structure', () => {
    assert.equal(isLuhnValid('79927398713'), true);
    assert.equal(isLuhnValid('79927398710'), false);
    assert.equal(hasKnownCardPrefix('4111111111111111'), true);
    assert.equal(hasKnownCardPrefix('378282246310005'), true);
    assert.equal(hasKnownCardPrefix('37828224631000'), false);
    assert.equal(hasKnownCardPrefix('9111111111111111'), false);
    assert.equal(isIbanChecksumValid('DE89370400440532013000'), true);
    assert.equal(isIbanChecksumValid('DE89370400440532013001'), false);
    assert.equal(isValidSsn('123', '45', '6789'), true);
    assert.equal(isValidSsn('900', '45', '6789'), false);
  });
});

describe('detectPii: seeded random documents', () => {
  function random(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  test('finds every planted value exactly, and nothing in the noise around it', () => {
    const next = random(7);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
    const digits = (n: number) => Array.from({ length: n }, () => Math.floor(next() * 10)).join('');
    const planted: Record<string, () => string> = {
      email: () =>
        `${pick(['dana', 'lee.o', 'k_wu', 'sam+claims'])}${digits(2)}@${pick(['example.com', 'mail.example.org', 'corp.example.co.uk'])}`,
      phone: () =>
        pick([`+44 20 7946 ${digits(4)}`, `(555) 2${digits(2)}-${digits(4)}`, `030 ${digits(8)}`, `+1 415 555 ${digits(4)}`]),
      ssn: () => `${pick(['123', '456', '234', '587'])}-${pick(['12', '45', '67'])}-${pick(['6789', '1234', '4321'])}`,
      credit_card: () => pick(['4111 1111 1111 1111', '5555-5555-5555-4444', '378282246310005', '6011111111111117']),
      iban: () => pick(['DE89 3704 0044 0532 0130 00', 'GB29NWBK60161331926819', 'NL91ABNA0417164300']),
    };
    const noise = () =>
      pick([
        () => `${pick(vocabulary)} ${pick(vocabulary)}`,
        () => `${digits(2)},${digits(3)} USD`,
        () => `2026-0${1 + Math.floor(next() * 9)}-1${digits(1)}`,
        () => `HO3-${digits(6)}`,
        () => `CL-2026-${digits(4)}`,
        () => `INV-${digits(6)}`,
        () => `${digits(1)}.${digits(2)}%`,
        () => `page ${digits(1)} of ${digits(1)}`,
      ])();
    const vocabulary = ['claim', 'roof', 'deductible', 'insured', 'adjuster', 'water', 'Coverage', 'A', 'limit', 'reserve'];
    for (let doc = 0; doc < 500; doc++) {
      let text = '';
      const expected: PiiSpan[] = [];
      for (let part = 0; part < 12; part++) {
        if (next() < 0.3) {
          const type = pick(Object.keys(planted));
          const value = (planted[type] as () => string)();
          // A number glued to the previous number by a space or dash is ambiguous by design ("page 2 030 1234567"
          // and "DE89 3704 0044 0532 …" look alike), so planted digits follow words or punctuation.
          const gluedToNumber = /\d[ -]*$/.test(text) && /^[\d(]/.test(value);
          text += gluedToNumber ? 'Contact: ' : `${pick(['', 'Contact: ', 'ref ', '('])}`;
          expected.push({ type, start: text.length, end: text.length + value.length });
          text += value;
        } else {
          text += noise();
        }
        text += pick([' ', '. ', ', ', '; ', '\n', ' - ']);
      }
      const found = detectPii(text);
      assert.deepEqual(
        found.map((s) => `${s.type}:${text.slice(s.start, s.end)}`),
        expected.map((s) => `${s.type}:${text.slice(s.start, s.end)}`),
        text,
      );
    }
  });
});
