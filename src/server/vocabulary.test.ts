import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createTestPlatform, testStoreKind } from '../../test/helpers/test-platform.ts';
import { callerWithPrincipals, localOperator, type Role } from '../core/index.ts';
import { importDataset } from '../evaluate/index.ts';
import { createApiKey, listAudit } from '../govern/index.ts';
import { addSource } from '../ingest/index.ts';
import { clusterQuestions, findAcronymPairs } from '../vocabulary/index.ts';
import { createApp } from './index.ts';

type Json = Record<string, unknown> & { error?: { code: string; message: string } };

/** Staff read the procedures; only claims reads the claims manual (which defines FNOL). */
function corpus(): { folder: string; aclMap: string } {
  const folder = mkdtempSync(join(tmpdir(), 'gw-vocabulary-'));
  mkdirSync(join(folder, 'claims'));
  mkdirSync(join(folder, 'procedures'));
  writeFileSync(
    join(folder, 'claims', 'manual.txt'),
    'Claims manual. The first notice of loss (FNOL) opens every claim. An FNOL names the policy and the date of loss.\n',
  );
  writeFileSync(
    join(folder, 'procedures', 'intake.txt'),
    'Intake procedure. Submit the first notice of loss within three days of the incident, by phone or online.\n',
  );
  writeFileSync(
    join(folder, 'procedures', 'quality.txt'),
    'Quality procedure. Every NCR (non-conformance report) goes to the quality desk. File the NCR the same day.\n',
  );
  writeFileSync(join(folder, 'procedures', 'hours.txt'), 'Office hours. The office opens at nine and closes at five.\n');
  const aclMap = `${folder}-acl.yaml`;
  writeFileSync(aclMap, 'default: [group:staff]\nrules:\n  - match: "claims/**"\n    principals: [group:claims]\n');
  return { folder, aclMap };
}

describe('vocabulary: acronym patterns and query clusters (pure)', () => {
  test('finds "long form (ACR)" and "ACR (long form)" only when the initials spell the acronym', () => {
    assert.deepEqual(findAcronymPairs('The first notice of loss (FNOL) is due. Every NCR (non-conformance report) too.'), [
      { term: 'FNOL', expansion: 'first notice of loss' },
      { term: 'NCR', expansion: 'non-conformance report' },
    ]);
    assert.deepEqual(findAcronymPairs('We met the board (CEO) and looked at page (PDF) and SLA (see annex).'), []);
    assert.deepEqual(findAcronymPairs('Total cost of ownership (TCO) and the TCO (total cost of ownership).'), [
      { term: 'TCO', expansion: 'total cost of ownership' },
      { term: 'TCO', expansion: 'total cost of ownership' },
    ]);
  });
  test('questions that share most words cluster together, biggest first', () => {
    const clusters = clusterQuestions([
      { question: 'What is the NCR deadline?', count: 2 },
      { question: 'NCR deadline for suppliers', count: 1 },
      { question: 'office parking rules', count: 1 },
    ]);
    assert.deepEqual(
      clusters.map((c) => [c.terms.slice(0, 2), c.count]),
      [
        [['deadline', 'ncr'], 3],
        [['office', 'parking'], 1],
      ],
    );
  });
});

