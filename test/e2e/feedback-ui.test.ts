// biome-ignore-all lint/performance/useDomNodeTextContent: Playwright Locator.innerText() is an API call, not the DOM property.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import type { Platform } from '../../src/create-platform.ts';
import { createApiKey } from '../../src/govern/index.ts';
import { type RunningServer, startServer } from '../../src/server/index.ts';
import { insertInsurerCorpus, staff } from '../helpers/insurer-corpus.ts';
import { createTestPlatform, testStoreKind } from '../helpers/test-platform.ts';
import { browserUnavailable, ensureWebBuilt, launchBrowser, screenshotDir } from './demo-server.ts';

const skip = browserUnavailable();

/**
 * Feedback users can see, in Chromium against a real server: a user rates an answer down, the use case's owner
 * marks it fixed with a note in the Feedback inbox, the user sees the notice and the status on My feedback; the
 * capability card shows on first use and not after it is dismissed (in a fresh tab too: stored server-side).
 */
describe(`feedback users can see, in a browser (${testStoreKind})`, { skip, timeout: 300_000 }, () => {
  let platform: Platform;
  let server: RunningServer;
  let browser: { context: BrowserContext; close(): Promise<void> };
  const keys: Record<'ann' | 'olga', string> = { ann: '', olga: '' };

  before(async () => {
    ensureWebBuilt();
    platform = await createTestPlatform({ server: { rateLimit: { requestsPerSecond: 0 } }, observe: { textRetention: 'keep' } });
    await insertInsurerCorpus(platform.db);
    await platform.answerer.useCases.create('claims', {
      description: 'Home insurance policy questions',
      owner: 'user:olga@x.test',
      status: 'general',
    });
    keys.ann = (
      await createApiKey(
        platform.db,
        { name: 'ann', role: 'user', principals: ['user:ann@x.test', staff] },
        { actor: 'local:operator' },
      )
    ).token;
    keys.olga = (
      await createApiKey(
        platform.db,
        { name: 'olga', role: 'reviewer', principals: ['user:olga@x.test', staff] },
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

  async function signedIn(who: 'ann' | 'olga', hash: string): Promise<Page> {
    const page = await browser.context.newPage();
    await page.goto(server.url);
    await page.evaluate(() => sessionStorage.clear());
    await page.reload();
    await page.getByLabel('API key').fill(keys[who]);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await page.goto(`${server.url}/${hash}`);
    return page;
  }
  const shot = (page: Page, name: string) => page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });

  test('negative feedback → owner marks it fixed in the inbox → the user sees the notice and the status; card until dismissed', async () => {
    // The user: the card shows on first use of the use case; dismissing it is remembered.
    const ann = await signedIn('ann', '#/ask');
    await ann.getByLabel('Use case').selectOption('claims');
    const card = ann.getByTestId('capability-card');
    await card.filter({ hasText: 'Home insurance policy questions' }).waitFor();
    assert.match(await card.innerText(), /It cannot/);
    await shot(ann, 'feedback-01-capability-card');
    await card.getByRole('button', { name: 'Got it' }).click();
    await card.waitFor({ state: 'detached' });

    await ann.getByLabel('Question').fill('What is the deductible for water damage under HO-3?');
    await ann.getByRole('button', { name: 'Ask', exact: true }).click();
    const answer = ann.getByTestId('answer');
    await answer.waitFor();
    await answer.getByRole('button', { name: 'Not helpful' }).click();
    await answer.getByLabel('Category').selectOption('outdated');
    await answer.getByLabel('Comment').fill('The deductible changed this year');
    await answer.getByRole('button', { name: 'Add details' }).click();
    // The details form goes away once the details are stored (the status alone may be the rating's).
    await answer.getByRole('button', { name: 'Add details' }).waitFor({ state: 'detached' });
    await answer.getByRole('status').filter({ hasText: 'feedback recorded' }).waitFor();
    const nav = await ann.getByRole('navigation', { name: 'Main' }).getByRole('link').allInnerTexts();
    assert.ok(nav.includes('My feedback') && !nav.includes('Feedback inbox'), nav.join(', '));
    await ann.close();

    // A fresh tab (new session storage): the dismissed card stays dismissed for this user.
    const again = await signedIn('ann', '#/ask');
    await again.getByLabel('Use case').selectOption('claims');
    await again.getByRole('button', { name: 'What this assistant can and cannot do' }).waitFor();
    assert.equal(await again.getByTestId('capability-card').count(), 0);
    await again.close();

    // The owner: the inbox lists it with the question; select it, mark it fixed with a note.
    const olga = await signedIn('olga', '#/feedback-inbox');
    const row = olga.getByTestId('inbox-row').filter({ hasText: 'The deductible changed this year' });
    await row.waitFor();
    assert.match(await row.innerText(), /What is the deductible for water damage under HO-3\?/);
    assert.match(await row.innerText(), /user:ann@x\.test/);
    await row.getByRole('checkbox').check();
    await olga.getByLabel('New status').selectOption('fixed');
    await olga.getByLabel('Note').fill('Updated the HO-3 deductible table.');
    await olga.getByRole('button', { name: 'Apply to selected' }).click();
    await olga.getByRole('status').filter({ hasText: '1 marked fixed' }).waitFor();
    await shot(olga, 'feedback-02-inbox-marked-fixed');
    // The open filter no longer lists it; "any" shows it as fixed.
    assert.equal(await olga.getByTestId('inbox-row').count(), 0);
    await olga.getByLabel('Status').selectOption('');
    await olga.getByTestId('inbox-row').filter({ hasText: 'fixed' }).waitFor();
    await olga.close();

    // The user: a notice in the header, the status and the note on My feedback; marking it seen clears it.
    const back = await signedIn('ann', '#/ask');
    const link = back.getByTestId('notices-link');
    await link.waitFor();
    assert.match(await link.innerText(), /1 update on your feedback/);
    await link.click();
    const notices = back.getByTestId('notices');
    await notices.waitFor();
    assert.match(await notices.innerText(), /fixed/);
    assert.match(await notices.innerText(), /Updated the HO-3 deductible table\./);
    const item = back.getByTestId('my-feedback-item');
    await item.waitFor();
    assert.match(await item.innerText(), /fixed/);
    assert.match(
      await item.getByTestId('status-note').innerText(),
      /Note from user:olga@x\.test: “Updated the HO-3 deductible table\.”/,
    );
    assert.match(await item.innerText(), /open → fixed/);
    await shot(back, 'feedback-03-my-feedback-fixed');
    await notices.getByRole('button', { name: 'Mark as seen' }).click();
    await notices.waitFor({ state: 'detached' });
    await link.waitFor({ state: 'detached' });

    // "What changed" on the Ask page tells the use case's users a reported problem was fixed.
    await back.goto(`${server.url}/#/ask`);
    await back.getByLabel('Use case').selectOption('claims');
    const changed = back.getByTestId('what-changed').filter({ hasText: 'What changed in claims' });
    await changed.waitFor();
    await changed.locator('summary').click();
    assert.match(await changed.innerText(), /1 reported problem fixed/);
    await back.close();
  });
});
