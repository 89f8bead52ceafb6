import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import type { GroundworkError } from '../../../core/index.ts';
import { sourceContract } from '../source.contract.ts';
import type { SourceItem, SourceProblem } from '../source.ts';
import { createFilesystemSource } from './filesystem-source.ts';

async function scratchDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'gw-fs-'));
}

async function put(root: string, ref: string, content: string | Uint8Array): Promise<void> {
  const path = join(root, ...ref.split('/'));
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
}

sourceContract('filesystem', {
  async setup() {
    const root = await scratchDir();
    return {
      source: createFilesystemSource({ path: root, maxFileBytes: 1024 * 1024 }),
      write: (ref, bytes) => put(root, ref, bytes),
      remove: (ref) => rm(join(root, ...ref.split('/'))),
      cleanup: () => rm(root, { recursive: true, force: true }),
    };
  },
});

async function listAll(root: string, options: { include?: string[]; exclude?: string[] } = {}) {
  const source = createFilesystemSource({ path: root, maxFileBytes: 100, ...options });
  const items: SourceItem[] = [];
  const problems: SourceProblem[] = [];
  for await (const change of source.listChanges(undefined, (problem) => problems.push(problem))) {
    if (change.kind === 'upsert') items.push(change.item);
  }
  return { source, items, problems };
}

describe('filesystem source', () => {
  test('honours include/exclude globs, hides sidecars and records their version', async () => {
    const root = await scratchDir();
    try {
      await put(root, 'docs/a.md', '# A');
      await put(root, 'docs/a.md.meta.json', JSON.stringify({ title: 'Alpha', principals: ['group:claims'] }));
      await put(root, 'docs/tmp/b.md', 'b');
      await put(root, 'other/c.txt', 'c');
      await put(root, '.git/config', 'x');
      const { source, items } = await listAll(root, { include: ['docs/**'], exclude: ['**/tmp/**'] });
      assert.deepEqual(
        items.map((item) => item.ref),
        ['docs/a.md'],
      );
      assert.ok(items[0]?.sidecarVersion);
      const fetched = await source.fetch('docs/a.md');
      assert.equal(fetched.sidecar?.title, 'Alpha');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  test('never follows a symlink out of its root; over-size files fail with ingest.too_large', async () => {
    const root = await scratchDir();
    const outside = await scratchDir();
    try {
      await put(outside, 'secret.txt', 'top secret');
      await put(root, 'inside.txt', 'fine');
      await put(root, 'big.txt', 'x'.repeat(500));
      await symlink(join(outside, 'secret.txt'), join(root, 'escape.txt'));
      await symlink(join(root, 'inside.txt'), join(root, 'alias.txt'));
      const { source, items, problems } = await listAll(root);
      assert.deepEqual(
        items.map((item) => item.ref),
        ['alias.txt', 'big.txt', 'inside.txt'],
      );
      assert.deepEqual(
        problems.map((problem) => [problem.ref, problem.code]),
        [['escape.txt', 'ingest.symlink_outside_root']],
      );
      await assert.rejects(source.fetch('escape.txt'), (error: GroundworkError) => error.code === 'ingest.symlink_outside_root');
      await assert.rejects(source.fetch('big.txt'), (error: GroundworkError) => error.code === 'ingest.too_large');
    } finally {
      await rm(root, { recursive: true, force: true });
      await rm(outside, { recursive: true, force: true });
    }
  });

  test('a malformed sidecar fails the fetch with ingest.bad_sidecar', async () => {
    const root = await scratchDir();
    try {
      await put(root, 'a.txt', 'a');
      await put(root, 'a.txt.meta.json', '{ not json');
      const { source } = await listAll(root);
      await assert.rejects(source.fetch('a.txt'), (error: GroundworkError) => error.code === 'ingest.bad_sidecar');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
