import assert from 'node:assert/strict';
import { test } from 'node:test';
import { strToU8, zipSync } from 'fflate';
import { makeZip, makeZipBomb } from '../fixtures/generate-fixtures.ts';
import { defaultParseLimits, parseDocument } from '../parse-document.ts';
import { parserContract } from '../parser.contract.ts';
import { safeMemberPath, zipParser } from './zip-parser.ts';

parserContract({
  parser: zipParser,
  samples: async () => [{ fileName: 'claim-file.zip', bytes: makeZip() }],
});

test('members become children with safe paths; directories are skipped', async () => {
  const document = await parseDocument({ bytes: makeZip(), fileName: 'claim-file.zip', limits: defaultParseLimits });
  assert.equal(document.title, 'claim-file');
  assert.deepEqual(
    document.children.map((child) => [child.name, child.path, new TextDecoder().decode(child.bytes)]),
    [
      ['notes.txt', 'claims/notes.txt', 'Adjuster notes for claim CL-2026-0142.'],
      ['summary.md', 'claims/2026/summary.md', '# Summary\n\nWater damage in the upstairs bathroom.'],
      ['evil.txt', 'etc/evil.txt', 'should land inside the archive'],
    ],
  );
  assert.equal(safeMemberPath('C:\\Windows\\..\\..\\system.ini'), 'Windows/system.ini');
  assert.equal(safeMemberPath('/abs/./x.txt'), 'abs/x.txt');
  assert.equal(safeMemberPath('dir/'), undefined);
});

test('zip bombs are refused by ratio, total size, entry count and nesting depth', async () => {
  const limits = defaultParseLimits;
  await assert.rejects(parseDocument({ bytes: makeZipBomb(20), fileName: 'bomb.zip', limits }), { code: 'parse.zip_bomb' });
  await assert.rejects(
    parseDocument({ bytes: makeZip(), fileName: 'big.zip', limits: { ...limits, zip: { ...limits.zip, maxTotalBytes: 50 } } }),
    (error: Error & { code: string }) => error.code === 'parse.zip_bomb' && /maxTotalBytes/.test(error.message),
  );
  await assert.rejects(
    parseDocument({ bytes: makeZip(), fileName: 'many.zip', limits: { ...limits, zip: { ...limits.zip, maxEntries: 2 } } }),
    (error: Error & { code: string }) => error.code === 'parse.zip_bomb' && /maxEntries/.test(error.message),
  );
  await assert.rejects(
    parseDocument({ bytes: makeZip(), fileName: 'deep.zip', limits, depth: 3 }),
    (error: Error & { code: string }) => {
      return error.code === 'parse.zip_bomb' && /nested/.test(error.message);
    },
  );
});

test('members over the file size limit are skipped with a warning; an empty archive is parse.empty', async () => {
  const bytes = zipSync({ 'small.txt': strToU8('ok'), 'large.txt': strToU8('x'.repeat(5000)) });
  const document = await parseDocument({ bytes, fileName: 'mixed.zip', limits: { ...defaultParseLimits, maxBytes: 4000 } });
  assert.deepEqual(
    document.children.map((child) => child.path),
    ['small.txt'],
  );
  assert.equal(document.warnings[0]?.code, 'zip.member_skipped');
  await assert.rejects(
    parseDocument({ bytes: zipSync({ 'empty/': new Uint8Array(0) }), fileName: 'e.zip', limits: defaultParseLimits }),
    {
      code: 'parse.empty',
    },
  );
});

test('an archive with encrypted members fails with parse.encrypted', async () => {
  const bytes = zipSync({ 'secret.txt': strToU8('password protected member') });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let offset = 0; offset + 4 <= bytes.length; offset++) {
    const signature = view.getUint32(offset, true);
    // General purpose flag bit 0 ("encrypted") in the local header and the central directory entry.
    if (signature === 0x04034b50) view.setUint16(offset + 6, view.getUint16(offset + 6, true) | 1, true);
    if (signature === 0x02014b50) view.setUint16(offset + 8, view.getUint16(offset + 8, true) | 1, true);
  }
  await assert.rejects(parseDocument({ bytes, fileName: 'secret.zip', limits: defaultParseLimits }), { code: 'parse.encrypted' });
});
