import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chunkDocument } from '../chunking/index.ts';
import { defaultParseLimits, parseDocument } from '../parsers/parse-document.ts';
import { prepareDocument } from './prepare-document.ts';

test("a document's PII summary counts each occurrence once, though overlapping chunks repeat some", async () => {
  const emails = Array.from({ length: 40 }, (_, i) => `agent${i}@broker-${i}.example`);
  const text = emails.map((email, i) => `Claim note ${i}: the broker wrote from ${email} about the water damage.`).join(' ');
  const prepared = await prepareDocument(
    {
      parse: parseDocument,
      chunk: chunkDocument,
      limits: defaultParseLimits,
      chunking: { targetTokens: 60, overlapTokens: 20 },
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
