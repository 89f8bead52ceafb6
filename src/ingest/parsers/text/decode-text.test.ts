import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import iconv from 'iconv-lite';
import { isGroundworkError } from '../../../core/index.ts';
import { createTextBudget } from '../text-budget.ts';
import { decodeText, scorePlausibility, sniffDeclaredCharset, utf8Evidence } from './decode-text.ts';

const encode = (text: string, encoding: string) => new Uint8Array(iconv.encode(text, encoding));
const utf8 = (text: string) => new TextEncoder().encode(text);
const replacements = (text: string) => text.split('\ufffd').length - 1;

/** Joins byte strings: UTF-8 text and raw bytes. */
function bytesOf(...parts: (string | number[])[]): Uint8Array {
  const chunks = parts.map((part) => (typeof part === 'string' ? utf8(part) : new Uint8Array(part)));
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

describe('decodeText', () => {
  test('byte-order marks decide: UTF-8, UTF-16LE, UTF-16BE', () => {
    const text = 'Schadenmeldung für Wasser — 25 €';
    assert.deepEqual(
      [
        decodeText(new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(text)])),
        decodeText(new Uint8Array([0xff, 0xfe, ...iconv.encode(text, 'utf-16le')])),
        decodeText(new Uint8Array([0xfe, 0xff, ...iconv.encode(text, 'utf-16be')])),
      ].map((result) => [result.text, result.encoding, result.confidence]),
      [
        [text, 'utf-8', 1],
        [text, 'utf-16le', 1],
        [text, 'utf-16be', 1],
      ],
    );
  });

  test('valid UTF-8 is certain and carries no warning', () => {
    const result = decodeText(new TextEncoder().encode('Zażółć gęślą jaźń — 日本語'));
    assert.equal(result.encoding, 'utf-8');
    assert.equal(result.warnings.length, 0);
  });

  test('UTF-16LE without a BOM is recognised by its NUL pattern', () => {
    const text = 'Claim CL-2026-0142: water damage, café ceiling.';
    const result = decodeText(encode(text, 'utf-16le'));
    assert.equal(result.text, text);
    assert.equal(result.encoding, 'utf-16le');
  });

  test('Windows-1252 with accents and the euro sign', () => {
    const text = 'Le café du coin était naïve: 25 € pour un crème brûlée, déjà payé à l’avance — reçu n° 42.';
    const result = decodeText(encode(text, 'windows-1252'));
    assert.equal(result.text, text);
    assert.equal(result.encoding, 'windows-1252');
  });

  test('Shift_JIS Japanese', () => {
    const text = '保険金請求の手続きについて説明します。水漏れの損害は二十四時間以内に報告してください。';
    const result = decodeText(encode(text, 'shift_jis'));
    assert.equal(result.text, text);
    assert.match(result.encoding, /shift_jis|cp932/);
    assert.equal(result.warnings.length, 0);
  });

  test('ISO-8859-2 Polish', () => {
    const text = 'Zażółć gęślą jaźń. Pchnąć w tę łódź jeża lub ośm skrzyń fig. Szkoda wodna w łazience.';
    const result = decodeText(encode(text, 'iso-8859-2'));
    assert.equal(result.text, text);
  });

  test('Windows-1251 Russian', () => {
    const text = 'Заявление о страховом случае: повреждение водой в ванной комнате, ущерб оценен в 25 тысяч рублей.';
    assert.equal(decodeText(encode(text, 'windows-1251')).text, text);
  });

  test('a short ambiguous Windows-1252 sample is not turned into mojibake, and says it guessed', () => {
    // 40 bytes: the kind of sample jschardet calls MacCyrillic.
    const text = 'Café naïve: 25 € fee, Straße Nr. 4 – ok.';
    const bytes = encode(text, 'windows-1252');
    assert.equal(bytes.length, 40);
    const result = decodeText(bytes);
    assert.equal(result.text, text);
    assert.equal(result.encoding, 'windows-1252');
    const warning = result.warnings.find((entry) => entry.code === 'encoding.guessed');
    assert.ok(warning, 'expected an encoding.guessed warning');
    assert.ok((warning.confidence ?? 1) < 0.8);
  });

  test('a large file whose only non-ASCII text comes late is still decoded right', () => {
    const ascii = Array.from({ length: 5000 }, (_, index) => `Line ${index}: plain ASCII claim notes without accents.`).join(
      '\n',
    );
    const text = `${ascii}\nRésumé du sinistre: dégât des eaux, franchise 500 € – déjà réglé.\nMême chose pour le garçon, naïve question.`;
    const bytes = encode(text, 'windows-1252');
    assert.ok(bytes.length > 200_000);
    const result = decodeText(bytes);
    assert.equal(result.encoding, 'windows-1252');
    assert.equal(result.text, text);
  });

  test('C1 control characters mean Windows-1252, not ISO-8859-1', () => {
    const text = '“Quoted” – and € signs… ‘single’';
    const result = decodeText(encode(text, 'windows-1252'));
    assert.equal(result.text, text);
  });

  test('a declared charset is a strong hint but valid UTF-8 wins over a wrong declaration', () => {
    const utf8 = new TextEncoder().encode('<meta charset="windows-1252"><p>Café</p>');
    assert.equal(decodeText(utf8, { declaredEncoding: 'windows-1252' }).text, '<meta charset="windows-1252"><p>Café</p>');
    assert.equal(sniffDeclaredCharset(new TextEncoder().encode('<html><head><meta charset="ISO-8859-2">')), 'ISO-8859-2');
    assert.equal(
      sniffDeclaredCharset(new TextEncoder().encode('<meta http-equiv="Content-Type" content="text/html; charset=shift_jis">')),
      'shift_jis',
    );
  });

  test('plausibility prefers real words over mojibake', () => {
    assert.ok(scorePlausibility('naïve café').plausibility > scorePlausibility('naÔve cafÈ').plausibility);
    assert.ok(scorePlausibility('Zażółć').plausibility > scorePlausibility('Za¿ó³æ').plausibility);
    assert.ok(scorePlausibility('café').plausibility > scorePlausibility('cafй').plausibility);
  });

  test('mostly valid UTF-8 with a few stray bytes stays UTF-8, with replacement characters and a warning', () => {
    const words = Array.from({ length: 200 }, (_, index) => ['é', 'ü', '€'][index % 3]).join(' Schaden ');
    const bytes = bytesOf(
      `Prüfbericht: ${words.slice(0, 400)}`,
      [0xe9],
      words.slice(400, 900),
      [0xff],
      words.slice(900),
      [0xe9],
      ' Ende.',
    );
    const result = decodeText(bytes);
    assert.equal(result.encoding, 'utf-8');
    assert.equal(replacements(result.text), 3);
    assert.ok(result.text.startsWith('Prüfbericht: é Schaden ü Schaden €'));
    const warning = result.warnings.find((entry) => entry.code === 'encoding.invalid_bytes');
    assert.ok(warning, 'expected an encoding.invalid_bytes warning');
    assert.match(warning.message, /\b3 byte sequences are not valid UTF-8/);
    assert.match(warning.message, /re-save the file as UTF-8/);
    assert.ok(result.confidence > 0.9 && result.confidence < 1);
  });

  test('a short UTF-8 sample with one stray byte is not read as a legacy code page', () => {
    for (const [bytes, expected] of [
      [bytesOf('Grüße aus Köln', [0xa0], 'und Zürich.'), 'Grüße aus Köln\ufffdund Zürich.'],
      [bytesOf('Заявление', [0xff]), 'Заявление\ufffd'],
      [bytesOf('Schadenmeldung für Wasser — 25 €', [0xe9]), 'Schadenmeldung für Wasser — 25 €\ufffd'],
    ] as const) {
      const result = decodeText(bytes);
      assert.equal(result.text, expected);
      assert.equal(result.encoding, 'utf-8');
      assert.match(result.warnings[0]?.message ?? '', /\b1 byte sequence is not valid UTF-8/);
    }
  });

  test('legacy text that happens to contain valid UTF-8 pairs is still legacy (Ukrainian in Windows-1251)', () => {
    // "Ві", "Іі", "Кі": a capital 0xC0–0xDF before і (0xB3) or ї (0xBF) forms a valid two-byte UTF-8 sequence.
    const text = 'Він сказав, що Іван і Ірина вже виїхали до Києва. Відшкодування збитків від затоплення квартири.';
    const bytes = encode(text, 'windows-1251');
    const evidence = utf8Evidence(bytes);
    assert.ok(evidence.valid > 0, 'the sample has accidental valid sequences');
    const result = decodeText(bytes);
    assert.equal(result.text, text);
    assert.equal(result.encoding, 'windows-1251');
    for (const [legacy, encoding] of [
      ['Le café du coin était naïve: 25 € pour un crème brûlée.', 'windows-1252'],
      ['保険金請求の手続きについて説明します。水漏れの損害は報告してください。', 'shift_jis'],
    ] as const) {
      assert.ok(utf8Evidence(encode(legacy, encoding)).invalid > 2 * utf8Evidence(encode(legacy, encoding)).valid);
    }
  });

  test('utf8Evidence counts what the WHATWG decoder replaces (seeded random byte strings)', () => {
    const pieces: number[][] = [
      [0x61],
      [0xc3, 0xa9],
      [0xe2, 0x82, 0xac],
      [0xf0, 0x9f, 0x98, 0x80],
      [0xff],
      [0xc3],
      [0xe2, 0x82],
      [0xf0, 0x9f],
      [0xed, 0xa0, 0x80],
      [0xc0, 0x80],
      [0xe0, 0x80, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
      [0x80],
    ];
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let run = 0; run < 300; run++) {
      const parts = Array.from({ length: 1 + (random() % 30) }, () => pieces[random() % pieces.length] as number[]);
      const bytes = bytesOf(...parts);
      const decoded = new TextDecoder().decode(bytes);
      const evidence = utf8Evidence(bytes);
      assert.equal(evidence.invalid, replacements(decoded), `invalid count of ${[...bytes].map((b) => b.toString(16))}`);
      const multiByte = Array.from(decoded).filter((char) => char !== '\ufffd' && (char.codePointAt(0) ?? 0) >= 0x80).length;
      assert.equal(evidence.valid, multiByte);
    }
  });

  test('large files decode slice by slice: characters split across slices survive, in every encoding', () => {
    const line = 'Schadenmeldung für Wasser — 25 € 😀 保険金請求\n';
    const text = line.repeat(Math.ceil((3 * 1024 * 1024) / line.length));
    assert.equal(decodeText(utf8(text)).text, text);
    assert.equal(
      decodeText(new Uint8Array([0xff, 0xfe, ...iconv.encode(text.slice(0, 1_500_000), 'utf-16le')])).text,
      text.slice(0, 1_500_000),
    );
    const japanese = '保険金請求の手続きについて説明します。水漏れの損害は報告してください。\n'.repeat(40_000);
    const sjis = encode(japanese, 'shift_jis');
    assert.ok(sjis.length > 2 * 1024 * 1024);
    assert.equal(decodeText(sjis).text, japanese);
    const western = 'Le café du coin était naïve: 25 € pour un crème brûlée.\n'.repeat(40_000);
    assert.equal(decodeText(encode(western, 'windows-1252')).text, western);
  });

  test('a budget stops decoding with ingest.too_large; text within it decodes whole', () => {
    const text = 'word '.repeat(1_000_000); // 4,000,000 visible characters over about 5 MB
    assert.throws(
      () => decodeText(utf8(text), { budget: createTextBudget('big.txt', 1_000_000) }),
      (error: unknown) =>
        isGroundworkError(error) &&
        error.code === 'ingest.too_large' &&
        /ingest\.maxChunksPerDocument/.test(`${error.message} ${error.fix}`) &&
        error.message.startsWith('big.txt'),
    );
    assert.equal(decodeText(utf8(text), { budget: createTextBudget('ok.txt', 4_000_000) }).text, text);
    // Tags do not count for HTML: a page of inline images is not "too much text".
    const page = `<p>Claim</p><img src="data:image/png;base64,${'A'.repeat(3_000_000)}">`;
    assert.equal(decodeText(utf8(page), { budget: createTextBudget('p.html', 100, { skipTags: true }) }).text, page);
  });
});
