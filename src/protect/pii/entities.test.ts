import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  countPii,
  createRedactionSession,
  detectPii,
  isValidDutchBsn,
  isValidFrenchNir,
  isValidItalianFiscalCode,
  isValidSpanishId,
  isValidSteuerId,
  isValidUkNino,
  type PiiSpan,
  redactPii,
} from '../index.ts';

/**
 * Names, places, organisations, addresses, ages and national identifiers. Fixtures are written here:
 * `{{type:value}}` marks an expected span, everything else must produce none.
 */
function label(marked: string): { text: string; spans: PiiSpan[] } {
  const spans: PiiSpan[] = [];
  let text = '';
  let cursor = 0;
  for (const match of marked.matchAll(/\{\{([a-z_]+):(.+?)\}\}/gs)) {
    text += marked.slice(cursor, match.index);
    const value = match[2] ?? '';
    spans.push({ type: match[1] ?? '', start: text.length, end: text.length + value.length });
    text += value;
    cursor = match.index + match[0].length;
  }
  return { text: text + marked.slice(cursor), spans };
}

const show = (text: string, spans: readonly PiiSpan[]) => spans.map((s) => `${s.type}:${text.slice(s.start, s.end)}`);

const positives = [
  // people: introductions, honorifics, roles, signatures, lists
  'Adjuster notes: spoke with {{person:Margaret Okafor}} (insured) about the leak.',
  '{{person:Cal Roberts}}, adjuster, inspected the roof on Tuesday.',
  'Dear {{title:Ms.}} {{person:Okafor}}, thank you for your call.',
  'Kind regards,\n{{person:Tomasz Wiśniewski}}\n{{title:Claims Handler}}',
  'Policyholder: {{person:Anneliese Brandt}}, born {{date_of_birth:4 May 1962}}.',
  'My name is {{person:Priya Raman}} and my policy lapsed.',
  'The witnesses were {{person:Hannah}}, {{person:Derek}} and {{person:Oluwaseun Adeyemi}}.',
  'Please add {{person:Jean-Luc Moreau}} as a named driver.',
  'Statement by {{person:Sean O’Connell}}: the van reversed into the gate.',
  'The claim was reported by {{person:Maria J. Delgado}} on the hotline.',
  // titles: honorifics before a name, job titles in a role's positions
  '{{title:Prof. Dr.}} {{person:Anneliese Brandt}} and {{title:Mr}} {{person:Okafor}} signed; {{title:dr.}} {{person:eva kleist}} did not.',
  '{{person:Marie Langrová}}, the {{title:Chief Underwriter}}, said the risk was declined.',
  'I worked for {{organization:Hargreaves Roofing Ltd}} as {{title:Senior Claims Adjuster}} until 2019.',
  '{{person:Julieta Almeida}}\n\n{{title:Staff development specialist}}\n',
  // nationalities, religions, political groups
  'The claimant, a {{nrp:Catholic}} priest, and his {{nrp:Russian Orthodox}} neighbour disagreed.',
  'We insure {{nrp:Turkish}} and {{nrp:Greek}} hauliers; I am {{nrp:cambodian}}; a {{nrp:Democrat}} councillor.',
  // places
  'The insured moved from {{location:Portugal}} to {{location:Manchester}} in 2019.',
  'Our branch in {{location:Toronto}} handles {{location:Ontario}} policies.',
  // organisations
  '{{person:Amadeo Vitorović}} from {{organization:Rapid Cycle Solutions}} is the keynote speaker.',
  'Probate is handled at {{organization:Hawkins, Richardson and Santana}}; {{person:Tomomi Nishiyama}} lives at the farm.',
  'Repairs by {{organization:Hargreaves Roofing Ltd}}; the carrier is {{organization:Nordic Mutual Insurance}}.',
  'She works for {{organization:Kessler Logistics GmbH}} in {{location:Germany}}.',
  // addresses in running text: one span from the house number to the last part
  'Risk address: {{street_address:27 Willow Crescent, Springfield, IL 62704}}.',
  'Lieferadresse: {{street_address:Hauptstraße 12, 10115 Berlin}}.',
  'Please send the card to {{street_address:88 Harbour Road\n Suite 12\n Portsmouth\n United Kingdom PO1 3AB}}.',
  'Our office is at {{street_address:1 Canada Square, Canary Wharf, London E14 5AB, United Kingdom}}.',
  'Mail it to {{street_address:PO Box 4471, Hartford, CT 06101}} by Friday.',
  'The insured lives at {{street_address:Kesk 53 Apt. 12, Tartu, Estonia}} since May.',
  'Address:\n{{street_address:Wiener Straße 4\n Apt. 2\n Graz\n Austria 8010}}',
  'Meet me at {{street_address:the corner of Main Street and 5th Avenue}}; I am at {{street_address:the corner of Csabai kapu 39. and Mathias Pass}}.',
  // … with one place only, or laid out as a label (a line per field): by component
  'Send it to {{street_address:PO Box 4471}} or to {{street_address:14 Crown Street Suite 5}}.',
  'She lives at {{street_address:14 Orchard Lane}}, {{location:Leeds}}.',
  '{{person:Dana Whitfield}}\n{{street_address:27 Willow Crescent}}\n{{street_address:Apt. 4}}\n{{location:Springfield}}\n{{location:IL}} {{postal_code:62704}}',
  'Card {{credit_card:4111 1111 1111 1111}} for {{street_address:88 Harbour Road, Portsmouth, PO1 3AB}}.',
  // ages
  'The claimant, a {{age:47}}-year-old driver, was not injured; her son is {{age:9}} years old.',
  // national ids and documents (published example numbers)
  'NI number {{national_id:AB 12 34 56 C}}; Steuer-ID {{national_id:86095742719}}; DNI {{national_id:12345678Z}}.',
  'Codice fiscale {{national_id:RSSMRA85T10A562S}}, BSN {{national_id:111222333}}, NIR {{national_id:184127645108946}}.',
  'Passport number: {{passport_number:C01X00T47}}; driver’s license number is {{drivers_license:D123-4567-8901}}.',
];

