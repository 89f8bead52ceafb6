import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { startOpenAICompatibleServer } from '../../test/helpers/openai-compatible-server.ts';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { callerWithPrincipals } from '../core/index.ts';
import { addSource } from '../ingest/index.ts';

/**
 * docs/vocabulary.md "Using a fine-tuned embedding model": a model served behind an OpenAI-compatible
 * endpoint (vLLM, text-embeddings-inference, Ollama, LiteLLM…) is configured as a provider with a base URL and
 * named in `models.embedding`; ingestion embeds chunks with it and searches embed the query with it.
 */
describe(`fine-tuned embedding model over an OpenAI-compatible endpoint (${testStoreKind})`, () => {
  test('ingestion and vector search call the configured endpoint with the fine-tuned model id', async () => {
    // The "fine-tuned" model has learnt the domain: FNOL and "first notice of loss" land together.
    const server = await startOpenAICompatibleServer({
      dimensions: 3,
      embed: (input) => {
        const text = input.toLowerCase();
        const loss = /fnol|first notice of loss/.test(text) ? 1 : 0;
        const hours = /office|hours/.test(text) ? 1 : 0;
        return [loss, hours, 0.05];
      },
    });
    const folder = mkdtempSync(join(tmpdir(), 'gw-finetuned-'));
    writeFileSync(join(folder, 'intake.txt'), 'Submit the first notice of loss within three days of the incident.\n');
    writeFileSync(join(folder, 'hours.txt'), 'The office opens at nine and closes at five.\n');
    const platform = await createTestPlatform({
      models: {
        providers: { finetuned: { type: 'openai-compatible', baseUrl: server.baseUrl } },
        embedding: { model: 'finetuned:claims-embed-ft-2026-12', dimensions: 3 },
      },
    });
    try {
      await addSource(platform.db, { name: 'share', type: 'filesystem', path: folder, readableBy: ['group:staff'] });
      await platform.ingestion.sync({ source: 'share' });
      const found = await platform.retriever.search({
        query: 'FNOL',
        caller: callerWithPrincipals(['group:staff']),
        mode: 'vector',
        k: 1,
      });
      assert.deepEqual(
        found.hits.map((h) => h.uri.split('/').pop()),
        ['intake.txt'],
      );
      const embeddingCalls = server.requests.filter((r) => r.path === '/v1/embeddings');
      assert.ok(embeddingCalls.length >= 2, 'chunks at ingestion and the query at search');
      assert.ok(embeddingCalls.every((r) => (r.body as { model?: string }).model === 'claims-embed-ft-2026-12'));
    } finally {
      await platform.close();
      await server.close();
    }
  });
});
