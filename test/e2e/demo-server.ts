import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium } from 'playwright-core';

const root = fileURLToPath(new URL('../../', import.meta.url));
export const chromiumPath = '/usr/bin/chromium';
export const screenshotDir = join(root, 'test-artifacts', 'screenshots');

/** The `--json` report of `groundwork demo`. */
export interface DemoServer {
  url: string;
  /** Where sources may be added over the API (the demo's sources.allowedRoots). */
  inbox: string;
  keys: { admin: string; underwriter: string; adjuster: string; approver: string };
  documents: number;
  stop(): Promise<void>;
}

/**
 * Adds a source over the API as the demo admin. Adding a source is governed (a change request, 202), so the
 * demo's second admin approves it; answers what the applied change answered.
 */
export async function addDemoSource(demo: Omit<DemoServer, 'stop'>, body: Record<string, unknown>): Promise<Response> {
  const added = await fetch(`${demo.url}/v1/sources`, {
    method: 'POST',
    headers: { authorization: `Bearer ${demo.keys.admin}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (added.status !== 202) return added;
  const { changeRequest } = (await added.json()) as { changeRequest: { id: string } };
  const approved = await fetch(`${demo.url}/v1/changes/${changeRequest.id}/approve`, {
    method: 'POST',
    headers: { authorization: `Bearer ${demo.keys.approver}`, 'content-type': 'application/json' },
    body: '{}',
  });
  if (approved.status !== 200) return approved;
  const status = 201;
  return new Response(JSON.stringify(((await approved.json()) as { changeRequest: { result: unknown } }).changeRequest.result), {
    status,
  });
}

/**
 * Why the browser tests cannot run here, or undefined when they can. Without Chromium they are skipped locally
 * but fail in CI (`CI` set), where .ci/run installs it.
 */
export function browserUnavailable(): string | undefined {
  if (existsSync(chromiumPath)) return undefined;
  const message = `Chromium not found at ${chromiumPath}: install it with \`apt-get install -y chromium\`.`;
  if (process.env.CI) throw new Error(message);
  return `${message} Browser tests skipped.`;
}

/** Builds web/dist when it is missing (a fresh checkout that skipped `npm ci`). */
export function ensureWebBuilt(): void {
  if (existsSync(join(root, 'web', 'dist', 'index.html'))) return;
  const result = spawnSync(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', 'web'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`vite build failed:\n${result.stderr}${result.stdout}`);
}

/** Runs the real `groundwork demo --port 0` in a temporary directory and waits for its JSON report. */
export async function startDemo(): Promise<DemoServer> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-e2e-'));
  const child: ChildProcess = spawn(
    process.execPath,
    [join(root, 'bin', 'groundwork.js'), 'demo', '--port', '0', '--data-dir', join(dir, 'data'), '--json'],
    { cwd: dir, env: { PATH: process.env.PATH ?? '', HOME: dir }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const report = await new Promise<Omit<DemoServer, 'stop'>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`groundwork demo did not start in 120 s:\n${stderr}`)), 120_000);
    child.stdout?.on('data', (d) => {
      stdout += d;
      try {
        const parsed = JSON.parse(stdout) as Omit<DemoServer, 'stop'>;
        clearTimeout(timer);
        resolve(parsed);
      } catch {
        // Not the whole JSON document yet.
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`groundwork demo exited with ${code}:\n${stderr}${stdout}`));
    });
  });
  return {
    ...report,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Debian's Chromium, headless, with a fresh profile; a laptop-sized window (1366×768). */
export async function launchBrowser(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'gw-chromium-'));
  mkdirSync(screenshotDir, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1366, height: 768 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
