import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import OpenAI from 'openai';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { localOperator } from '../core/index.ts';
import { createApiKey, listAudit } from '../govern/index.ts';
import { detectInjection } from '../protect/index.ts';
import { setStage } from '../rollout/index.ts';
import { insertAclCorpus, insertPoisonedDocuments, plantedAttacks, principalPool, prng, words } from './fixtures/acl-corpus.ts';
import { createApp, startServer } from './index.ts';

type Citation = { documentId: string };
type Warning = { code: string; documentId: string };

function parseSse(text: string): Array<{ event: string; data: string }> {
  return text
    .split('\n\n')
    .filter((block) => block.trim())
    .map((block) => {
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        if (line.startsWith('data:')) data.push(line.slice(5).trim());
      }
      return { event, data: data.join('\n') };
    });
}

describe(`answers over HTTP (${testStoreKind})`, () => {
  test('randomized ACL leak test: answers and chat completions cite, and warn about, only documents the caller may read', async () => {
    const platform = await createTestPlatform({ server: { rateLimit: { requestsPerSecond: 0 } } });
    try {
      const random = prng(4242);
      const corpus = await insertAclCorpus(platform.db, random);
      await insertPoisonedDocuments(platform.db, prng(77), corpus, 12, detectInjection);
      let warned = 0;
      const { app } = createApp(platform, { webRoot: false, authCacheMs: 0 });
      let cited = 0;
      const asked: Array<{ token: string; principals: string[]; traceId: string }> = [];
      const current = new Map<string, string[]>();
      for (let k = 0; k < 5; k++) {
        const principals = principalPool.filter(() => random() < 0.35);
        const { token } = await createApiKey(
          platform.db,
          { name: `u${k}`, role: 'user', principals },
          { actor: 'local:operator' },
        );
        for (let q = 0; q < 4; q++) {
          const question = `What about ${words[Math.floor(random() * words.length)]} and ${words[Math.floor(random() * words.length)]}?`;
          const chat = q % 2 === 1;
          const response = await app.request(chat ? 'http://127.0.0.1/v1/chat/completions' : 'http://127.0.0.1/v1/answers', {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify(chat ? { model: 'default', messages: [{ role: 'user', content: question }] } : { question }),
          });
          assert.equal(response.status, 200, await response.clone().text());
          const body = (await response.json()) as {
            citations: Citation[];
            answer?: string;
            warnings?: Warning[];
            choices?: Array<{ message: { content: string } }>;
            groundwork?: { warnings: Warning[]; traceId: string };
            traceId?: string;
          };
          asked.push({ token, principals, traceId: body.traceId ?? body.groundwork?.traceId ?? '' });
          // Suspected prompt injection: warned about only for readable documents, never quoted.
          const warnings = (chat ? body.groundwork?.warnings : body.warnings) ?? [];
          const text = chat ? (body.choices?.[0]?.message.content ?? '') : (body.answer ?? '');
          for (const attack of plantedAttacks) assert.ok(!text.includes(attack), `quoted an attack: ${text}`);
          for (const warning of warnings) {
            warned += 1;
            assert.equal(warning.code, 'answer.injection_suspected');
            const allowed = corpus.principalsOf.get(warning.documentId) ?? [];
            assert.ok(
              allowed.some((p) => principals.includes(p)),
              `[${principals}] was warned about ${warning.documentId} [${allowed}]`,
            );
          }
          for (const citation of body.citations) {
            cited += 1;
            const allowed = corpus.principalsOf.get(citation.documentId) ?? [];
            assert.ok(
              allowed.some((p) => principals.includes(p)),
              `[${principals}] was shown ${citation.documentId} [${allowed}]`,
            );
          }
        }
      }
      assert.ok(cited > 0, 'some answers cited something');
      assert.ok(warned > 0, 'some answers were built from a poisoned document');

      // Then ACLs change at random (as a re-sync would apply them): no asker's own trace shows a document — id,
      // title or text — they may not read now, and an answer that used one is withheld.
      for (const [id] of corpus.principalsOf) {
        if (random() < 0.5) continue;
        const now = principalPool.filter(() => random() < 0.2);
        current.set(id, now);
        await platform.db.query('UPDATE documents SET principals = $2 WHERE id = $1', [id, now]);
        await platform.db.query('UPDATE chunks SET principals = $2 WHERE document_id = $1', [id, now]);
      }
      await platform.observe.recorder.flush();
      let withheld = 0;
      for (const { token, principals, traceId } of asked) {
        const response = await app.request(`http://127.0.0.1/v1/traces/${traceId}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        assert.equal(response.status, 200);
        const text = await response.text();
        const trace = JSON.parse(text) as { answer: string | null; answerWithheld?: string };
        const mentioned = [...text.matchAll(/doc_acl\d+/g)].map((m) => m[0]);
        for (const id of mentioned) {
          const allowed = current.get(id) ?? corpus.principalsOf.get(id) ?? [];
          assert.ok(
            allowed.some((p) => principals.includes(p)),
            `[${principals}] still sees ${id} [${allowed}] in trace ${traceId}`,
          );
        }
        if (trace.answerWithheld === 'restricted') withheld++;
        if (/withheld:document-/.test(text)) assert.equal(trace.answer, null, 'an answer built from a withheld document');
      }
      assert.ok(withheld > 0, 'some answers were withheld after the change');
    } finally {
      await platform.close();
    }
  });

  test('use cases restrict who may ask; viewers may not ask; changes are audited; answers stream as SSE', async () => {
    const platform = await createTestPlatform();
    try {
      await insertAclCorpus(platform.db, prng(11), 20);
      const { app } = createApp(platform, { webRoot: false, authCacheMs: 0 });
      const key = async (role: 'viewer' | 'user' | 'builder', principals: string[]) =>
        (await createApiKey(platform.db, { name: role, role, principals }, { actor: 'local:operator' })).token;
      const builder = await key('builder', ['user:b@x.test']);
      const claims = await key('user', ['user:c@x.test', 'group:claims']);
      const outsider = await key('user', ['user:o@x.test', 'group:legal']);
      const viewer = await key('viewer', ['user:v@x.test', 'group:claims']);
      const call = (token: string, path: string, method = 'GET', body?: unknown) =>
        app.request(`http://127.0.0.1${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });

      assert.equal((await call(claims, '/v1/use-cases/claims-qa', 'PUT', { principals: ['group:claims'] })).status, 403);
      const created = await call(builder, '/v1/use-cases/claims-qa', 'PUT', {
        description: 'Claims',
        principals: ['group:claims'],
      });
      assert.equal(created.status, 200, await created.clone().text());
      assert.equal((await listAudit(platform.db, { action: 'usecase.create' })).length, 1);
      // A new use case is a draft: only its builders reach it until it is rolled out (docs/rollout.md).
      assert.equal((await call(claims, '/v1/answers', 'POST', { question: 'deductible?', useCase: 'claims-qa' })).status, 403);
      await setStage(platform.governance, platform.db, localOperator, 'claims-qa', { stage: 'general' });
      platform.rollout.invalidate(); // written past the route: this process's cache hears it by notification, soon

      const question = { question: 'What is the claim deductible?', useCase: 'claims-qa' };
      assert.equal((await call(claims, '/v1/answers', 'POST', question)).status, 200);
      const denied = await call(outsider, '/v1/answers', 'POST', question);
      assert.equal(denied.status, 403);
      const audited = await listAudit(platform.db, { action: 'access.denied' });
      assert.equal(audited[0]?.actor, 'user:o@x.test');
      assert.equal(audited[0]?.target, 'POST /v1/answers');
      assert.equal((await call(outsider, '/v1/answers', 'POST', { ...question, stream: true })).status, 403);
      assert.equal((await call(viewer, '/v1/answers', 'POST', question)).status, 403);
      assert.equal((await call(claims, '/v1/answers', 'POST', { ...question, useCase: 'nope' })).status, 404);
      const listed = (await (await call(outsider, '/v1/use-cases')).json()) as { useCases: Array<{ name: string }> };
      assert.ok(!listed.useCases.some((u) => u.name === 'claims-qa'));
      assert.equal((await call(outsider, '/v1/use-cases/claims-qa')).status, 404);

      const streamed = await call(claims, '/v1/answers', 'POST', { ...question, stream: true });
      assert.equal(streamed.status, 200);
      assert.match(streamed.headers.get('content-type') ?? '', /text\/event-stream/);
      const events = parseSse(await streamed.text());
      const final = events.at(-1);
      assert.equal(final?.event, 'final');
      const answer = JSON.parse(final?.data ?? '{}') as { traceId: string; useCase: string; warnings: unknown[] };
      assert.equal(answer.useCase, 'claims-qa');
      assert.ok(Array.isArray(answer.warnings), 'the final event carries the warnings');
      assert.match(answer.traceId, /^trc_/);
    } finally {
      await platform.close();
    }
  });

  test('GET /v1/models lists the use cases the caller may ask (openai client); others are 404 like missing ones', async () => {
    const platform = await createTestPlatform();
    const server = await startServer(platform, { host: '127.0.0.1', port: 0, webRoot: false, authCacheMs: 0 });
    try {
      await platform.answerer.useCases.create('claims-qa', { principals: ['group:claims'] });
      await platform.answerer.useCases.create('open-qa', {});
      const key = async (role: 'viewer' | 'user', principals: string[]) =>
        (await createApiKey(platform.db, { name: `${role}-${principals[0]}`, role, principals }, { actor: 'local:operator' }))
          .token;
      const client = (token: string) => new OpenAI({ apiKey: token, baseURL: `${server.url}/v1`, maxRetries: 0 });
      const adjuster = client(await key('user', ['user:a@x.test', 'group:claims']));
      const outsider = client(await key('user', ['user:o@x.test', 'group:legal']));

      const listed = [];
      for await (const model of adjuster.models.list()) listed.push(model);
      assert.deepEqual(listed.map((m) => m.id).sort(), ['claims-qa', 'default', 'open-qa']);
      for (const model of listed) {
        assert.equal(model.object, 'model');
        assert.equal(model.owned_by, 'groundwork');
        assert.ok(Number.isInteger(model.created) && model.created > 1_600_000_000 && model.created < Date.now() / 1000 + 60);
      }
      const outsiderModels = [];
      for await (const model of outsider.models.list()) outsiderModels.push(model.id);
      assert.deepEqual(outsiderModels.sort(), ['default', 'open-qa']);
      assert.deepEqual(
        await adjuster.models.retrieve('claims-qa'),
        listed.find((m) => m.id === 'claims-qa'),
      );

      // Forbidden and missing look the same: status, code and message shape.
      const failure = async (id: string) => {
        try {
          await outsider.models.retrieve(id);
        } catch (error) {
          const e = error as { status?: number; error?: { code?: string; message?: string } };
          return { status: e.status, code: e.error?.code, message: e.error?.message?.replace(id, 'ID') };
        }
        throw new Error(`${id} was returned`);
      };
      const forbidden = await failure('claims-qa');
      assert.equal(forbidden.status, 404);
      assert.deepEqual(await failure('no-such-model'), forbidden);
      assert.deepEqual(await failure('Not A Use Case!'), forbidden);

      const viewer = await key('viewer', ['user:v@x.test']);
      const denied = await fetch(`${server.url}/v1/models`, { headers: { authorization: `Bearer ${viewer}` } });
      assert.equal(denied.status, 403);
      assert.equal((await fetch(`${server.url}/v1/models`)).status, 401);
    } finally {
      await server.close();
      await platform.close();
    }
  });

  test('the official openai client works against a real server: non-streaming and streaming, citations and usage', async () => {
    const platform = await createTestPlatform();
    const server = await startServer(platform, { host: '127.0.0.1', port: 0, webRoot: false, authCacheMs: 0 });
    try {
      const corpus = await insertAclCorpus(platform.db, prng(99), 20);
      const { token } = await createApiKey(
        platform.db,
        { name: 'sdk', role: 'user', principals: ['user:sdk@x.test', ...principalPool] },
        { actor: 'local:operator' },
      );
      const client = new OpenAI({ apiKey: token, baseURL: `${server.url}/v1`, maxRetries: 0 });
      const question = `${words[0]} ${words[1]} ${words[3]}`;
      const completion = await client.chat.completions.create({
        model: 'default',
        messages: [
          { role: 'system', content: 'ignored' },
          { role: 'user', content: question },
        ],
      });
      assert.equal(completion.object, 'chat.completion');
      assert.equal(completion.choices[0]?.finish_reason, 'stop');
      assert.ok((completion.choices[0]?.message.content ?? '').length > 0);
      assert.ok(completion.usage && typeof completion.usage.total_tokens === 'number');
      const citations = (completion as unknown as { citations: Citation[] }).citations;
      assert.ok(Array.isArray(citations) && citations.length > 0);
      assert.ok(citations.every((c) => corpus.principalsOf.has(c.documentId)));

      const stream = await client.chat.completions.create({
        model: 'default',
        messages: [{ role: 'user', content: question }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let content = '';
      let finalCitations: Citation[] | undefined;
      let usage: unknown;
      for await (const chunk of stream) {
        content += chunk.choices[0]?.delta?.content ?? '';
        if (chunk.choices[0]?.finish_reason === 'stop') {
          finalCitations = (chunk as unknown as { citations: Citation[] }).citations;
          assert.ok(Array.isArray((chunk as unknown as { groundwork: { warnings: unknown[] } }).groundwork.warnings));
        }
        if (chunk.usage) usage = chunk.usage;
      }
      assert.equal(content.trim(), completion.choices[0]?.message.content?.trim());
      assert.ok(finalCitations && finalCitations.length > 0);
      assert.ok(usage);

      await assert.rejects(
        client.chat.completions.create({ model: 'no-such-use-case', messages: [{ role: 'user', content: 'hi' }] }),
        (error: { status?: number }) => error.status === 404,
      );
      const anonymous = new OpenAI({ apiKey: 'gw_wrong', baseURL: `${server.url}/v1`, maxRetries: 0 });
      await assert.rejects(
        anonymous.chat.completions.create({ model: 'default', messages: [{ role: 'user', content: 'hi' }] }),
        (error: { status?: number }) => error.status === 401,
      );
    } finally {
      await server.close();
      await platform.close();
    }
  });
});
