import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  type AuditCorpus,
  assertCorpusFigures,
  assertSelfContainedHtml,
  writeAuditCorpus,
} from '../../../test/helpers/audit-corpus.ts';
import { runGroundwork } from '../../../test/helpers/run-cli.ts';
import type { DataAuditReport } from '../../data-audit/index.ts';

describe('cli: audit-data (a folder without a store; a registered source in an embedded --data-dir)', () => {
  let base: string;
  let corpus: AuditCorpus;

  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'gw-audit-cli-corpus-'));
    corpus = await writeAuditCorpus(base);
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  test('cli: audit-data FOLDER --json --out report.html, and --out x.json; no store is created for a folder', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'gw-audit-cli-'));
    try {
      const html = await runGroundwork(
        ['audit-data', corpus.root, '--acl-map', corpus.aclMapPath, '--json', '--out', 'report.html'],
        { cwd },
      );
      assert.equal(html.code, 0, html.stderr);
      assertCorpusFigures(JSON.parse(html.stdout) as DataAuditReport, corpus);
      assertSelfContainedHtml(await readFile(join(cwd, 'report.html'), 'utf8'));
      assert.ok(!existsSync(join(cwd, '.groundwork')), 'auditing a folder opens no store');
      const asJson = await runGroundwork(['audit-data', corpus.root, '--out', 'x.json', '--stale-years', '10'], { cwd });
      assert.equal(asJson.code, 0, asJson.stderr);
      assert.match(asJson.stdout, /Audit of folder .*14 files/);
      const written = JSON.parse(await readFile(join(cwd, 'x.json'), 'utf8')) as DataAuditReport;
      assert.equal(written.staleness.stale.files, 1);
      assert.equal(written.permissionCoverage.undecided, 11, 'without the ACL map only the sidecars decide');
      const bad = await runGroundwork(['audit-data', corpus.root, '--out', 'x.pdf'], { cwd });
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /data_audit\.invalid_option/);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });

  test('cli: audit-data NAME of a registered source (embedded store in --data-dir): the same figures, nothing indexed', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'gw-audit-cli-store-'));
    try {
      const dataDir = join(cwd, 'data');
      const added = await runGroundwork(
        ['--data-dir', dataDir, 'sources', 'add', 'share', '--path', corpus.root, '--acl-map', corpus.aclMapPath],
        { cwd },
      );
      assert.equal(added.code, 0, added.stderr);
      const audited = await runGroundwork(['--data-dir', dataDir, 'audit-data', 'share', '--json', '--out', 'share.html'], {
        cwd,
      });
      assert.equal(audited.code, 0, audited.stderr);
      const report = JSON.parse(audited.stdout) as DataAuditReport;
      assert.equal(report.target.name, 'share');
      assertCorpusFigures(report, corpus);
      assertSelfContainedHtml(await readFile(join(cwd, 'share.html'), 'utf8'));
      const documents = await runGroundwork(['--data-dir', dataDir, 'documents', 'list', '--json'], { cwd });
      assert.equal(documents.code, 0, documents.stderr);
      assert.match(documents.stdout, /"documents": \[\]/, 'nothing was indexed');
      const mixed = await runGroundwork(['--data-dir', dataDir, 'audit-data', 'share', '--readable-by', 'group:staff'], { cwd });
      assert.equal(mixed.code, 2);
      assert.match(mixed.stderr, /is a registered source/);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});
