import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { incidentsErrorCodes } from './index.ts';

test('every incidents.* code thrown in src/incidents is registered and documented in docs/incidents.md', () => {
  const folder = new URL('./', import.meta.url);
  const thrown = new Set<string>();
  for (const file of readdirSync(folder)) {
    if (!file.endsWith('.ts') || file.endsWith('.test.ts') || file === 'error-codes.ts') continue;
    const text = readFileSync(new URL(file, folder), 'utf8');
    for (const match of text.matchAll(/GroundworkError\(\s*'(incidents\.[a-z_]+)'/g)) thrown.add(match[1] as string);
  }
  assert.ok(thrown.size >= 10, [...thrown].join(', '));
  const docs = readFileSync(new URL('../../docs/incidents.md', import.meta.url), 'utf8');
  for (const code of thrown) {
    assert.ok(code in incidentsErrorCodes, `${code} is not in incidentsErrorCodes`);
    assert.ok(docs.includes(`\`${code}\``), `${code} is not documented in docs/incidents.md`);
  }
  for (const [code, entry] of Object.entries(incidentsErrorCodes)) {
    assert.ok(thrown.has(code), `${code} is registered but never thrown`);
    assert.ok(entry.fix.length > 0 && entry.description.length > 0);
  }
});
