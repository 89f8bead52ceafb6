import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openTestDatabase, testStoreKind } from '../../test/helpers/test-platform.ts';
import { createChangeFeed } from './change-feed.ts';
import type { Database } from './database.ts';
import { publishChange } from './index.ts';

function waitFor(condition: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (condition()) resolve();
      else if (Date.now() > deadline) reject(new Error('timed out'));
      else setTimeout(poll, 10);
    };
    poll();
  });
}

describe(`change feed: LISTEN/NOTIFY cache invalidation (${testStoreKind})`, () => {
  let db: Database;
  before(async () => {
    db = await openTestDatabase();
  });
  after(async () => {
    await db.close();
  });

  test('a committed change reaches every feed on the database; a rolled-back one reaches none', async () => {
    // Two feeds stand for two processes (on server PostgreSQL each has its own listening connection).
    const feeds = [createChangeFeed(db), createChangeFeed(db)];
    try {
      await Promise.all(feeds.map((feed) => feed.ready));
      const seen = feeds.map(() => [] as string[]);
      feeds.forEach((feed, i) => {
        feed.subscribe('api_keys', () => seen[i]?.push('api_keys'));
        feed.subscribe('sources', () => seen[i]?.push('sources'));
      });
      await db
        .transaction(async (tx) => {
          await publishChange(tx, 'sources');
          throw new Error('roll back');
        })
        .catch(() => {});
      await db.transaction(async (tx) => {
        await publishChange(tx, 'api_keys');
        // Not delivered before the commit.
        await new Promise((resolve) => setTimeout(resolve, 50));
        assert.deepEqual(seen, [[], []]);
      });
      await waitFor(() => seen.every((list) => list.length > 0));
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(seen, [['api_keys'], ['api_keys']]);
    } finally {
      for (const feed of feeds) await feed.close();
    }
  });

  // The embedded test store shares one session between schemas (one schema at a time), so only on server.
  const skipEmbedded = testStoreKind === 'embedded' ? 'the embedded test store holds one schema at a time' : false;
  test('changes in another schema (another deployment on the same database) are ignored', { skip: skipEmbedded }, async () => {
    const other = await openTestDatabase();
    const feed = createChangeFeed(db);
    try {
      await feed.ready;
      let calls = 0;
      feed.subscribe('api_keys', () => {
        calls += 1;
      });
      await publishChange(other, 'api_keys');
      await publishChange(db, 'api_keys');
      await waitFor(() => calls > 0);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(calls, 1);
    } finally {
      await feed.close();
      await other.close();
    }
  });
});
