import assert from 'node:assert/strict';
import { test } from 'node:test';
import { zipSync } from 'fflate';
import { isGroundworkError } from '../../core/index.ts';
import { chunkDocument, maxTextCharsForChunks } from '../chunking/index.ts';
import { defaultParseLimits, parseDocument } from '../parsers/parse-document.ts';
import { type PrepareContext, prepareDocument } from './prepare-document.ts';

test("a document's PII summary counts each occurrence once, though overlapping chunks repeat some", async () => {
  const emails = Array.from({ length: 40 }, (_, i) => `agent${i}@broker-${i}.example`);
  const text = emails.map((email, i) => `Claim note ${i}: the broker wrote from ${email} about the water damage.`).join(' ');
  const prepared = await prepareDocument(
    {
      parse: parseDocument,
      chunk: chunkDocument,
      limits: defaultParseLimits,
      chunking: { targetTokens: 60, overlapTokens: 20, maxChunks: 10_000 },
      aclMap: undefined,
      piiPatterns: undefined,
      sensitivityRules: [],
      defaultSensitivity: 'internal',
      piiSensitivity: {},
    },
    { ref: 'notes.txt', bytes: new TextEncoder().encode(text) },
  );
  const perChunk = prepared.chunks.reduce((n, chunk) => n + chunk.pii.filter((span) => span.type === 'email').length, 0);
  assert.ok(prepared.chunks.length > 3);
  assert.ok(perChunk > emails.length, `the overlap repeats some addresses (${perChunk} spans on chunks)`);
  assert.equal(prepared.piiSummary.email, emails.length);
});

test('a document over ingest.maxChunksPerDocument is refused whole; an archive member over it fails alone', async () => {
  const maxChunks = 5;
  const context: PrepareContext = {
    parse: parseDocument,
    chunk: chunkDocument,
    limits: { ...defaultParseLimits, maxTextChars: maxTextCharsForChunks(maxChunks, { targetTokens: 60 }) },
    chunking: { targetTokens: 60, overlapTokens: 10, maxChunks },
    aclMap: undefined,
    piiPatterns: undefined,
    sensitivityRules: [],
    defaultSensitivity: 'internal',
    piiSensitivity: {},
  };
  const sentences = (n: number) =>
    Array.from({ length: n }, (_, i) => `Claim ${i} was reported after the storm damaged the roof.`).join(' ');
  const encoder = new TextEncoder();
  const fits = await prepareDocument(context, { ref: 'fits.txt', bytes: encoder.encode(sentences(10)) });
  assert.ok(fits.chunks.length > 1 && fits.chunks.length <= maxChunks);

  // Few enough characters to be parsed, too many chunks: the chunker refuses it before building any chunk.
  const tooMany = encoder.encode(sentences(40));
  assert.ok(tooMany.length < context.limits.maxTextChars);
  const isTooLarge = (ref: string) => (error: unknown) =>
    isGroundworkError(error) &&
    error.code === 'ingest.too_large' &&
    error.message.startsWith(`${ref}: `) &&
    /ingest\.maxChunksPerDocument/.test(error.message) &&
    /raise ingest\.maxChunksPerDocument/.test(error.fix ?? '');
  await assert.rejects(prepareDocument(context, { ref: 'many.txt', bytes: tooMany }), isTooLarge('many.txt'));
  // Far more text than 5 chunks can hold: decoding stops early, with the same code.
  await assert.rejects(
    prepareDocument(context, { ref: 'huge.txt', bytes: encoder.encode(sentences(400)) }),
    isTooLarge('huge.txt'),
  );

  const archive = zipSync({ 'big.txt': tooMany, 'small.txt': encoder.encode(sentences(3)) });
  const prepared = await prepareDocument(context, { ref: 'bundle.zip', bytes: archive });
  assert.deepEqual(
    prepared.children.map((child) => child.ref),
    ['bundle.zip!/small.txt'],
  );
  assert.deepEqual(
    prepared.childFailures.map((failure) => [failure.ref, failure.code]),
    [['bundle.zip!/big.txt', 'ingest.too_large']],
  );
});
