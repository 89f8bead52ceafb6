import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createTestPlatform } from '../../test/helpers/test-platform.ts';
import { localOperator } from '../core/index.ts';
import { addSource, createIngestion, getDocument, ingestStatus, listDocuments, parseDocument } from './index.ts';
import { blankPage, pdfOfPages } from './parsers/fixtures/ocr-pages.ts';
import { terminateSharedOcr } from './parsers/ocr/ocr-engine.ts';

test('a PDF with an unreadable scanned page is indexed, its OCR pages are stored and flagged for review in status', async () => {
  const platform = await createTestPlatform({});
  const root = await mkdtemp(join(tmpdir(), 'gw-ocr-review-'));
  const ingestion = createIngestion({
    db: platform.db,
    events: platform.events,
    logger: platform.logger,
    config: platform.config,
    parse: (input) => parseDocument(input),
  });
  try {
    const noise = await blankPage({ dpi: 100, height: 0.5, noise: true, seed: 51 });
    await writeFile(join(root, 'claim.pdf'), await pdfOfPages([['The insured reported a burst pipe.'], noise.png]));
    await writeFile(join(root, 'notes.md'), '# Notes\n\nNothing scanned here.\n');
    await addSource(platform.db, { name: 'docs', type: 'filesystem', path: root });
    const summary = await ingestion.sync({ source: 'docs' });
    assert.deepEqual(summary.quarantined, []);
    assert.equal(summary.ocrPages, 1);

    const [status] = await ingestStatus(platform.db);
    assert.deepEqual(status?.ocrReview, { documents: 1, pages: 1 });

    const flagged = await listDocuments(platform.db, localOperator, { ocrReview: true });
    assert.deepEqual(
      flagged.documents.map((document) => document.sourceRef),
      ['claim.pdf'],
    );
    const detail = await getDocument(platform.db, flagged.documents[0]?.id ?? '', localOperator);
    assert.equal(detail.status, 'indexed');
    assert.deepEqual(detail.ocrPages, [
      {
        page: 2,
        ocr: {
          confidence: detail.ocrPages[0]?.ocr.confidence,
          columns: 0,
          tables: 0,
          rotated: 0,
          lowConfidence: true,
          unreadable: true,
        },
      },
    ]);
    assert.ok(detail.warnings.some((warning) => (warning as { code?: string }).code === 'ocr.unreadable'));
  } finally {
    await ingestion.close();
    await platform.close();
    await terminateSharedOcr();
    await rm(root, { recursive: true, force: true });
  }
});
