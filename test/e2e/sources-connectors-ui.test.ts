// biome-ignore-all lint/performance/useDomNodeTextContent: Playwright Locator.innerText() is an API call, not the DOM property.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext } from 'playwright-core';
import type { Platform } from '../../src/create-platform.ts';
import { createApiKey } from '../../src/govern/index.ts';
import { createIngestion } from '../../src/ingest/index.ts';
import { type RunningServer, startServer } from '../../src/server/index.ts';
import { createTestPlatform, testStoreKind } from '../helpers/test-platform.ts';
import { browserUnavailable, ensureWebBuilt, launchBrowser, screenshotDir } from './demo-server.ts';

const skip = browserUnavailable();

/** The Sources page in Chromium: the add-source form is generated from GET /v1/connectors; a failing source shows its code. */
describe(`sources add form in a browser (${testStoreKind})`, { skip, timeout: 300_000 }, () => {
  let platform: Platform;
  let server: RunningServer;
  let browser: { context: BrowserContext; close(): Promise<void> };
  let builder = '';

  before(async () => {
    ensureWebBuilt();
    platform = await createTestPlatform({
      server: { rateLimit: { requestsPerSecond: 0 } },
      governance: { governedKinds: [] },
      sources: { allowedSecretEnv: ['ARCHIVE_KEY', 'ARCHIVE_SECRET'], allowedWebOrigins: ['http://127.0.0.1:9'] },
    });
    builder = (
      await createApiKey(
        platform.db,
        { name: 'bo', role: 'builder', principals: ['user:bo@x.test'] },
        { actor: 'local:operator' },
      )
    ).token;
    server = await startServer(platform, { host: '127.0.0.1', port: 0, authCacheMs: 0 });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close(1000);
    await platform?.close();
  });

  test('a builder adds an S3 source from the generated form; its failing sync shows the coded error', async () => {
    const page = await browser.context.newPage();
    await page.goto(server.url);
    await page.evaluate(() => sessionStorage.clear());
    await page.reload();
    await page.getByLabel('API key').fill(builder);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await page.goto(`${server.url}/#/sources`);
    await page.getByText('Add a source').click();
    const form = page.getByRole('form', { name: 'Add a source' });
    await form.waitFor();
    const types = await form.getByRole('combobox').locator('option').allInnerTexts();
    assert.ok(types.some((t) => t.includes('(s3)')) && types.some((t) => t.includes('(sql)')), types.join(', '));
    assert.ok(types.some((t) => t.includes('(sharepoint)')) && types.some((t) => t.includes('(web)')), types.join(', '));
    await form.getByRole('combobox').selectOption('s3');
    await form.getByLabel('Name').fill('archive');
    await form.getByRole('textbox', { name: 'Bucket' }).fill('claims-archive');
    await form.getByRole('textbox', { name: 'Endpoint' }).fill('http://127.0.0.1:9');
    await form.getByRole('textbox', { name: 'Access key id (env var)' }).fill('ARCHIVE_KEY');
    await form.getByRole('textbox', { name: 'Secret access key (env var)' }).fill('ARCHIVE_SECRET');
    assert.match(await form.innerText(), /environment variable NAME, not the secret/);
    await page.screenshot({ path: join(screenshotDir, 'sources-01-add-form.png'), fullPage: true });
    await form.getByRole('button', { name: 'Add source' }).click();
    await page.getByRole('status').filter({ hasText: 'Added source archive (s3)' }).waitFor();
    await page.getByRole('article', { name: 'Source archive' }).waitFor();

    // A web source from the same form: only on an origin in sources.allowedWebOrigins (no crawling internal hosts).
    await form.getByRole('combobox').selectOption('web');
    await form.getByLabel('Name').fill('intranet');
    await form.getByRole('textbox', { name: 'Start URLs' }).fill('http://10.0.0.5/docs/');
    await form.getByRole('button', { name: 'Add source' }).click();
    const refused = page.locator('details.add-source').getByRole('alert');
    await refused.filter({ hasText: 'ingest.origin_not_allowed' }).waitFor();
    assert.match(await refused.innerText(), /allowedWebOrigins/);
    await form.getByRole('textbox', { name: 'Start URLs' }).fill('http://127.0.0.1:9/docs/');
    await form.getByRole('button', { name: 'Add source' }).click();
    await page.getByRole('status').filter({ hasText: 'Added source intranet (web)' }).waitFor();

    // Its endpoint is unreachable: the sync fails with a coded error, which the card shows.
    const ingestion = createIngestion({
      db: platform.db,
      events: platform.events,
      logger: platform.logger,
      config: platform.config,
      secrets: () => 'not-a-real-key',
    });
    try {
      await assert.rejects(ingestion.sync({ source: 'archive' }));
    } finally {
      await ingestion.close();
    }
    await page.getByRole('button', { name: 'Refresh' }).click();
    const failing = page.getByRole('alert', { name: 'Source archive is failing' });
    await failing.waitFor();
    assert.match(await failing.innerText(), /ingest\.source_unreachable/);
    await page.screenshot({ path: join(screenshotDir, 'sources-02-failing.png'), fullPage: true });
    await page.close();
  });
});
