// biome-ignore-all lint/performance/useDomNodeTextContent: Playwright Locator.innerText() is an API call, not the DOM property.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { addClaimNote, getClaim, importClaims, processClaim } from '../../src/claims/index.ts';
import { callerWithPrincipals, localOperator } from '../../src/core/index.ts';
import type { Platform } from '../../src/create-platform.ts';
import { listCandidates } from '../../src/evaluate/index.ts';
import { createApiKey } from '../../src/govern/index.ts';
import { addSource } from '../../src/ingest/index.ts';
import { type RunningServer, startServer } from '../../src/server/index.ts';
import { type GeneratedFixture, generatedClaimsFixture, writePolicyFolder } from '../helpers/claims-fixtures.ts';
import { createTestPlatform, testStoreKind } from '../helpers/test-platform.ts';
import { browserUnavailable, ensureWebBuilt, launchBrowser, screenshotDir } from './demo-server.ts';

const skip = browserUnavailable();
const alice = callerWithPrincipals(['user:alice@example.com', 'group:claims']);
const bob = callerWithPrincipals(['user:bob@example.com', 'group:claims']);

/** The Claims pages in Chromium against a real server: queue, summary with citations beside the page, decision, dashboard. */
describe(`claims UI in a browser (${testStoreKind})`, { skip, timeout: 300_000 }, () => {
  let platform: Platform;
  let server: RunningServer;
  let browser: { context: BrowserContext; close(): Promise<void> };
  let dir = '';
  let fx: GeneratedFixture;
  let FT = '';
  let SIU = '';
  let NI = '';
  const tokens: Record<string, string> = {};

  before(async () => {
    ensureWebBuilt();
    dir = await mkdtemp(join(tmpdir(), 'gw-claims-ui-'));
    platform = await createTestPlatform({
      dataDir: join(dir, 'data'),
      claims: { documentsDir: join(dir, 'claim-docs'), policySources: ['policies'] },
      server: { rateLimit: { requestsPerSecond: 0 } },
    });
    const policy = await writePolicyFolder(dir);
    await addSource(platform.db, { name: 'policies', type: 'filesystem', path: policy.claimsDir, readableBy: ['group:claims'] });
    await platform.ingestion.sync({ source: 'policies' });
    fx = await generatedClaimsFixture(join(dir, 'import'));
    [FT, SIU, NI] = [fx.fastTrack.claimNumber, fx.siu.claimNumber, fx.needsInfo.claimNumber];
    await importClaims(platform, localOperator, fx.dir);
    await processClaim(platform, alice, FT);
    await processClaim(platform, bob, SIU);
    await processClaim(platform, alice, NI);
    for (const [name, role, principals] of [
      ['alice', 'user', alice.principals],
      ['viewer', 'viewer', ['user:vic@example.com', 'group:claims']],
    ] as const) {
      tokens[name] = (
        await createApiKey(platform.db, { name, role, principals: [...principals] }, { actor: 'local:operator' })
      ).token;
    }
    server = await startServer(platform, { host: '127.0.0.1', port: 0, authCacheMs: 0 });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close(1000);
    await platform?.close();
    await rm(dir, { recursive: true, force: true });
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

  test('an adjuster opens their queue, reads a field beside its cited page, edits it and records the decision', async () => {
    const page = await signedIn(tokens.alice as string, '#/claims');
    const queue = page.getByRole('table', { name: 'Claims queue' });
    await queue.waitFor();
    const text = await queue.innerText();
    assert.ok(text.includes(FT));
    assert.ok(text.includes(NI));
    assert.ok(!text.includes(SIU), 'another adjuster’s claim is not in the queue');
    await addClaimNote(platform, alice, FT, { note: 'Called the insured: the other driver admitted fault.' });
    await page.getByRole('link', { name: FT }).click();
    await page.getByTestId('claim-outcome').waitFor();
    assert.match(await page.getByRole('list', { name: 'Claim notes' }).innerText(), /other driver admitted fault/);
    assert.match(await page.getByTestId('claim-outcome').innerText(), /covered/);
    assert.match(await page.getByTestId('claim-tier').innerText(), /Fast track/);
    const fields = page.getByRole('table', { name: 'Extracted fields' });
    await fields
      .getByRole('row', { name: /repairTotal/ })
      .getByRole('button')
      .click();
    await page.getByTestId('cited-source').filter({ hasText: 'repair-estimate.pdf' }).waitFor();
    const cited = page.getByTestId('cited-page');
    await cited.locator('mark').waitFor();
    const passage = (await getClaim(platform, alice, FT)).extracted.repairTotal?.citation?.passage ?? '';
    const marked = await cited.locator('mark').innerText();
    assert.ok(marked.length > 0 && passage.includes(marked.trim().slice(0, 12)), `${marked} in ${passage}`);
    await shot(page, 'claims-summary');
    const form = page.getByRole('form', { name: 'Decision' });
    await form.getByLabel('Edit a field').check();
    await form.getByRole('combobox', { name: 'Field' }).selectOption('repairTotal');
    await form.getByLabel('Corrected value').fill('2300');
    await form.getByLabel('Comment').fill('final invoice is lower');
    await form.getByRole('button', { name: 'Record decision' }).click();
    await page.getByRole('status').waitFor();
    assert.match(await page.getByRole('status').innerText(), /Evaluation candidate ecd_/);
    await page.getByRole('list', { name: 'Decisions' }).waitFor();
    assert.match(
      await page.getByRole('list', { name: 'Decisions' }).innerText(),
      new RegExp(`repairTotal: ${fx.fastTrack.fields.repairTotal} → 2300`),
    );
    const claim = await getClaim(platform, localOperator, FT);
    assert.equal(claim.status, 'decided');
    assert.equal((await listCandidates(platform.db, localOperator))[0]?.category, 'claims:edit');
    await page.close();
  });

  test('the dashboard plots the override rate and tiers; another adjuster’s claim and a low-privilege key show nothing', async () => {
    const page = await signedIn(tokens.alice as string, '#/claims-dashboard');
    await page.getByRole('img', { name: 'Override rate by week' }).waitFor();
    await page.getByRole('img', { name: 'Claims by tier' }).waitFor();
    assert.match(await page.getByRole('region', { name: 'Claims metrics' }).innerText(), /Straight-through/);
    await shot(page, 'claims-dashboard');
    await page.goto(`${server.url}/#/claims/${SIU}`);
    await page.getByText(`No claim "${SIU}" that you may see.`).waitFor();
    assert.ok(!(await page.locator('main').innerText()).includes(String(fx.siu.fields.policyNumber)));
    await page.close();
    const viewer = await signedIn(tokens.viewer as string, '#/claims');
    const nav = await viewer.getByRole('navigation', { name: 'Main' }).getByRole('link').allInnerTexts();
    assert.ok(!nav.includes('Claims'), nav.join(', '));
    await viewer.getByText('cannot use Claims').waitFor();
    await viewer.close();
  });
});