// Capitalised words that are not names: headings, titles, sentence starts, insurance terms.
const negatives = [
  'Water Damage\nClaims Procedures Manual\nCoverage A — Dwelling',
  'Section 4: Loss Settlement. Personal Property Replacement Cost applies.',
  'The Insured Must Notify Us Promptly Of Any Loss.',
  'Will the adjuster call back? May we close the file? Grant of coverage is subject to review.',
  'Frank discussion with the contractor. Rose-coloured estimates are common.',
  'Actual Cash Value, Named Storm Deductible, Ordinance Or Law Coverage.',
  'Refer To Underwriting Manager when the limit exceeds the Referral Threshold.',
  'USD 12,000 paid under Coverage C; IBAN and SWIFT details on file; see FAQ.',
  'Version 10.2.3.4 of the rating engine; build 10.0.0.12; ratio 3/4.',
  'In Section 2 of the Policy Schedule the Deductible is stated.',
  'The roof is 17 years of age; turned off the water at 10:30; aged stock.',
  // policy wording and schedules with numbers next to capitalised words
  'Section 4 Loss Settlement\nCoverage A 250,000\nDeductible 1,000\nExcess 250',
  'Refer to Clause 12, Part B, Schedule 3 of the Policy Wording.',
  'Schedule 2, Section 3, Item 4 Buildings, Item 5 Contents, Endorsement HO 04 90.',
  'The fire started in Room 3 on Floor 2 of the warehouse; Unit 4 was not affected.',
  'Limits: Buildings 500,000, Contents 75,000, Business Interruption 12 months.',
  // nationality words that describe a law, a language, a currency, a style, a plant, or are part of a name
  'This policy is governed by English law and the English courts; the German version prevails.',
  'The form is available in English, French and German.',
  'Swiss Re and American Express; paid in Swiss francs; a Georgian terrace with Japanese knotweed.',
  'Polish the floor. Conservative estimates apply. Liberal use of sealant is advised.',
  'The adjuster, the surveyor and the loss adjuster attended as agreed.',
  'Risk Solutions\nClaims Services for Commercial Lines. Water damage at the corner of the building.',
];