describe(`domain vocabulary (${testStoreKind})`, () => {
  test('managed vocabulary expands queries (global and per use case), versioned and audited; suggestions and training pairs respect access', async () => {
    const { folder, aclMap } = corpus();
    const platform = await createTestPlatform({ observe: { textRetention: 'keep' }, review: { sampleRate: 1 } });
    const built = createApp(platform, { webRoot: false, authCacheMs: 0 });
    try {
      await addSource(platform.db, { name: 'share', type: 'filesystem', path: folder, aclMapPath: aclMap });
      await platform.ingestion.sync({ source: 'share' });
      const keys: Record<string, { role: Role; principals: string[] }> = {
        admin: { role: 'admin', principals: ['user:ada@x.test', 'group:staff'] },
        builder: { role: 'builder', principals: ['user:bob@x.test', 'group:staff'] },
        claims: { role: 'builder', principals: ['user:cal@x.test', 'group:staff', 'group:claims'] },
        reviewer: { role: 'reviewer', principals: ['user:rae@x.test', 'group:staff'] },
        user: { role: 'user', principals: ['user:uma@x.test', 'group:staff'] },
      };
      const tokens: Record<string, string> = {};
      for (const [name, key] of Object.entries(keys)) {
        tokens[name] = (await createApiKey(platform.db, { name, ...key }, { actor: 'local:operator' })).token;
      }
      const request = async (who: string, method: string, path: string, body?: unknown) =>
        built.app.request(`http://127.0.0.1${path}`, {
          method,
          headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      const call = async (who: string, method: string, path: string, body?: unknown) => {
        const response = await request(who, method, path, body);
        return { status: response.status, body: (await response.json()) as Json };
      };
      const search = async (who: string, query: string) => {
        const found = await call(who, 'POST', '/v1/search', { query, k: 5 });
        assert.equal(found.status, 200, JSON.stringify(found.body));
        return found.body as { hits: Array<{ uri: string; documentId: string }>; expandedTerms?: string[] };
      };

      // Without vocabulary the acronym finds nothing the staff may read (the claims manual is not theirs).
      assert.equal((await search('user', 'FNOL')).hits.length, 0);

      // Attacks and bad input: users and viewers may not edit; bad terms are coded 400s.
      assert.equal((await call('user', 'POST', '/v1/vocabulary', { term: 'FNOL', expansions: ['x'] })).status, 403);
      assert.equal((await call('reviewer', 'POST', '/v1/vocabulary', { term: 'FNOL', expansions: ['x'] })).status, 403);
      const self = await call('builder', 'POST', '/v1/vocabulary', { term: 'FNOL', expansions: ['fnol'] });
      assert.equal(self.body.error?.code, 'vocabulary.invalid_expansion');
      const symbols = await call('builder', 'POST', '/v1/vocabulary', { term: '***', expansions: ['x'] });
      assert.equal(symbols.body.error?.code, 'vocabulary.invalid_term');
      const unknownUseCase = await call('builder', 'POST', '/v1/vocabulary', {
        term: 'FNOL',
        expansions: ['x'],
        useCase: 'nope',
      });
      assert.equal(unknownUseCase.status, 404);

      const added = await call('builder', 'POST', '/v1/vocabulary', { term: 'FNOL', expansions: ['first notice of loss'] });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      assert.equal(added.body.kind, 'acronym');
      const expanded = await search('user', 'FNOL');
      assert.deepEqual(expanded.expandedTerms, ['first notice of loss']);
      assert.deepEqual(
        expanded.hits.map((h) => h.uri.split('/').pop()),
        ['intake.txt'],
        'the expansion finds the staff procedure, never the claims manual',
      );
      // Both ways: the phrase finds the acronym's document for those who may read it.
      assert.ok((await search('claims', 'first notice of loss')).hits.some((h) => h.uri.endsWith('manual.txt')));

      // Per use case: an entry for one use case does not expand other searches.
      await platform.answerer.useCases.create('quality-qa', {});
      const scoped = await call('builder', 'POST', '/v1/vocabulary', {
        term: 'nonconformity',
        expansions: ['NCR'],
        useCase: 'quality-qa',
      });
      assert.equal(scoped.status, 201, JSON.stringify(scoped.body));
      assert.equal((await search('user', 'nonconformity')).hits.length, 0);
      const staff = callerWithPrincipals(['group:staff']);
      const viaUseCase = await platform.retriever.search({ query: 'nonconformity', caller: staff, useCase: 'quality-qa' });
      assert.deepEqual(
        viaUseCase.hits.map((h) => h.uri.split('/').pop()),
        ['quality.txt'],
      );

      // Removing applies to the next query; every change is a version and an audit entry.
      assert.equal((await call('builder', 'POST', '/v1/vocabulary/remove', { term: 'fnol' })).status, 200);
      assert.equal((await search('user', 'FNOL')).hits.length, 0);
      const history = await call('reviewer', 'GET', '/v1/vocabulary/history');
      assert.deepEqual(
        (history.body.versions as Array<{ version: number; action: string; term: string }>).map((v) => [
          v.version,
          v.action,
          v.term,
        ]),
        [
          [3, 'remove', 'fnol'],
          [2, 'add', 'nonconformity'],
          [1, 'add', 'fnol'],
        ],
      );
      const listed = await call('reviewer', 'GET', '/v1/vocabulary?useCase=quality-qa');
      assert.equal(listed.body.version, 3);
      assert.deepEqual(
        (listed.body.entries as Array<{ term: string }>).map((e) => e.term),
        ['nonconformity'],
      );
      const audit = (await listAudit(platform.db, { limit: 200 })).filter((e) => e.action.startsWith('vocabulary.'));
      assert.deepEqual(audit.map((e) => e.action).sort(), ['vocabulary.add', 'vocabulary.add', 'vocabulary.remove']);

      // A question that finds nothing (recorded with its text under textRetention: keep).
      const unanswered = await call('user', 'POST', '/v1/answers', { question: 'What is the FNOL deadline?' });
      assert.equal(unanswered.status, 200, JSON.stringify(unanswered.body));
      await platform.observe.recorder.flush();

      // Suggestions: acronyms from what the caller may read only; question clusters only for admins.
      const forStaff = await call('reviewer', 'GET', '/v1/vocabulary/suggestions');
      assert.equal(forStaff.status, 200, JSON.stringify(forStaff.body));
      const staffAcronyms = forStaff.body.acronyms as Array<{
        term: string;
        expansion: string;
        count: number;
        exampleDocumentIds: string[];
      }>;
      assert.deepEqual(
        staffAcronyms.map((a) => [a.term, a.expansion, a.count]),
        [['NCR', 'non-conformance report', 1]],
      );
      assert.equal(forStaff.body.queries, null);
      const forClaims = await call('claims', 'GET', '/v1/vocabulary/suggestions');
      const claimsAcronyms = forClaims.body.acronyms as Array<{ term: string; exampleDocumentIds: string[] }>;
      assert.deepEqual(claimsAcronyms.map((a) => a.term).sort(), ['FNOL', 'NCR']);
      const manualId = (await search('claims', 'claims manual')).hits.find((h) => h.uri.endsWith('manual.txt'))?.documentId;
      assert.deepEqual(claimsAcronyms.find((a) => a.term === 'FNOL')?.exampleDocumentIds, [manualId]);
      const forAdmin = await call('admin', 'GET', '/v1/vocabulary/suggestions');
      const clusters = forAdmin.body.queries as Array<{ terms: string[]; count: number; examples: string[] }>;
      assert.deepEqual(clusters[0]?.examples, ['What is the FNOL deadline?']);
      assert.ok(clusters[0]?.terms.includes('fnol'));

      // Training pairs: positives and hard negatives only from documents the exporter may read.
      const intakeId = (await search('user', 'intake procedure')).hits[0]?.documentId as string;
      await importDataset(
        platform.db,
        [
          { line: 1, externalId: 'intake', question: 'first notice of loss within three days', relevantDocuments: [intakeId] },
          {
            line: 2,
            externalId: 'manual',
            question: 'first notice of loss opens every claim',
            relevantDocuments: [manualId as string],
          },
        ],
        { name: 'claims-eval', origin: 'jsonl', caller: localOperator },
      );
      const exportAs = async (who: string) => {
        const response = await request(who, 'POST', '/v1/vocabulary/export-pairs', { format: 'jsonl', negatives: 2 });
        assert.equal(response.status, 200);
        assert.match(response.headers.get('content-type') ?? '', /application\/x-ndjson/);
        return (await response.text())
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { query: string; positive: string; hardNegatives: string[]; origin: string });
      };
      // Positive feedback on an answer that cited the claims manual.
      const asked = await call('claims', 'POST', '/v1/answers', {
        question: 'What opens every claim according to the claims manual?',
      });
      assert.equal(asked.status, 200, JSON.stringify(asked.body));
      await platform.observe.recorder.flush();
      const rated = await call('claims', 'POST', '/v1/feedback', { traceId: asked.body.traceId, rating: 1 });
      assert.equal(rated.status, 201, JSON.stringify(rated.body));
      // Every sampled answer graded correct by someone else (the admin), so reviews feed pairs too.
      await platform.reviewSampler.flush();
      for (;;) {
        const next = await call('admin', 'POST', '/v1/reviews/next', {});
        const item = next.body.item as { id: string } | null;
        if (!item) break;
        const graded = await call('admin', 'POST', `/v1/reviews/${item.id}/grade`, { verdict: 'correct' });
        assert.equal(graded.status, 200, JSON.stringify(graded.body));
      }
      const builderPairs = await exportAs('builder');
      assert.deepEqual(
        builderPairs.map((p) => p.origin),
        ['eval:claims-eval@1/intake'],
      );
      assert.match(builderPairs[0]?.positive ?? '', /Submit the first notice of loss/);
      assert.ok(builderPairs[0]?.hardNegatives.length);
      for (const text of [builderPairs[0]?.positive, ...(builderPairs[0]?.hardNegatives ?? [])]) {
        assert.doesNotMatch(text ?? '', /Claims manual/, 'never a passage of a document the exporter may not read');
      }
      const claimsPairs = await exportAs('claims');
      assert.deepEqual(
        claimsPairs.map((p) => p.origin.replace(/^(feedback|review):.*/, '$1')),
        ['eval:claims-eval@1/intake', 'eval:claims-eval@1/manual', 'review', 'feedback'],
      );
      for (const pair of claimsPairs.slice(2)) {
        assert.equal(pair.query, 'What opens every claim according to the claims manual?');
        assert.match(pair.positive, /Claims manual/);
      }
      assert.match(claimsPairs[1]?.positive ?? '', /Claims manual/);
      assert.ok(
        claimsPairs[1]?.hardNegatives.every((n) => !/Claims manual/.test(n)),
        'a negative is never a positive',
      );
      assert.equal((await request('reviewer', 'POST', '/v1/vocabulary/export-pairs', { format: 'jsonl' })).status, 403);
      const badFormat = await call('builder', 'POST', '/v1/vocabulary/export-pairs', { format: 'csv' });
      assert.equal(badFormat.body.error?.code, 'vocabulary.invalid_option');
    } finally {
      await built.close();
      await platform.close();
    }
  });
});
