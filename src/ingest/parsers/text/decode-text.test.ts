import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import iconv from 'iconv-lite';
import { decodeText, scorePlausibility, sniffDeclaredCharset } from './decode-text.ts';

const encode = (text: string, encoding: string) => new Uint8Array(iconv.encode(text, encoding));

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
});
