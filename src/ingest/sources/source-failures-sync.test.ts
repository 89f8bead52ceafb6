/**
 * The sync's side of bad input, for any connector: an expired cursor is dropped (the next sync lists in full),
 * and a listing that fails part-way deletes nothing. The connector here is a scripted stand-in for a remote
 * system (what a SharePoint delta feed or a bucket listing does when it breaks), not a mock of our code.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createTestPlatform, testStoreKind } from '../../../test/helpers/test-platform.ts';
import { type GroundworkError, isGroundworkError } from '../../core/index.ts';
import { addSource, createIngestion, getSource, ingestStatus, parseDocument } from '../index.ts';
import type { Source, SourceChange, SourceCursor } from './source.ts';
import { sourceFailure } from './source-errors.ts';

interface Script {
  incremental: boolean;
  items: string[];
  /** Throw this after listing `failAfter` items (undefined: list everything). */
  failAfter?: number;
  failure?: GroundworkError;
  /** A cursor value the remote no longer accepts. */
  staleToken?: string;
  token: string;
}

function scripted(script: Script): Source {
  const item = (ref: string) => ({
    ref,
    version: 'v1',
    sizeBytes: 10,
    modifiedAt: new Date('2026-01-01T00:00:00Z'),
    uri: `remote://${ref}`,
  });
  return {
    type: 'remote',
    capabilities: { incremental: script.incremental, renames: false, contentHash: false, permissions: false },
    async *listChanges(cursor: SourceCursor | undefined): AsyncGenerator<SourceChange> {
      if (cursor && cursor.token === script.staleToken)
        throw sourceFailure('cursor_expired', { what: 'Remote drive', detail: 'HTTP 410 resyncRequired' });
      let n = 0;
      for (const ref of script.items) {
        if (script.failAfter !== undefined && n === script.failAfter) throw script.failure;
        n += 1;
        yield { kind: 'upsert', item: item(ref) };
      }
      yield { kind: 'checkpoint', cursor: { token: script.token } };
    },
    async fetch(ref) {
      return { bytes: new TextEncoder().encode(`Document ${ref} about storm claims.`) };
    },
    async fetchSidecar() {
      return undefined;
    },
  };
}

describe(`sync with a failing connector (${testStoreKind})`, () => {
  test('an expired cursor fails the run with its code, is dropped, and the next sync lists in full', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'gw-remote-'));
    const platform = await createTestPlatform({});
    const script: Script = { incremental: true, items: ['a.txt', 'b.txt'], token: 't1' };
    const ingestion = createIngestion({
      db: platform.db,
      events: platform.events,
      logger: platform.logger,
      config: platform.config,
      parse: (input) => parseDocument(input),
      openSource: () => scripted(script),
    });
    try {
      await addSource(platform.db, { name: 'remote', type: 'filesystem', path: folder, readableBy: ['group:staff'] });
      assert.equal((await ingestion.sync({ source: 'remote' })).added, 2);
      assert.deepEqual((await getSource(platform.db, 'remote')).cursor, { token: 't1' });
      script.staleToken = 't1';
      script.token = 't2';
      await assert.rejects(
        ingestion.sync({ source: 'remote' }),
        (error: GroundworkError) => error.code === 'ingest.cursor_expired',
      );
      assert.equal((await getSource(platform.db, 'remote')).cursor, undefined, 'the stale cursor is dropped');
      const [status] = await ingestStatus(platform.db);
      assert.equal(status?.failures.lastErrorCode, 'ingest.cursor_expired');
      assert.equal(status?.documents, 2);
      const again = await ingestion.sync({ source: 'remote' });
      assert.equal(again.unchanged, 2);
      assert.deepEqual((await getSource(platform.db, 'remote')).cursor, { token: 't2' });
    } finally {
      await ingestion.close();
      await platform.close();
      await rm(folder, { recursive: true, force: true });
    }
  });

  test('a snapshot listing that fails part-way (throttled, unreachable, malformed) deletes nothing', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'gw-remote-'));
    const platform = await createTestPlatform({});
    const script: Script = { incremental: false, items: ['a.txt', 'b.txt', 'c.txt', 'd.txt'], token: 't' };
    const ingestion = createIngestion({
      db: platform.db,
      events: platform.events,
      logger: platform.logger,
      config: platform.config,
      parse: (input) => parseDocument(input),
      openSource: () => scripted(script),
    });
    try {
      await addSource(platform.db, { name: 'remote', type: 'filesystem', path: folder, readableBy: ['group:staff'] });
      assert.equal((await ingestion.sync({ source: 'remote' })).added, 4);
      for (const kind of ['throttled', 'unreachable', 'bad_response', 'auth'] as const) {
        script.failAfter = 1;
        script.failure = sourceFailure(kind, { what: 'Remote drive' });
        await assert.rejects(
          ingestion.sync({ source: 'remote' }),
          (error: unknown) => isGroundworkError(error) && error.code === script.failure?.code,
        );
        const [status] = await ingestStatus(platform.db);
        assert.equal(status?.documents, 4, `${kind}: nothing deleted`);
        assert.equal(status?.failures.lastErrorCode, script.failure.code);
        assert.equal(status?.failures.failing, true);
      }
      script.failAfter = undefined;
      script.items = ['a.txt'];
      const complete = await ingestion.sync({ source: 'remote' });
      assert.equal(complete.deleted, 3, 'a complete listing does delete what is gone');
      const [status] = await ingestStatus(platform.db);
      assert.equal(status?.failures.failing, false);
    } finally {
      await ingestion.close();
      await platform.close();
      await rm(folder, { recursive: true, force: true });
    }
  });
});
