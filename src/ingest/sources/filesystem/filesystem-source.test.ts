import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
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
      async writeUnlistable(ref) {
        const path = join(root, ...ref.split('/'));
        await mkdir(dirname(path), { recursive: true });
        await symlink('.', path);
      },
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
      await put(outside, 'secret.json', JSON.stringify({ password: 'hunter2' }));
      await put(root, 'inside.txt', 'fine');
      await put(root, 'big.txt', 'x'.repeat(500));
      await symlink(join(outside, 'secret.txt'), join(root, 'escape.txt'));
      await symlink(outside, join(root, 'escape-folder'));
      const { source, items, problems } = await listAll(root);
      assert.deepEqual(
        items.map((item) => item.ref),
        ['big.txt', 'inside.txt'],
      );
      assert.deepEqual(
        problems.map((problem) => [problem.ref, problem.code]),
        [
          ['escape-folder', 'ingest.symlink_outside_root'],
          ['escape.txt', 'ingest.symlink_outside_root'],
        ],
      );
      assert.ok(problems.every((problem) => problem.fix));
      await assert.rejects(source.fetch('escape.txt'), (error: GroundworkError) => error.code === 'ingest.symlink_outside_root');
      await assert.rejects(source.fetch('big.txt'), (error: GroundworkError) => error.code === 'ingest.too_large');
      // A sidecar is metadata every reader of its document sees: never read through a link out of the root.
      await symlink(join(outside, 'secret.json'), join(root, 'inside.txt.meta.json'));
      await assert.rejects(source.fetch('inside.txt'), (error: GroundworkError) => error.code === 'ingest.symlink_outside_root');
      await assert.rejects(
        source.fetchSidecar('inside.txt'),
        (error: GroundworkError) => error.code === 'ingest.symlink_outside_root',
      );
    } finally {
      await rm(root, { recursive: true, force: true });
      await rm(outside, { recursive: true, force: true });
    }
  });

  test('accounts for every entry: loops, broken links, links inside the root and named pipes have their own codes', async () => {
    const root = await scratchDir();
    try {
      await put(root, 'inside.txt', 'fine');
      await put(root, 'docs/a.txt', 'a');
      await put(root, 'loopdir/real.txt', 'real');
      await put(root, 'excluded/x.txt', 'x');
      await symlink('inside.txt', join(root, 'alias.txt'));
      await symlink('docs', join(root, 'latest'));
      await symlink('..', join(root, 'loopdir', 'up'));
      await symlink('.', join(root, 'loopdir', 'self'));
      await symlink('circle-b', join(root, 'circle-a'));
      await symlink('circle-a', join(root, 'circle-b'));
      await symlink('missing.txt', join(root, 'dangling.txt'));
      await symlink('..', join(root, 'excluded', 'up'));
      await symlink('inside.txt.meta.json', join(root, 'docs', 'a.txt.meta.json.link.meta.json'));
      execFileSync('mkfifo', [join(root, 'docs', 'pipe')]);
      const { source, items, problems } = await listAll(root, { exclude: ['excluded/**'] });
      assert.deepEqual(
        items.map((item) => item.ref),
        ['inside.txt', 'docs/a.txt', 'loopdir/real.txt'],
      );
      assert.deepEqual(
        problems.map((problem) => [problem.ref, problem.code]),
        [
          ['alias.txt', 'ingest.symlink_inside_root'],
          ['circle-a', 'ingest.symlink_loop'],
          ['circle-b', 'ingest.symlink_loop'],
          ['dangling.txt', 'ingest.symlink_broken'],
          ['latest', 'ingest.symlink_inside_root'],
          ['docs/pipe', 'ingest.not_a_file'],
          ['loopdir/self', 'ingest.symlink_loop'],
          ['loopdir/up', 'ingest.symlink_loop'],
        ],
      );
      for (const problem of problems) {
        assert.ok(problem.message.startsWith(problem.ref), problem.message);
        assert.ok(problem.fix && problem.fix.length > 20, `${problem.ref} has a fix`);
      }
      assert.match(problems.find((p) => p.ref === 'latest')?.message ?? '', /indexed once, under docs/);

      // Every entry under the root is listed, reported, a sidecar, or excluded on purpose.
      const accounted = new Set([...items.map((item) => item.ref), ...problems.map((problem) => problem.ref)]);
      const unaccounted: string[] = [];
      const walk = async (dir: string) => {
        for (const entry of await readdir(join(root, ...dir.split('/').filter(Boolean)), { withFileTypes: true })) {
          const ref = dir ? `${dir}/${entry.name}` : entry.name;
          if (entry.isDirectory()) await walk(ref);
          else if (!accounted.has(ref) && !ref.endsWith('.meta.json') && !ref.startsWith('excluded/')) unaccounted.push(ref);
        }
      };
      await walk('');
      assert.deepEqual(unaccounted, []);

      // Reading a pipe would block the sync forever: fetch refuses it at once.
      await assert.rejects(source.fetch('docs/pipe'), (error: GroundworkError) => error.code === 'ingest.not_a_file');
    } finally {
      await rm(root, { recursive: true, force: true });
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
