// biome-ignore-all lint/performance/useDomNodeTextContent: Playwright Locator.innerText() is an API call, not the DOM property.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { createCohort } from '../../src/adoption/index.ts';
import { localOperator } from '../../src/core/index.ts';
import type { Platform } from '../../src/create-platform.ts';
import { createApiKey } from '../../src/govern/index.ts';
import { type RunningServer, startServer } from '../../src/server/index.ts';
import { createTestPlatform, testStoreKind } from '../helpers/test-platform.ts';
import { browserUnavailable, ensureWebBuilt, launchBrowser, screenshotDir } from './demo-server.ts';

const skip = browserUnavailable();

/** The rollout panel on the Adoption page and the owner's message on the Ask page, in Chromium against a real server. */
describe(`rollout UI in a browser (${testStoreKind})`, { skip, timeout: 300_000 }, () => {
  let platform: Platform;
  let server: RunningServer;
  let browser: { context: BrowserContext; close(): Promise<void> };
  const keys: Record<'ada' | 'bob' | 'carl', string> = { ada: '', bob: '', carl: '' };

  before(async () => {
    ensureWebBuilt();
    platform = await createTestPlatform({ server: { rateLimit: { requestsPerSecond: 0 } } });
    await createCohort(platform.db, localOperator, { name: 'pilot-adjusters', principals: ['group:pilot'] });
    keys.ada = (
      await createApiKey(
        platform.db,
        { name: 'ada', role: 'admin', principals: ['user:ada@x.test'] },
        { actor: 'local:operator' },
      )
    ).token;
    keys.bob = (
      await createApiKey(
        platform.db,
        { name: 'bob', role: 'admin', principals: ['user:bob@x.test'] },
        { actor: 'local:operator' },
      )
    ).token;
    keys.carl = (
      await createApiKey(
        platform.db,
        { name: 'carl', role: 'user', principals: ['user:carl@x.test', 'group:claims'] },
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

  async function signedIn(who: 'ada' | 'bob' | 'carl', hash: string): Promise<Page> {
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

  async function askAs(page: Page): Promise<string> {
    await page.getByLabel('Question').fill('What is the deductible for water damage?');
    await page.getByRole('button', { name: 'Ask' }).click();
    const message = page.getByTestId('rollout-message');
    await message.waitFor();
    return message.innerText();
  }

  test('an admin narrows to a pilot, kills with a message (the user sees it on Ask), restores; the user outside the pilot is told so', async () => {
    const ada = await signedIn('ada', '#/adoption');
    const panel = ada.getByRole('region', { name: 'Rollout' });
    await panel.waitFor();
    assert.equal(await panel.getByTestId('rollout-stage').innerText(), 'general');
    await panel.getByLabel('Stage').selectOption('pilot');
    await panel.getByLabel('pilot-adjusters').check();
    await panel.getByRole('button', { name: 'Set stage' }).click();
    await panel.getByRole('status').filter({ hasText: 'Stage set to pilot' }).waitFor();
    assert.equal(await panel.getByTestId('rollout-stage').innerText(), 'pilot');
    await panel.getByLabel('Message to users').fill('Paused while we correct the deductibles.');
    await panel.getByRole('button', { name: 'Kill' }).click();
    await panel.getByText(/Killed by user:ada@x\.test/).waitFor();
    await shot(ada, 'rollout-01-killed');

    const carl = await signedIn('carl', '#/ask');
    assert.match(await askAs(carl), /Paused while we correct the deductibles\./);
    await shot(carl, 'rollout-02-ask-killed');

    await panel.getByRole('button', { name: 'Restore' }).click();
    await panel.getByRole('status').filter({ hasText: 'answers again' }).waitFor();
    assert.equal(await panel.getByText(/Killed by/).count(), 0);
    await ada.close();

    await carl.reload();
    await carl.getByLabel('Question').waitFor();
    assert.match(await askAs(carl), /rolled out gradually and is not available to you yet/);
    await carl.close();
    const rollout = (await (
      await fetch(`${server.url}/v1/use-cases/default/rollout`, { headers: { authorization: `Bearer ${keys.ada}` } })
    ).json()) as { stage: string; cohorts: string[]; killed: boolean };
    assert.deepEqual([rollout.stage, rollout.cohorts, rollout.killed], ['pilot', ['pilot-adjusters'], false]);
  });
});

describe(`rollout approval in a browser (${testStoreKind})`, { skip, timeout: 300_000 }, () => {
  test('an expansion from the panel waits for approval; the approver sees the criteria and eval gate and approves', async () => {
    // Runs after the first describe in this file: the platform there is closed, so this one has its own.
    ensureWebBuilt();
    const platform = await createTestPlatform({ server: { rateLimit: { requestsPerSecond: 0 } } });
    const server = await startServer(platform, { host: '127.0.0.1', port: 0, authCacheMs: 0 });
    const browser = await launchBrowser();
    try {
      await createCohort(platform.db, localOperator, { name: 'pilot-adjusters', principals: ['group:pilot'] });
      await platform.answerer.useCases.create('uw', { status: 'pilot' });
      const key = async (name: string) =>
        (
          await createApiKey(
            platform.db,
            { name, role: 'admin', principals: [`user:${name}@x.test`] },
            { actor: 'local:operator' },
          )
        ).token;
      const tokens = { ada: await key('ada'), bob: await key('bob') };
      const open = async (who: 'ada' | 'bob', hash: string) => {
        const page = await browser.context.newPage();
        await page.goto(server.url);
        await page.evaluate(() => sessionStorage.clear());
        await page.reload();
        await page.getByLabel('API key').fill(tokens[who]);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByRole('navigation', { name: 'Main' }).waitFor();
        await page.goto(`${server.url}/${hash}`);
        return page;
      };
      const ada = await open('ada', '#/adoption');
      await ada.getByLabel('Use case').selectOption('uw');
      const panel = ada.getByRole('region', { name: 'Rollout' });
      await panel.getByTestId('rollout-stage').filter({ hasText: 'pilot' }).waitFor();
      await panel.getByLabel('Stage').selectOption('limited');
      await panel.getByLabel('pilot-adjusters').check();
      await panel.getByLabel('Percent of everyone (sticky per user)').fill('30');
      await panel.getByRole('button', { name: 'Set stage' }).click();
      const notice = panel.getByRole('status').filter({ hasText: 'waits for approval' });
      await notice.waitFor();
      const id = /change request (chg_[a-z0-9]+)/.exec(await notice.innerText())?.[1] as string;
      assert.ok(id);
      await ada.close();

      const bob = await open('bob', '#/changes');
      const card = bob.getByRole('article', { name: `Change request ${id}` });
      const context = card.getByTestId('rollout-context');
      await context.waitFor();
      assert.match(await context.innerText(), /No success criteria[\s\S]*Latest evaluation gate: never evaluated/);
      await bob.screenshot({ path: join(screenshotDir, 'rollout-03-approval-context.png'), fullPage: true });
      await card.getByRole('button', { name: 'Approve' }).click();
      await bob.getByRole('status').filter({ hasText: id }).waitFor();
      await bob.close();
      const rollout = (await (
        await fetch(`${server.url}/v1/use-cases/uw/rollout`, { headers: { authorization: `Bearer ${tokens.ada}` } })
      ).json()) as { stage: string; percent: number };
      assert.deepEqual([rollout.stage, rollout.percent], ['limited', 30]);
    } finally {
      await browser.close();
      await server.close(1000);
      await platform.close();
    }
  });
});
