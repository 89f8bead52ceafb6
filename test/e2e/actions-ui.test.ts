// biome-ignore-all lint/performance/useDomNodeTextContent: Playwright Locator.innerText() is an API call, not the DOM property.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MockLanguageModelV4 } from 'ai/test';
import type { BrowserContext, Page } from 'playwright-core';
import { getProposal, proposeAction, runAgent } from '../../src/actions/index.ts';
import { setUseCaseStage } from '../../src/answer/index.ts';
import { callerWithPrincipals, localOperator, providerSchema } from '../../src/core/index.ts';
import type { Platform } from '../../src/create-platform.ts';
import { createApiKey } from '../../src/govern/index.ts';
import { type RunningServer, startServer } from '../../src/server/index.ts';
import { actionDeps, agentDeps } from '../../src/worker.ts';
import { seedCorpus } from '../helpers/review-corpus.ts';
import { createTestPlatform, testStoreKind } from '../helpers/test-platform.ts';
import { browserUnavailable, ensureWebBuilt, launchBrowser, screenshotDir } from './demo-server.ts';

const skip = browserUnavailable();
const uma = callerWithPrincipals(['user:uma@x.test', 'group:underwriting']);

/** The Approvals inbox in Chromium against a real server: evidence, withheld count, edit + approve, deny, four eyes. */
describe(`approvals UI in a browser (${testStoreKind})`, { skip, timeout: 300_000 }, () => {
  let platform: Platform;
  let server: RunningServer;
  let browser: { context: BrowserContext; close(): Promise<void> };
  let approver = '';
  let proposer = '';

  before(async () => {
    ensureWebBuilt();
    platform = await createTestPlatform({ server: { rateLimit: { requestsPerSecond: 0 } } });
    await seedCorpus(platform);
    approver = (
      await createApiKey(
        platform.db,
        { name: 'rita', role: 'reviewer', principals: ['user:rita@x.test', 'group:underwriting'] },
        { actor: 'local:operator' },
      )
    ).token;
    proposer = (
      await createApiKey(platform.db, { name: 'uma', role: 'user', principals: [...uma.principals] }, { actor: 'local:operator' })
    ).token;
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

  test('an approver reads the evidence they may read, edits the input and approves; another proposal is denied', async () => {
    const deps = actionDeps(platform);
    const first = await proposeAction(deps, localOperator, {
      action: 'create_note',
      input: { useCase: 'underwriting-qa', text: 'Coastal deductible is 100 euros' },
      useCase: 'underwriting-qa',
      reasoning: 'The underwriting guide names the coastal flood deductible.',
      onBehalfOf: 'user:uma@x.test',
      evidence: [
        { documentId: 'doc_uw', chunkId: 'chk_uw' },
        { documentId: 'doc_cl', chunkId: 'chk_cl' },
      ],
    });
    const second = await proposeAction(deps, uma, {
      action: 'create_note',
      input: { useCase: 'underwriting-qa', text: 'duplicate' },
      useCase: 'underwriting-qa',
    });
    const page = await signedIn(approver, '#/approvals');
    const nav = await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allInnerTexts();
    assert.ok(nav.includes('Approvals'), nav.join(', '));
    await page.getByRole('table', { name: 'Proposals' }).waitFor();
    await page.getByRole('button', { name: `Open ${first.id}` }).click();
    const card = page.getByRole('article', { name: 'Proposal' });
    await card.waitFor();
    assert.match(await card.getByTestId('proposal-reasoning').innerText(), /coastal flood deductible/);
    const evidence = await card.getByRole('list', { name: 'Evidence' }).innerText();
    assert.match(evidence, /Underwriting guide/);
    assert.match(evidence, /1000 euros/);
    assert.ok(!(await card.innerText()).includes('second adjuster'), 'the claims manual is not shown');
    assert.match(await card.getByTestId('withheld-evidence').innerText(), /1 cited passage\(s\) withheld/);
    await card
      .getByLabel('Input to run (edit before approving)')
      .fill(JSON.stringify({ useCase: 'underwriting-qa', text: 'Coastal deductible is 1000 euros' }));
    await card.getByRole('table', { name: 'Your edit' }).waitFor();
    await shot(page, 'approvals-edit');
    await card.getByRole('button', { name: 'Approve with edit' }).click();
    await card.getByRole('heading', { name: /approved/ }).waitFor();
    await card.getByRole('table', { name: 'Input changes' }).waitFor();
    const approved = await getProposal(deps, localOperator, first.id);
    assert.equal(approved.status, 'approved');
    assert.deepEqual(approved.input, { useCase: 'underwriting-qa', text: 'Coastal deductible is 1000 euros' });
    assert.equal(approved.edits.length, 1);

    await page.getByRole('button', { name: `Open ${second.id}` }).click();
    const denyCard = page.getByRole('article', { name: 'Proposal' });
    await denyCard.getByRole('heading', { name: /proposed/ }).waitFor();
    await denyCard.getByLabel('Reason').fill('duplicate note');
    await denyCard.getByRole('button', { name: 'Deny' }).click();
    await denyCard.getByRole('heading', { name: /denied/ }).waitFor();
    assert.equal((await getProposal(deps, localOperator, second.id)).status, 'denied');
    await page.getByRole('table', { name: 'Action stats' }).waitFor();
    assert.match(await page.getByRole('table', { name: 'Action stats' }).innerText(), /create_note/);
    await shot(page, 'approvals-stats');
    await page.close();
  });

  test('the proposer sees their proposal but no approve button (four eyes)', async () => {
    const own = await proposeAction(actionDeps(platform), uma, {
      action: 'create_note',
      input: { useCase: 'underwriting-qa', text: 'mine' },
      useCase: 'underwriting-qa',
    });
    const page = await signedIn(proposer, '#/approvals');
    await page.getByRole('button', { name: `Open ${own.id}` }).click();
    const card = page.getByRole('article', { name: 'Proposal' });
    await card.getByText('another approver decides it').waitFor();
    assert.equal(await card.getByRole('button', { name: 'Approve' }).count(), 0);
    await page.close();
  });

  test('an agent run’s trace shows its tool steps with inputs and outputs', async () => {
    await setUseCaseStage(platform.db, 'underwriting-qa', 'general');
    let call = 0;
    const usage = {
      inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 },
      outputTokens: { total: 5, text: 5, reasoning: 0 },
    };
    const model = new MockLanguageModelV4({
      provider: 'mock',
      modelId: 'agent-1',
      doGenerate: async () => {
        call++;
        if (call === 1) {
          return {
            content: [
              { type: 'tool-call', toolCallId: 'c1', toolName: 'search', input: JSON.stringify({ query: 'flood deductible' }) },
            ],
            finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
            usage,
            warnings: [],
          };
        }
        return {
          content: [{ type: 'text', text: 'Found it.' }],
          finishReason: { unified: 'stop', raw: 'stop' },
          usage,
          warnings: [],
        };
      },
    });
    const base = agentDeps(platform);
    const run = await runAgent(
      {
        ...base,
        models: {
          defaultChat: 'mock:agent-1',
          chat: () => model,
          describe: () => ({
            ref: 'mock:agent-1',
            provider: 'mock',
            providerType: 'openai-compatible',
            modelId: 'agent-1',
            providerConfig: providerSchema.parse({ type: 'openai-compatible', trusted: true, maxSensitivity: 'restricted' }),
          }),
        },
        agentsConfig: {
          ...base.agentsConfig,
          useCases: { 'underwriting-qa': { enabled: true, maxSteps: 3, maxTokens: 10_000 } },
        },
      },
      uma,
      'underwriting-qa',
      { task: 'What is the coastal flood deductible?' },
    );
    await platform.observe.recorder.flush();
    const page = await signedIn(proposer, `#/traces/${run.traceId}`);
    const steps = page.getByRole('list', { name: 'Agent tool steps' });
    await steps.waitFor();
    const text = await steps.innerText();
    assert.match(text, /search/);
    assert.match(text, /flood deductible/);
    assert.match(text, /chk_uw/);
    await shot(page, 'agent-trace');
    await page.close();
  });
});
