// biome-ignore-all lint/performance/useDomNodeTextContent: Playwright Locator.innerText() is an API call, not the DOM property.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { localOperator } from '../../src/core/index.ts';
import type { Platform } from '../../src/create-platform.ts';
import { createApiKey } from '../../src/govern/index.ts';
import { addSource } from '../../src/ingest/index.ts';
import { createMonitor, evaluateMonitors } from '../../src/monitor/index.ts';
import { enqueueSampledAnswer } from '../../src/review/index.ts';
import { type RunningServer, startServer } from '../../src/server/index.ts';
import { createTestPlatform, testStoreKind } from '../helpers/test-platform.ts';
import { browserUnavailable, ensureWebBuilt, launchBrowser, screenshotDir } from './demo-server.ts';

const skip = browserUnavailable();

/** The Monitors page in Chromium against a real server: a firing monitor with its trend, acknowledged then resolved. */
describe(`monitors UI in a browser (${testStoreKind})`, { skip, timeout: 300_000 }, () => {
  let platform: Platform;
  let server: RunningServer;
  let browser: { context: BrowserContext; close(): Promise<void> };
  let reviewer = '';

  before(async () => {
    ensureWebBuilt();
    platform = await createTestPlatform({
      server: { rateLimit: { requestsPerSecond: 0 } },
      sources: { handbook: { freshnessSlo: '24h' } },
    });
    const folder = mkdtempSync(join(tmpdir(), 'gw-monitors-ui-'));
    for (let i = 0; i < 3; i++) writeFileSync(join(folder, `page-${i}.txt`), `Handbook page ${i}.\n`);
    await addSource(platform.db, { name: 'handbook', type: 'filesystem', path: folder });
    await platform.ingestion.sync({ source: 'handbook' });
    await platform.answerer.useCases.create('qa', {});
    for (let i = 0; i < 6; i++) {
      await platform.db.query(
        `INSERT INTO traces (id, operation, name, use_case, caller_id, started_at, ended_at, duration_ms, status, outcome)
         VALUES ($1, 'answer', 'answer', 'qa', 'user:someone', $2, $2, 10, 'ok', $3)`,
        [`trc_ui_${i}`, new Date(Date.now() - (i + 1) * 60_000), i < 4 ? 'refused' : 'answered'],
      );
    }
    // Two of them in the review queue of qa (the pipeline's review block).
    for (let i = 0; i < 2; i++) {
      await enqueueSampledAnswer(platform.db, {
        traceId: `trc_ui_${i}`,
        useCase: 'qa',
        askerId: 'user:someone',
        stratum: 'refused',
        confidence: 0.2,
        refused: true,
        at: new Date(Date.now() - 3 * 3_600_000),
      });
    }
    const deps = { db: platform.db, config: platform.config };
    await createMonitor(deps, localOperator, {
      name: 'qa-refusals',
      kind: 'refusal-rate',
      useCase: 'qa',
      threshold: '>0.5',
      params: { minSample: 1 },
    });
    await evaluateMonitors(deps, localOperator);
    reviewer = (
      await createApiKey(
        platform.db,
        { name: 'rita', role: 'reviewer', principals: ['user:rita@x.test'] },
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

  async function signedIn(hash: string): Promise<Page> {
    const page = await browser.context.newPage();
    await page.goto(server.url);
    await page.evaluate(() => sessionStorage.clear());
    await page.reload();
    await page.getByLabel('API key').fill(reviewer);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await page.goto(`${server.url}/${hash}`);
    return page;
  }

  test('a reviewer sees the firing monitor and its alert with example traces, acknowledges and resolves it', async () => {
    const page = await signedIn('#/monitors');
    const nav = await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allInnerTexts();
    assert.ok(nav.includes('Monitors'), nav.join(', '));
    const row = page.getByRole('row', { name: 'Monitor qa-refusals' });
    await row.waitFor();
    assert.match(await row.innerText(), /refusal-rate[\s\S]*use case qa[\s\S]*>0\.5[\s\S]*0\.6667[\s\S]*firing/);
    const alertRow = page.getByRole('table', { name: 'Alerts' }).getByRole('row').nth(1);
    await alertRow.waitFor();
    assert.match(await alertRow.innerText(), /firing[\s\S]*qa-refusals[\s\S]*trc_ui_/);
    await page.screenshot({ path: join(screenshotDir, 'monitors-01-firing.png'), fullPage: true });
    await alertRow.getByRole('button', { name: 'Acknowledge' }).click();
    await page.getByRole('status').filter({ hasText: 'acknowledged' }).waitFor();
    await page.getByRole('table', { name: 'Alerts' }).getByRole('button', { name: 'Resolve' }).click();
    await page.getByRole('status').filter({ hasText: 'resolved' }).waitFor();
    assert.equal(await page.getByRole('table', { name: 'Alerts' }).count(), 0, 'open only: no open alert left');
    await page.close();
  });

  test('the pipeline dashboard shows each source with its documents and freshness, and the use-case monitors', async () => {
    const page = await signedIn('#/pipeline');
    const row = page.getByRole('row', { name: 'Source handbook' });
    await row.waitFor();
    assert.match(await row.innerText(), /handbook\s+3[\s\S]*ok[\s\S]*SLO 24h/);
    const useCase = page.getByRole('article', { name: 'Use case qa' });
    await useCase.waitFor();
    assert.match(await useCase.innerText(), /qa-refusals[\s\S]*refusal-rate/);
    const queue = useCase.getByRole('region', { name: 'Review queue of qa' });
    assert.match(await queue.innerText(), /2 pending \(2 unclaimed, 0 claimed\)[\s\S]*oldest pending 3\.0 h/);
    assert.equal(await queue.getByRole('link', { name: 'Review' }).getAttribute('href'), '#/review');
    await page.screenshot({ path: join(screenshotDir, 'monitors-02-pipeline.png'), fullPage: true });
    await page.close();
  });
});
