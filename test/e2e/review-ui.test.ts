// biome-ignore-all lint/performance/useDomNodeTextContent: Playwright Locator.innerText() is an API call, not the DOM property.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { usageReport } from '../../src/adoption/index.ts';
import { localOperator } from '../../src/core/index.ts';
import type { Platform } from '../../src/create-platform.ts';
import { listCandidates } from '../../src/evaluate/index.ts';
import { createApiKey } from '../../src/govern/index.ts';
import { type RunningServer, startServer } from '../../src/server/index.ts';
import { alice, restrictDocument, seedCorpus, settle } from '../helpers/review-corpus.ts';
import { createTestPlatform, testStoreKind } from '../helpers/test-platform.ts';
import { browserUnavailable, ensureWebBuilt, launchBrowser, screenshotDir } from './demo-server.ts';

const skip = browserUnavailable();

/** The Review page in Chromium against a real server: next item, passages, withheld count, grade, evaluation case. */
describe(`review UI in a browser (${testStoreKind})`, { skip, timeout: 300_000 }, () => {
  let platform: Platform;
  let server: RunningServer;
  let browser: { context: BrowserContext; close(): Promise<void> };
  let reviewer = '';
  let user = '';

  before(async () => {
    ensureWebBuilt();
    platform = await createTestPlatform({
      observe: { textRetention: 'keep' },
      review: { sampleRate: 1 },
      server: { rateLimit: { requestsPerSecond: 0 } },
    });
    await seedCorpus(platform);
    reviewer = (
      await createApiKey(
        platform.db,
        { name: 'rita', role: 'reviewer', principals: ['user:rita@x.test', 'group:underwriting'] },
        { actor: 'local:operator' },
      )
    ).token;
    user = (
      await createApiKey(
        platform.db,
        { name: 'uma', role: 'user', principals: ['user:uma@x.test', 'group:underwriting'] },
        { actor: 'local:operator' },
      )
    ).token;
    for (const question of ['What is the flood deductible for coastal risks?', 'Is there a coastal flood deductible?']) {
      await platform.answerer.ask({ question, caller: alice, useCase: 'underwriting-qa' });
    }
    await settle(platform);
    server = await startServer(platform, { host: '127.0.0.1', port: 0, authCacheMs: 0 });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close(1000);
    await platform?.close();
  });

  async function signedIn(token: string, hash: string): Promise<Page> {
    const page = await browser.context.newPage();
    await page.goto(server.url);
    await page.evaluate(() => sessionStorage.clear());
    await page.reload();
    await page.getByLabel('API key').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await page.goto(`${server.url}/${hash}`);
    return page;
  }
  const shot = (page: Page, name: string) => page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });

  test('a reviewer takes the next answer, reads its passage, grades it with a corrected answer and makes it an evaluation case', async () => {
    const page = await signedIn(reviewer, '#/review');
    const nav = await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allInnerTexts();
    assert.ok(nav.includes('Review'), nav.join(', '));
    await page.getByRole('table', { name: 'Review queue' }).waitFor();
    await page.getByRole('button', { name: 'Review next' }).click();
    const card = page.getByRole('article', { name: 'Review item' });
    await card.waitFor();
    assert.match(await card.getByTestId('review-question').innerText(), /flood deductible/);
    const passages = card.getByRole('list', { name: 'Cited passages' });
    assert.match(await passages.innerText(), /1000 euros/);
    assert.match(await passages.innerText(), /Underwriting guide/);
    await card.getByLabel('partially').check();
    await card.getByLabel('no').check();
    await card.getByLabel('Corrected answer').fill('The flood deductible is 1000 euros for coastal risks.');
    await card.getByLabel('Reason').fill('missing the amount');
    await shot(page, 'review-grade');
    await card.getByRole('button', { name: 'Save grade' }).click();
    await card.getByText('Graded partially').waitFor();
    await card.getByRole('button', { name: 'Make evaluation case' }).click();
    await card.getByRole('status').waitFor();
    assert.match(await card.getByRole('status').innerText(), /Evaluation candidate ecd_/);
    await settle(platform);
    const candidates = await listCandidates(platform.db, localOperator);
    assert.equal(candidates[0]?.expectedAnswer, 'The flood deductible is 1000 euros for coastal risks.');
    assert.equal((await usageReport(platform.db, localOperator, { useCase: 'underwriting-qa' })).overrideRate, 1);
    await page.close();
  });

  test('after an ACL change the passage disappears from the page and is counted as withheld; a user has no Review page', async () => {
    await restrictDocument(platform, 'doc_uw', ['group:legal']);
    const page = await signedIn(reviewer, '#/review');
    await page.getByRole('button', { name: 'Review next' }).click();
    const card = page.getByRole('article', { name: 'Review item' });
    await card.waitFor();
    assert.match(await card.getByTestId('withheld').innerText(), /1 withheld/);
    assert.match(await card.getByTestId('review-answer').innerText(), /Withheld/);
    const text = await card.innerText();
    assert.ok(!text.includes('1000 euros') && !text.includes('Underwriting guide'), text);
    await shot(page, 'review-withheld');
    await page.close();
    const userPage = await signedIn(user, '#/review');
    const nav = await userPage.getByRole('navigation', { name: 'Main' }).getByRole('link').allInnerTexts();
    assert.ok(!nav.includes('Review'), nav.join(', '));
    await userPage.getByText('cannot use Review').waitFor();
    await userPage.close();
  });
});
