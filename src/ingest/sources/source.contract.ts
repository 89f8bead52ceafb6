/**
 * The contract every Source connector must pass. A connector's test calls `sourceContract(name, harness)`
 * with a harness that can create, change and remove items in a scratch instance of the source.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isGroundworkError } from '../../core/index.ts';
import type { Source, SourceChange, SourceCursor, SourceItem, SourceProblem } from './source.ts';

/** Drives a scratch instance of one connector. */
export interface SourceContractHarness {
  /** A fresh, empty source plus the means to change it. */
  setup(): Promise<{
    readonly source: Source;
    /** Creates or replaces an item (ref with `/` separators). */
    write(ref: string, bytes: Uint8Array): Promise<void>;
    remove(ref: string): Promise<void>;
    /**
     * Creates an entry the connector cannot turn into an item (a file system: a symbolic link that loops),
     * for connectors that can have such entries. It must be reported to `onProblem`, never dropped silently.
     */
    writeUnlistable?(ref: string): Promise<void>;
    cleanup(): Promise<void>;
  }>;
}

interface Listing {
  readonly upserts: Map<string, SourceItem>;
  readonly deletes: Set<string>;
  readonly cursor: SourceCursor;
}

async function list(source: Source, cursor?: SourceCursor, problems: SourceProblem[] = []): Promise<Listing> {
  const upserts = new Map<string, SourceItem>();
  const deletes = new Set<string>();
  const checkpoints: SourceCursor[] = [];
  const changes: SourceChange[] = [];
  for await (const change of source.listChanges(cursor, (problem) => problems.push(problem))) changes.push(change);
  for (const change of changes) {
    assert.equal(checkpoints.length, 0, 'nothing may follow the checkpoint');
    if (change.kind === 'upsert') {
      assert.ok(!upserts.has(change.item.ref), `${change.item.ref} listed twice`);
      upserts.set(change.item.ref, change.item);
    } else if (change.kind === 'delete') deletes.add(change.ref);
    else checkpoints.push(change.cursor);
  }
  assert.equal(checkpoints.length, 1, 'a listing ends with exactly one checkpoint');
  return { upserts, deletes, cursor: checkpoints[0] as SourceCursor };
}

const text = (value: string) => new TextEncoder().encode(value);

export function sourceContract(name: string, harness: SourceContractHarness): void {
  describe(`Source contract: ${name}`, () => {
    test('lists every item once with a relative ref, a version and a size, then a checkpoint', async () => {
      const scratch = await harness.setup();
      try {
        await scratch.write('a.txt', text('alpha'));
        await scratch.write('folder/b.txt', text('bravo!'));
        const { upserts } = await list(scratch.source);
        assert.deepEqual([...upserts.keys()].sort(), ['a.txt', 'folder/b.txt']);
        for (const item of upserts.values()) {
          assert.ok(!item.ref.startsWith('/') && !item.ref.split('/').includes('..'), `ref ${item.ref} must be relative`);
          assert.ok(item.version.length > 0);
          assert.ok(item.modifiedAt instanceof Date);
          assert.ok(item.uri.length > 0);
        }
        assert.equal(upserts.get('folder/b.txt')?.sizeBytes, 6);
      } finally {
        await scratch.cleanup();
      }
    });

    test('fetch returns the exact bytes; an unknown ref fails with a GroundworkError', async () => {
      const scratch = await harness.setup();
      try {
        const bytes = new Uint8Array([0, 1, 2, 250, 251, 252]);
        await scratch.write('bin/data.bin', bytes);
        const fetched = await scratch.source.fetch('bin/data.bin');
        assert.deepEqual([...fetched.bytes], [...bytes]);
        await assert.rejects(scratch.source.fetch('does/not/exist.txt'), (error: unknown) => isGroundworkError(error));
        await assert.rejects(scratch.source.fetch('../outside.txt'), (error: unknown) => isGroundworkError(error));
      } finally {
        await scratch.cleanup();
      }
    });

    test('a change alters the version; a removal is reported (deleted or absent from a full snapshot)', async () => {
      const scratch = await harness.setup();
      try {
        await scratch.write('keep.txt', text('same'));
        await scratch.write('change.txt', text('one'));
        await scratch.write('gone.txt', text('bye'));
        const first = await list(scratch.source);
        // Some file systems keep mtime at a coarse resolution: a different size guarantees a new version.
        await scratch.write('change.txt', text('two, longer'));
        await scratch.remove('gone.txt');
        const second = await list(scratch.source, first.cursor);
        if (scratch.source.capabilities.incremental) {
          assert.ok(second.deletes.has('gone.txt'));
          assert.ok(second.upserts.has('change.txt'));
        } else {
          assert.ok(!second.upserts.has('gone.txt'));
          assert.equal(second.upserts.get('keep.txt')?.version, first.upserts.get('keep.txt')?.version);
        }
        assert.notEqual(second.upserts.get('change.txt')?.version, first.upserts.get('change.txt')?.version);
      } finally {
        await scratch.cleanup();
      }
    });

    test('an entry that cannot be listed is reported with a code, a message and a fix; the rest is listed', async (t) => {
      const scratch = await harness.setup();
      try {
        if (!scratch.writeUnlistable) {
          t.skip('the connector has no unlistable entries');
          return;
        }
        await scratch.write('fine.txt', text('fine'));
        await scratch.writeUnlistable('folder/odd');
        const problems: SourceProblem[] = [];
        const { upserts } = await list(scratch.source, undefined, problems);
        assert.deepEqual([...upserts.keys()], ['fine.txt']);
        assert.deepEqual(
          problems.map((problem) => problem.ref),
          ['folder/odd'],
        );
        for (const problem of problems) {
          assert.match(problem.code, /^[a-z]+\.[a-z_]+$/);
          assert.ok(problem.message.length > 0);
          assert.ok(problem.fix && problem.fix.length > 0, `${problem.code} has no fix`);
        }
      } finally {
        await scratch.cleanup();
      }
    });
  });
}
