// biome-ignore-all lint/performance/useDomNodeTextContent: Playwright Locator.innerText() is an API call, not the DOM property.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { browserUnavailable, type DemoServer, ensureWebBuilt, launchBrowser, screenshotDir, startDemo } from './demo-server.ts';

const skip = browserUnavailable();

/**
 * The Adoption page's charts, criteria, health flags and review form in Debian's Chromium against the real
 * `groundwork demo` (its simulated usage and example criteria, clearly labelled).
 */
describe('Adoption page: criteria, health and review in a browser', { skip, timeout: 300_000 }, () => {
  let demo: DemoServer;
  let browser: { context: BrowserContext; close(): Promise<void> };

  before(async () => {
    ensureWebBuilt();
    demo = await startDemo();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await demo?.stop();
  });

  async function signedIn(key: string): Promise<Page> {
    const page = await browser.context.newPage();
    await page.goto(demo.url);
    await page.evaluate(() => sessionStorage.clear());
    await page.reload();
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    return page;
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });

  test('simulated usage (labelled): time-to-value histogram, criteria lines with target, health flags with action, a review', async () => {
    const page = await signedIn(demo.keys.admin);
    await page.getByRole('link', { name: 'Adoption' }).click();
    await page.getByRole('heading', { name: 'Adoption' }).waitFor();
    await page.getByRole('heading', { name: 'Success criteria' }).waitFor();
    // Real usage by default: the criteria exist but have no real data; no flags.
    await page.getByTestId('criterion-status-retention-30d').waitFor();
    assert.equal(await page.getByTestId('criterion-status-retention-30d').innerText(), 'no data');
    await page.getByText('No health flags.').waitFor();
    await page.getByLabel('Include simulated demo usage').check();
    await page.getByText(/Includes SIMULATED usage/).waitFor();
    await page.getByText('Measured on SIMULATED usage (demo data).').waitFor();
    await page.getByText('Flags on SIMULATED usage (demo data).').waitFor();
    await page.getByTestId('ttv-histogram').waitFor();
    assert.match(
      (await page.getByTestId('ttv-histogram').getAttribute('aria-label')) ?? '',
      /Time to value of \d+ users: < 1 h \d+/,
    );
    await page.getByRole('img', { name: /Daily active users over 90 days/ }).waitFor();
    // Criteria progress lines with their target line: one on track, one at risk.
    await page.locator('[data-testid="criterion-status-retention-30d"]', { hasText: 'on track' }).waitFor();
    assert.equal(await page.getByTestId('criterion-status-task-completion').innerText(), 'at risk');
    const chart = page.getByTestId('criterion-chart-task-completion');
    assert.equal(await chart.getByTestId('target-line').count(), 1);
    assert.ok((await chart.locator('circle').count()) >= 5, 'one point per weekly period');
    // Health flags with their data and suggested action.
    const falling = page.getByTestId('flag-adoption_falling');
    await falling.waitFor();
    assert.match(
      await falling.innerText(),
      /Active users fell from \d+ to \d+[\s\S]*Suggested: Interview non-adopters[\s\S]*activePrevious30/,
    );
    assert.match(await page.getByTestId('flag-criteria_missed').innerText(), /task-completion/);
    await shot(page, '21-adoption-criteria-health');
    // Record a review.
    await page.getByLabel('Decision').selectOption('fix');
    await page.getByLabel('Notes').fill('Interview claims-ops about the drop-off; fix completion first.');
    await page.getByRole('button', { name: 'Record review' }).click();
    await page.getByText('Review recorded: fix.').waitFor();
    const row = page.getByRole('table', { name: 'reviews' }).getByRole('row').nth(1);
    assert.match(await row.innerText(), /fix[\s\S]*user:ada@meridian\.example[\s\S]*adoption_falling/);
    await page.close();
  });

  test('a claims adjuster (user role) cannot open usage, criteria or reviews over the API', async () => {
    for (const path of ['/v1/use-cases/default/criteria', '/v1/use-cases/default/health', '/v1/use-cases/default/reviews']) {
      const response = await fetch(`${demo.url}${path}`, { headers: { authorization: `Bearer ${demo.keys.adjuster}` } });
      assert.equal(response.status, 403, path);
    }
    const review = await fetch(`${demo.url}/v1/use-cases/default/reviews`, {
      method: 'POST',
      headers: { authorization: `Bearer ${demo.keys.adjuster}`, 'content-type': 'application/json' },
      body: JSON.stringify({ decision: 'stop' }),
    });
    assert.equal(review.status, 403);
  });
});
