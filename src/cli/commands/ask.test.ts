import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { insertInsurerCorpus } from '../../../test/helpers/insurer-corpus.ts';
import { type OpenAICompatibleServer, startOpenAICompatibleServer } from '../../../test/helpers/openai-compatible-server.ts';
import { runGroundwork } from '../../../test/helpers/run-cli.ts';
import { openStore } from '../../store/index.ts';

// The CLI runs as a real process on an embedded store in a temporary data directory; the generative path
// talks HTTP to a loopback OpenAI-compatible server started by the test.
describe('cli: ask and use-cases (embedded store, real process)', () => {
  let dataDir: string;
  let configFile: string;
  let server: OpenAICompatibleServer;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'gw-ask-'));
    const db = await openStore({ dataDir, databaseUrl: undefined });
    try {
      await insertInsurerCorpus(db);
    } finally {
      await db.close();
    }
    server = await startOpenAICompatibleServer({
      chat: () => ({
        text: 'Under HO-3 the water damage deductible is $1,000 per occurrence [1] [12].',
        promptTokens: 410,
        completionTokens: 16,
      }),
    });
    configFile = join(dataDir, 'groundwork.config.json');
    writeFileSync(
      configFile,
      JSON.stringify({ models: { providers: { local: { type: 'openai-compatible', baseUrl: server.baseUrl, trusted: true } } } }),
    );
  });
  after(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const gw = (...args: string[]) => runGroundwork(['--data-dir', dataDir, '--config', configFile, ...args]);

  test('ask (extractive, out of the box) prints JSON with answer, citations, confidence, refused, mode, usage, traceId', async () => {
    const result = await gw(
      'ask',
      'What is the deductible for water damage under policy form HO-3?',
      '--as',
      'group:staff',
      '--json',
    );
    assert.equal(result.code, 0, result.stderr);
    const answer = JSON.parse(result.stdout) as Record<string, unknown> & {
      citations: Array<Record<string, unknown>>;
    };
    assert.match(String(answer.answer), /^The deductible for water damage under HO-3 is \$1,000 per occurrence \[1\]\./);
    assert.equal(answer.mode, 'extractive');
    assert.equal(answer.refused, false);
    assert.ok(typeof answer.confidence === 'number' && answer.confidence > 0 && answer.confidence <= 1);
    assert.deepEqual(answer.usage, { inputTokens: 0, outputTokens: 0 });
    assert.match(String(answer.traceId), /^trc/);
    const [first] = answer.citations;
    assert.deepEqual(
      { n: first?.n, chunkId: first?.chunkId, documentId: first?.documentId, page: first?.page },
      { n: 1, chunkId: 'ho3-c0', documentId: 'ho3', page: 4 },
    );
    assert.ok(typeof first?.title === 'string' && typeof first?.uri === 'string' && typeof first?.snippet === 'string');

    const human = await gw('ask', 'How soon must the first notice of loss be recorded?', '--as', 'group:staff');
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^The first notice of loss must be recorded within 24 hours/);
    assert.match(human.stdout, /Sources:\n {2}\[1\] Claims Handling Procedures/);
    assert.match(human.stdout, /Extractive answer/);

    // A poisoned document among the evidence: never quoted, a warning in the JSON and under the answer.
    const poisoned = await gw(
      'ask',
      'What does the water damage FAQ for HO-3 policyholders say?',
      '--as',
      'group:staff',
      '--json',
    );
    assert.equal(poisoned.code, 0, poisoned.stderr);
    const warned = JSON.parse(poisoned.stdout) as { answer: string; warnings: Array<{ code: string; documentId: string }> };
    assert.ok(!/IGNORE PREVIOUS INSTRUCTIONS/i.test(warned.answer), warned.answer);
    assert.deepEqual(
      warned.warnings.map((w) => [w.code, w.documentId]),
      [['answer.injection_suspected', 'poisoned-faq']],
    );
    const poisonedHuman = await gw('ask', 'What does the water damage FAQ for HO-3 policyholders say?', '--as', 'group:staff');
    assert.match(
      poisonedHuman.stdout,
      /Warning( \[\d\])?: "Water damage FAQ \(uploaded by an external partner\)" contains text that looks like instructions to an AI/,
    );

    const refused = await gw('ask', 'What is the waiting period for pet insurance?', '--json');
    assert.equal(refused.code, 0);
    assert.equal((JSON.parse(refused.stdout) as { refused: boolean }).refused, true);
  });

  test('use-cases: create, list, show, update, delete with --json; errors carry codes and exit codes', async () => {
    const created = await gw(
      'use-cases',
      'create',
      'underwriting-qa',
      '--sources',
      'underwriting',
      '--k',
      '5',
      '--style',
      'bullets',
      '--principals',
      'group:underwriters',
      '--synonym',
      'HO-3=homeowners special form',
      '--json',
    );
    assert.equal(created.code, 0, created.stderr);
    // A new use case is a draft (its builders only): roll it out to everyone its principals allow.
    assert.equal((await gw('rollout', 'set-stage', 'underwriting-qa', 'general')).code, 0);
    const body = JSON.parse(created.stdout) as { sources: string[]; retrieval: { k: number; synonyms: object }; style: string };
    assert.deepEqual(body.sources, ['underwriting']);
    assert.equal(body.retrieval.k, 5);
    assert.deepEqual(body.retrieval.synonyms, { 'HO-3': ['homeowners special form'] });
    const listed = JSON.parse((await gw('use-cases', 'list', '--json')).stdout) as { useCases: Array<{ name: string }> };
    assert.deepEqual(listed.useCases.map((u) => u.name).sort(), ['default', 'underwriting-qa']);
    const updated = await gw('use-cases', 'update', 'underwriting-qa', '--refusal-threshold', '0.5', '--k', '6', '--json');
    assert.equal(updated.code, 0, updated.stderr);
    const after = JSON.parse(updated.stdout) as { refusalThreshold: number; retrieval: { k: number; synonyms: object } };
    assert.equal(after.refusalThreshold, 0.5);
    assert.equal(after.retrieval.k, 6);
    assert.ok(after.retrieval.synonyms, 'retrieval settings merge');
    const shown = await gw('use-cases', 'show', 'underwriting-qa');
    assert.match(shown.stdout, /who may ask: +group:underwriters/);

    const forbidden = await gw('ask', 'roof age?', '--use-case', 'underwriting-qa', '--as', 'group:staff');
    assert.equal(forbidden.code, 1);
    assert.match(forbidden.stderr, /code: auth\.forbidden/);
    const allowed = await gw(
      'ask',
      'Are roofs older than 25 years eligible for HO-3?',
      '--use-case',
      'underwriting-qa',
      '--as',
      'group:staff,group:underwriters',
      '--json',
    );
    assert.equal(allowed.code, 0, allowed.stderr);

    const badModel = await gw('use-cases', 'create', 'x', '--model', 'nowhere:gpt');
    assert.equal(badModel.code, 2);
    assert.match(badModel.stderr, /models\.unknown_provider/);
    const keepDefault = await gw('use-cases', 'delete', 'default');
    assert.equal(keepDefault.code, 1);
    assert.match(keepDefault.stderr, /use_case\.protected/);
    const deleted = await gw('use-cases', 'delete', 'underwriting-qa', '--json');
    assert.equal(deleted.code, 0, deleted.stderr);
  });

  test('ask through a configured model: generative, over HTTP to the loopback server', async () => {
    const created = await gw('use-cases', 'create', 'homeowners', '--model', 'local:qwen2.5:7b', '--json');
    assert.equal(created.code, 0, created.stderr);
    assert.equal((await gw('rollout', 'set-stage', 'homeowners', 'general')).code, 0);
    const result = await gw(
      'ask',
      'What is the deductible for water damage under HO-3?',
      '--use-case',
      'homeowners',
      '--as',
      'group:staff',
      '--json',
    );
    assert.equal(result.code, 0, result.stderr);
    const answer = JSON.parse(result.stdout) as { answer: string; mode: string; usage: object; citationsRemoved: number };
    assert.equal(answer.mode, 'generative');
    assert.equal(answer.answer, 'Under HO-3 the water damage deductible is $1,000 per occurrence [1].');
    assert.equal(answer.citationsRemoved, 1);
    assert.deepEqual(answer.usage, { inputTokens: 410, outputTokens: 16 });
    const sent = server.requests.find((r) => r.path === '/v1/chat/completions');
    assert.equal(sent?.body.model, 'qwen2.5:7b');
  });

  test('on a terminal, tokens stream as the reader will read them: the dead citation never shows', {
    skip: spawnSync('script', ['--version']).status !== 0 ? 'util-linux `script` (pseudo-terminal) not available' : false,
  }, async () => {
    const bin = fileURLToPath(new URL('../../../bin/groundwork.js', import.meta.url));
    const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
    const command = [
      process.execPath,
      bin,
      '--data-dir',
      dataDir,
      '--config',
      configFile,
      'ask',
      'What is the deductible for water damage under HO-3?',
      '--use-case',
      'homeowners',
      '--as',
      'group:staff',
    ]
      .map(quote)
      .join(' ');
    // Asynchronous: the loopback model server lives in this process and must keep answering.
    const result = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn('script', ['-qec', command, '/dev/null'], {
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => {
        stdout += d;
      });
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
      child.on('error', reject);
      child.on('close', (status) => {
        clearTimeout(timer);
        resolve({ status, stdout, stderr });
      });
    });
    assert.equal(result.status, 0, result.stderr);
    const out = result.stdout.replaceAll('\r', '');
    // The stream is already the checked text (the dead [12] dropped as it arrives), so it is not repeated.
    assert.match(out, /^Under HO-3 the water damage deductible is \$1,000 per occurrence \[1\]\.\n/);
    assert.ok(!out.includes('[12]') && !out.includes('checked answer'), out);
    assert.match(out, /Sources:\n {2}\[1\] Policy Form HO-3/);
    assert.match(out, /1 citation\(s\) pointing at no passage were removed/);
  });
});
