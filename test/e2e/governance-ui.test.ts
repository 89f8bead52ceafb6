// biome-ignore-all lint/performance/useDomNodeTextContent: Playwright Locator.innerText() is an API call, not the DOM property.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import type { Platform } from '../../src/create-platform.ts';
import { createApiKey } from '../../src/govern/index.ts';
import { createPrompt } from '../../src/prompts/index.ts';
import { type RunningServer, startServer } from '../../src/server/index.ts';
import { createTestPlatform, testStoreKind } from '../helpers/test-platform.ts';
import { browserUnavailable, ensureWebBuilt, launchBrowser, screenshotDir } from './demo-server.ts';

const skip = browserUnavailable();
const template = 'Answer from the context.\n{{context}}\nQuestion: {{question}}';

/** The governance pages in Chromium against a real server: four-eyes approval, rejection, incidents. */
describe(`governance UI in a browser (${testStoreKind})`, { skip, timeout: 300_000 }, () => {
  let platform: Platform;
  let server: RunningServer;
  let browser: { context: BrowserContext; close(): Promise<void> };
  const keys: Record<'alice' | 'bob', string> = { alice: '', bob: '' };

  before(async () => {
    ensureWebBuilt();
    platform = await createTestPlatform({ server: { rateLimit: { requestsPerSecond: 0 } } });
    for (const name of ['qa', 'qa-two']) {
      await createPrompt(platform.db, { name, template, message: 'v1', labels: ['production'], author: 'local:operator' });
      await createPrompt(platform.db, { name, template: `${template}\nBe brief.`, message: 'v2', author: 'local:operator' });
    }
    await platform.answerer.useCases.create('qa', {
      promptRef: 'qa',
      owner: 'user:alice@x.test',
      onCall: 'user:bob@x.test',
      approvers: ['user:alice@x.test', 'user:bob@x.test'],
      status: 'pilot',
    });
    await platform.answerer.useCases.create('qa-two', { promptRef: 'qa-two', approvers: ['user:bob@x.test'], status: 'pilot' });
    for (const person of ['alice', 'bob'] as const) {
      keys[person] = (
        await createApiKey(
          platform.db,
          { name: person, role: 'builder', principals: [`user:${person}@x.test`] },
          { actor: 'local:operator' },
        )
      ).token;
    }
    server = await startServer(platform, { host: '127.0.0.1', port: 0, authCacheMs: 0 });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close(1000);
    await platform?.close();
  });

  const request = async (who: 'alice' | 'bob', path: string, body?: unknown) => {
    const response = await fetch(`${server.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${keys[who]}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };

  async function signedIn(who: 'alice' | 'bob', hash: string): Promise<Page> {
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

  test('the author is refused (403 govern.self_approval, shown); a second person approves one request and rejects another', async () => {
    const first = await request('alice', '/v1/prompts/qa/labels', { label: 'production', version: 2, reason: 'brief answers' });
    assert.equal(first.status, 202);
    const second = await request('alice', '/v1/prompts/qa-two/labels', { label: 'production', version: 2, reason: 'also brief' });
    assert.equal(second.status, 202);
    const firstId = (first.json.changeRequest as { id: string }).id;
    const secondId = (second.json.changeRequest as { id: string }).id;

    const alice = await signedIn('alice', '#/changes');
    const nav = await alice.getByRole('navigation', { name: 'Main' }).getByRole('link').allInnerTexts();
    assert.ok(nav.includes('Changes') && nav.includes('Incidents') && nav.includes('Use cases'), nav.join(', '));
    const own = alice.getByRole('article', { name: `Change request ${firstId}` });
    await own.waitFor();
    assert.match(await own.innerText(), /You requested this change: someone else must approve it/);
    assert.match(await own.innerText(), /\+ Be brief\./, 'the content diff of version 1 → 2');
    // The author is offered no Approve or Reject (the server refuses self-approval anyway: 403
    // govern.self_approval, tested over HTTP); only Withdraw.
    assert.equal(await own.getByRole('button', { name: 'Approve' }).count(), 0);
    assert.equal(await own.getByRole('button', { name: 'Reject' }).count(), 0);
    assert.equal(await own.getByRole('button', { name: 'Withdraw' }).count(), 1);
    await shot(alice, 'governance-01-own-request');
    await alice.close();

    const bob = await signedIn('bob', '#/changes');
    const card = bob.getByRole('article', { name: `Change request ${firstId}` });
    await card.waitFor();
    await card.getByLabel('Comment').fill('Looks right');
    await card.getByRole('button', { name: 'Approve' }).click();
    await bob
      .getByRole('status')
      .filter({ hasText: `${firstId}` })
      .waitFor();
    assert.match(await bob.getByRole('status').innerText(), /is now applied/);
    const other = bob.getByRole('article', { name: `Change request ${secondId}` });
    await other.getByLabel('Comment').fill('Not without an evaluation');
    await other.getByRole('button', { name: 'Reject' }).click();
    await bob.getByRole('status').filter({ hasText: 'rejected' }).waitFor();
    await shot(bob, 'governance-02-approved-and-rejected');
    await bob.close();

    const approved = (await request('bob', `/v1/changes/${firstId}`)).json.changeRequest as {
      status: string;
      approvals: Array<{ actor: string; comment: string }>;
    };
    assert.equal(approved.status, 'applied');
    assert.deepEqual(
      approved.approvals.map((a) => [a.actor, a.comment]),
      [['user:bob@x.test', 'Looks right']],
    );
    const rejected = (await request('bob', `/v1/changes/${secondId}`)).json.changeRequest as { status: string };
    assert.equal(rejected.status, 'rejected');
  });

  test('an incident is opened, triaged, rolled back (a change request) and resolved (sev2 asks for a post-incident note); the use case shows ownership and its change log', async () => {
    const bob = await signedIn('bob', '#/incidents');
    const form = bob.getByRole('form', { name: 'Open an incident' });
    await form.getByLabel('Title').fill('Answers lost their citations');
    await form.getByLabel('Severity').selectOption('sev2');
    await form.getByLabel('Use case').selectOption('qa');
    await form.getByLabel('What is wrong').fill('Since the brief prompt went live.');
    await form.getByRole('button', { name: 'Open incident' }).click();
    await bob.getByRole('heading', { name: 'Answers lost their citations' }).waitFor();
    assert.equal(await bob.getByTestId('incident-status').innerText(), 'open');

    const update = bob.getByRole('form', { name: 'Update the incident' });
    await update.getByLabel('Status').selectOption('triaged');
    await update.getByLabel('Note (required when moving back)').fill('Reproduced on the qa use case.');
    await update.getByRole('button', { name: 'Save' }).click();
    await bob.getByTestId('incident-status').filter({ hasText: 'triaged' }).waitFor();

    // Roll the use case's production prompt back from the incident: a change request for someone else.
    const rollback = bob.getByRole('form', { name: 'Roll back' });
    await rollback.getByLabel('What').selectOption('prompt');
    await rollback.getByLabel('Reason').fill('The brief prompt dropped citations');
    await rollback.getByRole('button', { name: 'Roll back' }).click();
    const filed = bob.getByRole('status').filter({ hasText: 'filed to roll prompt qa back to version 1' });
    await filed.waitFor();
    assert.match(await filed.innerText(), /Change request chg_\w+ filed/);
    await bob.getByRole('list', { name: 'Links' }).getByText('prompt qa: production 2 → 1 (rollback): pending').waitFor();

    const resolve = bob.getByRole('form', { name: 'Resolve the incident' });
    await resolve.getByRole('button', { name: 'Resolve incident' }).click();
    const alert = bob.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /post-incident note[\s\S]*code: incidents\.post_incident_note_required/);
    await resolve
      .getByLabel(/Post-incident note/)
      .fill('The brief prompt dropped the citation rule; an eval case now checks it.');
    await resolve.getByRole('button', { name: 'Resolve incident' }).click();
    await bob.getByTestId('incident-status').filter({ hasText: 'resolved' }).waitFor();
    const timeline = await bob.getByRole('list', { name: 'Timeline' }).innerText();
    assert.match(
      timeline,
      /opened \(sev2\)[\s\S]*status open → triaged[\s\S]*Reproduced[\s\S]*rollback of prompt qa production 2 → 1: pending[\s\S]*resolved/,
    );
    await shot(bob, 'governance-03-incident-resolved');

    await bob.goto(`${server.url}/#/use-cases/qa`);
    const useCase = bob.getByRole('region', { name: 'Use case qa' });
    await useCase.waitFor();
    const ownership = await useCase.getByRole('definition').allInnerTexts();
    assert.ok(ownership.includes('user:alice@x.test'), ownership.join(' | '));
    await useCase.getByRole('table', { name: 'Change log' }).waitFor();
    const log = await useCase.getByRole('table', { name: 'Change log' }).innerText();
    assert.match(log, /label production → version 2 \(was 1\)/);
    assert.match(log, /user:bob@x\.test/, 'the approver');
    assert.match(await useCase.innerText(), /Answers lost their citations/);
    await shot(bob, 'governance-04-use-case-change-log');
    await bob.close();
  });
});
