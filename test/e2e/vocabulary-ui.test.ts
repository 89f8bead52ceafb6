// biome-ignore-all lint/performance/useDomNodeTextContent: Playwright Locator.innerText() is an API call, not the DOM property.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { callerWithPrincipals } from '../../src/core/index.ts';
import type { Platform } from '../../src/create-platform.ts';
import { createApiKey } from '../../src/govern/index.ts';
import { addSource } from '../../src/ingest/index.ts';
import { type RunningServer, startServer } from '../../src/server/index.ts';
import { createTestPlatform, testStoreKind } from '../helpers/test-platform.ts';
import { browserUnavailable, ensureWebBuilt, launchBrowser, screenshotDir } from './demo-server.ts';

const skip = browserUnavailable();

/** The Vocabulary page in Chromium: a suggestion found in the documents becomes an entry that expands searches. */
describe(`vocabulary UI in a browser (${testStoreKind})`, { skip, timeout: 300_000 }, () => {
  let platform: Platform;
  let server: RunningServer;
  let browser: { context: BrowserContext; close(): Promise<void> };
  let builder = '';
  let reviewer = '';

  before(async () => {
    ensureWebBuilt();
    platform = await createTestPlatform({ server: { rateLimit: { requestsPerSecond: 0 } } });
    const folder = mkdtempSync(join(tmpdir(), 'gw-vocabulary-ui-'));
    writeFileSync(join(folder, 'quality.txt'), 'Quality manual. Every NCR (non-conformance report) goes to the quality desk.\n');
    writeFileSync(join(folder, 'intake.txt'), 'Submit the first notice of loss within three days of the incident.\n');
    await addSource(platform.db, { name: 'share', type: 'filesystem', path: folder, readableBy: ['group:staff'] });
    await platform.ingestion.sync({ source: 'share' });
    const key = async (name: string, role: 'builder' | 'reviewer') =>
      (
        await createApiKey(
          platform.db,
          { name, role, principals: [`user:${name}@x.test`, 'group:staff'] },
          { actor: 'local:operator' },
        )
      ).token;
    builder = await key('bob', 'builder');
    reviewer = await key('rae', 'reviewer');
    server = await startServer(platform, { host: '127.0.0.1', port: 0, authCacheMs: 0 });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close(1000);
    await platform?.close();
  });

  async function signedIn(token: string): Promise<Page> {
    const page = await browser.context.newPage();
    await page.goto(server.url);
    await page.evaluate(() => sessionStorage.clear());
    await page.reload();
    await page.getByLabel('API key').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Vocabulary' }).click();
    await page.getByRole('heading', { name: 'Vocabulary', level: 1 }).waitFor();
    return page;
  }

  test('a builder adds a term by hand and one from the suggestions; searches expand; a reviewer only reads', async () => {
    const page = await signedIn(builder);
    await page.getByText('The vocabulary is empty.').waitFor();
    await page.getByRole('textbox', { name: 'Term' }).fill('FNOL');
    await page.getByLabel('Equivalents (separate with |)').fill('first notice of loss');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const table = page.getByRole('table', { name: 'Vocabulary' });
    await table.getByRole('cell', { name: 'first notice of loss' }).waitFor();
    const staff = callerWithPrincipals(['group:staff']);
    const expanded = await platform.retriever.search({ query: 'FNOL', caller: staff });
    assert.deepEqual(expanded.expandedTerms, ['first notice of loss']);

    await page.getByRole('button', { name: 'Find suggestions' }).click();
    const suggested = page.getByRole('list', { name: 'Suggested acronyms' });
    await suggested.getByText('non-conformance report').waitFor();
    await suggested.getByRole('button', { name: 'Add NCR' }).click();
    await table.getByRole('cell', { name: 'non-conformance report' }).waitFor();
    assert.match(await page.getByText(/Vocabulary version \d+\./).innerText(), /version 2\./);
    await page.screenshot({ path: join(screenshotDir, 'vocabulary-page.png'), fullPage: true });

    await page.getByRole('button', { name: 'Remove FNOL' }).click();
    await table.getByRole('cell', { name: 'first notice of loss' }).waitFor({ state: 'detached' });
    assert.equal((await platform.retriever.search({ query: 'FNOL', caller: staff })).expandedTerms, undefined);
    await page.close();

    const readOnly = await signedIn(reviewer);
    await readOnly.getByRole('table', { name: 'Vocabulary' }).getByRole('cell', { name: 'non-conformance report' }).waitFor();
    assert.equal(await readOnly.getByRole('form', { name: 'Add a term' }).count(), 0);
    assert.equal(await readOnly.getByRole('button', { name: /^Remove / }).count(), 0);
    await readOnly.close();
  });
});
