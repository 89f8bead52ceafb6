/**
 * Generated scanned pages with ground truth (src/ingest/parsers/fixtures/ocr-pages.ts), for tests of other
 * features (the `chunks` command) that may not reach into the ingest feature.
 */
export * from '../../src/ingest/parsers/fixtures/ocr-pages.ts';