describe('detectPii: names, places, organisations, addresses', () => {
  for (const marked of positives) {
    test(`finds exactly: ${marked.slice(0, 70)}`, () => {
      const { text, spans } = label(marked);
      assert.deepEqual(show(text, detectPii(text)), show(text, spans));
    });
  }
  for (const text of negatives) {
    test(`finds nothing in: ${text.slice(0, 70)}`, () => {
      assert.deepEqual(show(text, detectPii(text)), []);
    });
  }

  test('published example identifiers pass their checksums, altered ones do not', () => {
    assert.equal(isValidUkNino('AB123456C'), true);
    assert.equal(isValidUkNino('GB123456C'), false); // never issued
    assert.equal(isValidUkNino('DA123456C'), false); // D is not a prefix letter
    assert.equal(isValidSteuerId('86095742719'), true);
    assert.equal(isValidSteuerId('65929970489'), true);
    assert.equal(isValidSteuerId('86095742718'), false);
    assert.equal(isValidSteuerId('11111111111'), false); // digit-frequency rule
    assert.equal(isValidSpanishId('12345678Z'), true);
    assert.equal(isValidSpanishId('12345678A'), false);
    assert.equal(isValidItalianFiscalCode('RSSMRA85T10A562S'), true);
    assert.equal(isValidItalianFiscalCode('RSSMRA85T10A562T'), false);
    assert.equal(isValidDutchBsn('111222333'), true);
    assert.equal(isValidDutchBsn('111222334'), false);
    assert.equal(isValidFrenchNir('184127645108946'), true);
    assert.equal(isValidFrenchNir('184127645108947'), false);
  });

  test('a failed checksum or a missing keyword means no national id', () => {
    const text = 'Ref 86095742718, order 86095742719, DNI 12345678A, code RSSMRA85T10A562T, BSN 111222334.';
    assert.deepEqual(show(text, detectPii(text)), []);
  });

  test('every span has a score in 0..1, and context raises it', () => {
    const bare = detectPii('We met Okafor there.');
    const titled = detectPii('We met Mr. Okafor there.');
    const titledScore = titled.find((span) => span.type === 'person')?.score ?? 0;
    const bareScore = bare.find((span) => span.type === 'person')?.score ?? 0;
    assert.ok(titledScore > bareScore, `${titledScore} > ${bareScore}`);
    for (const span of detectPii(label(positives.join('\n')).text)) assert.ok(span.score > 0 && span.score <= 1);
  });

  test('minScore trades recall for precision', () => {
    const text = 'Call 467 3395 or write to Cal Roberts, adjuster; card 4111 1111 1111 1111.';
    const all = detectPii(text).map((span) => span.type);
    const sure = detectPii(text, { minScore: 0.99 }).map((span) => span.type);
    assert.deepEqual(all, ['phone', 'person', 'credit_card']);
    assert.deepEqual(sure, ['credit_card']);
  });

  test('redaction keeps the text readable: the same person gets the same placeholder in a session', () => {
    const session = createRedactionSession();
    const first = 'Margaret Okafor (insured) called; Dana Whitfield, adjuster, called back.';
    const second = 'Ask Margaret Okafor for the invoice.';
    const a = redactPii(first, detectPii(first), session).text;
    const b = redactPii(second, detectPii(second), session).text;
    assert.equal(a, '[PERSON_1] (insured) called; [PERSON_2], adjuster, called back.');
    assert.equal(b, 'Ask [PERSON_1] for the invoice.');
    assert.equal(session.restore(b), second);
    assert.deepEqual(countPii(detectPii(first)), { person: 2 });
  });

  test('long texts of capitalised words stay linear', () => {
    // A quadratic step over 760,000 characters would not finish within the test timeout.
    assert.deepEqual(detectPii('Claims Procedures Manual Water Damage '.repeat(20_000)), []);
    assert.deepEqual(show('Dana Whitfield, '.repeat(5), detectPii('Dana Whitfield, '.repeat(5))).length, 5);
    // Addresses, descriptors and firm names over a long document: every one found, in linear time.
    const record =
      'Dana Whitfield, a Russian Catholic, lives at 14 Crown Street, London, United Kingdom SW1A 1AA; Suite 5. ' +
      'Probate at Hawkins, Richardson and Santana; the corner of Main Street and 5th Avenue. ';
    const spans = detectPii(record.repeat(10_000));
    assert.equal(spans.length, 60_000);
    assert.deepEqual(countPii(spans), {
      person: 10_000,
      nrp: 10_000,
      street_address: 30_000,
      organization: 10_000,
    });
  });
});
