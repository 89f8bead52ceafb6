import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { GroundworkError } from '../errors.ts';
import { loadConfig } from './load-config.ts';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'gw-config-'));
}

describe('loadConfig', () => {
  test('defaults run the embedded store with no configuration at all', () => {
    const { config, configFile } = loadConfig({ env: {}, cwd: tempDir() });
    assert.equal(config.dataDir, './.groundwork');
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.server.port, 8787);
    assert.equal(config.server.host, '127.0.0.1');
    assert.equal(config.retrieval.textConfig, 'english');
    assert.equal(configFile, undefined);
  });

  test('flags override environment, which overrides the file', () => {
    const cwd = tempDir();
    writeFileSync(
      join(cwd, 'groundwork.config.yaml'),
      'dataDir: /from/file\nserver:\n  port: 9000\n  host: 0.0.0.0\nretrieval:\n  k1: 1.2\n',
    );
    const loaded = loadConfig({
      cwd,
      env: { GROUNDWORK_SERVER__PORT: '9100', GROUNDWORK_DATA_DIR: '/from/env', DATABASE_URL: 'postgres://db/x' },
      flags: { dataDir: '/from/flag' },
    });
    assert.equal(loaded.config.dataDir, '/from/flag');
    assert.equal(loaded.config.server.port, 9100);
    assert.equal(loaded.config.server.host, '0.0.0.0');
    assert.equal(loaded.config.retrieval.k1, 1.2);
    assert.equal(loaded.config.databaseUrl, 'postgres://db/x');
    assert.equal(loaded.origins.get('server.port'), 'env GROUNDWORK_SERVER__PORT');
    assert.equal(loaded.origins.get('dataDir'), 'flag --data-dir');
    assert.equal(loaded.origins.get('retrieval.k1'), `file ${join(cwd, 'groundwork.config.yaml')}`);
  });

  test('reports every problem at once, each with the key, the value, its origin and a fix', () => {
    const cwd = tempDir();
    writeFileSync(
      join(cwd, 'groundwork.config.json'),
      JSON.stringify({ server: { port: 99999 }, retreival: {}, log: { level: 'loud' } }),
    );
    assert.throws(
      () => loadConfig({ cwd, env: { GROUNDWORK_INGEST__MAX_FILE_BYTES: 'lots', GROUNDWORK_NOPE: '1' } }),
      (error: GroundworkError) => {
        assert.equal(error.code, 'config.invalid');
        assert.equal(error.category, 'usage');
        const text = error.message;
        assert.match(text, /server\.port = 99999 \(from file .*groundwork\.config\.json\).*Fix: use a value of at most 65535/);
        assert.match(text, /retreival: is not a known setting/);
        assert.match(text, /log\.level = "loud".*Fix: use one of: "debug", "info"/);
        assert.match(text, /ingest\.maxFileBytes = "lots" \(from env GROUNDWORK_INGEST__MAX_FILE_BYTES\)/);
        assert.match(text, /env GROUNDWORK_NOPE: does not name a setting/);
        assert.equal((error.details.problems as string[]).length, 5);
        return true;
      },
    );
  });

  test('a malformed config file names the file and the syntax error', () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'bad.yaml'), 'server:\n  port: [1, 2\n');
    assert.throws(
      () => loadConfig({ cwd, env: {}, configFile: 'bad.yaml' }),
      (error: GroundworkError) => /bad\.yaml: is not valid YAML/.test(error.message),
    );
    assert.throws(
      () => loadConfig({ cwd, env: {}, configFile: 'missing.json' }),
      (error: GroundworkError) => /--config missing\.json: the file does not exist/.test(error.message),
    );
  });

  test('secrets are referenced by environment variable name and resolved, never stored as values', () => {
    const loaded = loadConfig({
      cwd: tempDir(),
      env: {
        GROUNDWORK_MODELS__PROVIDERS: JSON.stringify({ openai: { type: 'openai', apiKeyEnv: 'OPENAI_API_KEY' } }),
        OPENAI_API_KEY: 'sk-test-123',
      },
    });
    assert.equal(loaded.config.models.providers.openai?.apiKeyEnv, 'OPENAI_API_KEY');
    assert.equal(loaded.secrets('OPENAI_API_KEY'), 'sk-test-123');
    assert.ok(!JSON.stringify(loaded.config).includes('sk-test-123'));
    assert.throws(
      () =>
        loadConfig({
          cwd: tempDir(),
          env: { GROUNDWORK_MODELS__PROVIDERS: JSON.stringify({ openai: { type: 'openai', apiKeyEnv: 'sk-live-abc' } }) },
        }),
      (error: GroundworkError) =>
        /apiKeyEnv = \(hidden\).*must be the NAME of an environment variable/.test(error.message) &&
        !error.message.includes('sk-live-abc'),
    );
  });
});
