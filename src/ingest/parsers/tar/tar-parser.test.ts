import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { makeTar, makeTarGz, makeTarGzBomb, sampleTarMembers } from '../fixtures/generate-legacy-fixtures.ts';
import { defaultParseLimits, parseDocument } from '../parse-document.ts';
import { parserContract } from '../parser.contract.ts';
import { tarParser } from './tar-parser.ts';

parserContract({
  parser: tarParser,
  samples: async () => [
    { fileName: 'claims-2011.tar.gz', bytes: makeTarGz() },
    { fileName: 'claims-2011.tar', bytes: makeTar(sampleTarMembers()) },
    { fileName: 'letter.txt.gz', bytes: new Uint8Array(gzipSync('Dear policyholder, your claim was settled.')) },
  ],
});

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

test('tar and tar.gz members become children with safe paths; links and devices are skipped with a warning', async () => {
  for (const [fileName, bytes] of [
    ['claims-2011.tgz', makeTarGz()],
    ['claims-2011.tar', makeTar(sampleTarMembers())],
  ] as const) {
    const document = await parseDocument({ bytes, fileName, limits: defaultParseLimits });
    assert.equal(document.title, 'claims-2011');
    const longName = `claims/${'very-long-folder-name/'.repeat(6)}deep.txt`;
    assert.deepEqual(
      document.children.map((child) => [child.name, child.path, text(child.bytes)]),
      [
        ['notes.txt', 'claims/notes.txt', 'Adjuster notes for claim CL-2011-0077: hail damage to the roof.'],
        ['summary.md', 'claims/2011/summary.md', '# Summary\n\nRoof replaced; deductible 500 USD.'],
        ['evil.txt', 'etc/evil.txt', 'should land inside the archive'],
        ['deep.txt', longName, 'A member with a name longer than 100 bytes.'],
      ],
    );
    assert.deepEqual(
      document.warnings.map((warning) => warning.code),
      ['zip.member_skipped', 'zip.member_skipped'],
    );
    assert.match(document.warnings[0]?.message ?? '', /link-to-passwd: a symlink .*never followed/);
    assert.match(document.warnings[1]?.message ?? '', /tty: a device/);
    assert.ok(document.children.every((child) => !child.path.split('/').includes('..') && !child.path.startsWith('/')));
  }
});

test('a gzip file that is not a tar archive is one child named by its gzip header or file name', async () => {
  const document = await parseDocument({
    bytes: new Uint8Array(gzipSync('Dear policyholder, your claim was settled.')),
    fileName: 'mail/letter.txt.gz',
    limits: defaultParseLimits,
  });
  assert.deepEqual(
    document.children.map((child) => [child.path, text(child.bytes)]),
    [['letter.txt', 'Dear policyholder, your claim was settled.']],
  );
});

test('tar bombs are refused like zip bombs: ratio while inflating, declared total, entries, depth', async () => {
  const limits = defaultParseLimits;
  await assert.rejects(
    parseDocument({ bytes: makeTarGzBomb(64), fileName: 'bomb.tar.gz', limits }),
    (error: Error & { code: string }) => {
      assert.equal(error.code, 'parse.zip_bomb');
      assert.match(error.message, /ratio over \d+:1 and growing/);
      return true;
    },
  );
  // 16 concatenated gzip members of 64 MiB of zeros each: 1 GiB+ once inflated, refused after ~200× its 1 MB.
  const member = makeTarGzBomb(64);
  const chain = new Uint8Array(member.length * 16);
  for (let index = 0; index < 16; index++) chain.set(member, index * member.length);
  await assert.rejects(parseDocument({ bytes: chain, fileName: 'chain.tgz', limits }), { code: 'parse.zip_bomb' });
  const plain = makeTar(sampleTarMembers());
  await assert.rejects(
    parseDocument({ bytes: plain, fileName: 'big.tar', limits: { ...limits, zip: { ...limits.zip, maxTotalBytes: 100 } } }),
    (error: Error & { code: string }) => error.code === 'parse.zip_bomb' && /maxTotalBytes/.test(error.message),
  );
  await assert.rejects(
    parseDocument({ bytes: plain, fileName: 'many.tar', limits: { ...limits, zip: { ...limits.zip, maxEntries: 3 } } }),
    (error: Error & { code: string }) => error.code === 'parse.zip_bomb' && /maxEntries/.test(error.message),
  );
  await assert.rejects(
    parseDocument({ bytes: plain, fileName: 'deep.tar', limits, depth: 3 }),
    (error: Error & { code: string }) => {
      return error.code === 'parse.zip_bomb' && /nested/.test(error.message);
    },
  );
  const large = makeTar([
    { name: 'small.txt', bytes: 'ok' },
    { name: 'large.txt', bytes: 'x'.repeat(5000) },
  ]);
  const document = await parseDocument({ bytes: large, fileName: 'large.tar', limits: { ...limits, maxBytes: 20_000 - 1 } });
  assert.deepEqual(
    document.children.map((child) => child.path),
    ['small.txt', 'large.txt'],
  );
  const skipped = await tarParser.parse({ bytes: large, fileName: 'large.tar', limits: { ...limits, maxBytes: 1000 } });
  assert.deepEqual(
    skipped.children.map((child) => child.path),
    ['small.txt'],
  );
  assert.match(skipped.warnings[0]?.message ?? '', /large\.txt: 5000 bytes exceeds ingest\.maxFileBytes/);
});

test('a truncated archive or a bad checksum is parse.corrupt', async () => {
  const bytes = makeTar(sampleTarMembers());
  const damaged = bytes.slice();
  damaged[10] = 0x41;
  await assert.rejects(tarParser.parse({ bytes: damaged, fileName: 'x.tar', limits: defaultParseLimits }), {
    code: 'parse.corrupt',
  });
  await assert.rejects(tarParser.parse({ bytes: bytes.subarray(0, 700), fileName: 'x.tar', limits: defaultParseLimits }), {
    code: 'parse.corrupt',
  });
  await assert.rejects(tarParser.parse({ bytes: makeTarGz().subarray(0, 60), fileName: 'x.tgz', limits: defaultParseLimits }), {
    code: 'parse.corrupt',
  });
});
