import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { scanErrorCodes } from '../test/helpers/scan-error-codes.ts';
import { errorCodeEntry, errorCodes, errorCodeTables, httpStatusForError } from './error-codes.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { thrown, dynamic } = scanErrorCodes(root);

/**
 * Throw sites whose code is not a literal, and why that is safe: each relays a code that was thrown (and
 * registered) elsewhere, or names the literal fallback codes it can produce (registered like any other).
 */
const dynamicSites: Record<string, { readonly why: string; readonly fallbacks?: readonly string[] }> = {
  'src/cli/api-client.ts': { why: "relays the server's code; `http.<status>` only for a non-Groundwork answer" },
  'src/cli/commands/ask.ts': { why: "relays the server's streamed error code", fallbacks: ['answer.failed'] },
  'src/ingest/parsers/parse-isolated.ts': { why: 'rebuilds the error the parse worker thread threw' },
  'src/ingest/run-sync.ts': { why: "quarantines a source listing's problem under the code its source threw" },
  'src/ingest/sync/prepare-document.ts': { why: 'prefixes the ref to an error thrown by a parser' },
  'src/retrieve/retriever.ts': { why: 'the usageError helper; its callers pass literal codes (scanned)' },
  'src/server/routes/ingest-routes.ts': { why: "relays a failed job's stored error code" },
};

/** Codes whose category is computed at the throw site (the registry holds the usual one). */
const computedCategories = new Set(['request.rejected']);

describe('the error-code registry', () => {
  test('the scan finds the throw sites (it is not silently empty)', () => {
    assert.ok(thrown.length > 200, `only ${thrown.length} throw sites found`);
  });

  test('every thrown code is registered', () => {
    const missing = [...new Set(thrown.filter((t) => !errorCodeEntry(t.code)).map((t) => `${t.code} (${t.file}:${t.line})`))];
    assert.deepEqual(missing, [], 'register these codes in their feature error-codes.ts');
  });

  test('every registered code is thrown somewhere', () => {
    const used = new Set([...thrown.map((t) => t.code), ...Object.values(dynamicSites).flatMap((s) => s.fallbacks ?? [])]);
    const unused = Object.keys(errorCodes).filter((code) => !used.has(code));
    for (const fallback of Object.values(dynamicSites).flatMap((s) => s.fallbacks ?? [])) {
      assert.ok(errorCodeEntry(fallback), `the fallback code ${fallback} is not registered`);
    }
    assert.deepEqual(unused, [], 'these registered codes are never thrown: remove them or throw them');
  });

  test('every code is thrown with its registered category and retryability', () => {
    const problems: string[] = [];
    for (const site of thrown) {
      const entry = errorCodeEntry(site.code);
      if (!entry) continue;
      const category = site.category ?? 'internal';
      if (!site.computedCategory && category !== entry.category) {
        problems.push(`${site.code} thrown as ${category} at ${site.file}:${site.line}, registered as ${entry.category}`);
      }
      if (site.retryable === true && !entry.retryable) {
        problems.push(`${site.code} thrown retryable at ${site.file}:${site.line}, registered as not retryable`);
      }
    }
    assert.deepEqual(problems, []);
  });

  test('codes thrown with a computed category are the known ones', () => {
    const computed = [...new Set(thrown.filter((t) => t.computedCategory).map((t) => `${t.code} (${t.file}:${t.line})`))];
    assert.deepEqual(
      computed.filter((site) => !computedCategories.has(site.split(' ')[0] as string)),
      [],
      'give the category as a literal, or add the code to computedCategories with a reason',
    );
  });

  test('every throw site with a non-literal code is known and explained', () => {
    const unknown = dynamic.filter((site) => !dynamicSites[site.file]).map((s) => `${s.file}:${s.line} (${s.argument})`);
    assert.deepEqual(unknown, [], 'throw a literal code, or list the site in dynamicSites with why it is safe');
  });

  test('codes are well-formed, described, and not registered twice', () => {
    const seen = new Map<string, string>();
    for (const [owner, table] of Object.entries(errorCodeTables)) {
      for (const [code, entry] of Object.entries(table)) {
        assert.match(code, /^[a-z][a-z0-9_]*\.[a-z0-9_.]+$/, `${code} is not area.problem`);
        assert.ok(entry.description.length > 10 && !/TODO/.test(entry.description), `${code} needs a description`);
        assert.equal(seen.get(code), undefined, `${code} is registered by ${seen.get(code)} and ${owner}`);
        seen.set(code, owner);
      }
    }
  });

  test('the HTTP status comes from the registry, then the category', () => {
    assert.equal(httpStatusForError({ code: 'ingest.too_large', category: 'limit' }), 413);
    assert.equal(httpStatusForError({ code: 'rate_limit.exceeded', category: 'limit' }), 429);
    assert.equal(httpStatusForError({ code: 'auth.forbidden', category: 'forbidden' }), 403);
    assert.equal(httpStatusForError({ code: 'elsewhere.unknown', category: 'conflict' }), 409);
  });

  test('docs/errors.md is generated from the registry and current', () => {
    const result = spawnSync(process.execPath, ['scripts/generate-error-docs.ts', '--check'], { cwd: root, encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
  });
});
