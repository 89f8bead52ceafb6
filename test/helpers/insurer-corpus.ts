/**
 * The fictional insurer corpus of the answer tests (src/answer/fixtures/insurer-corpus.ts), for tests of other
 * features and edges (the CLI) that may not reach into the answer feature's files.
 */
export * from '../../src/answer/fixtures/insurer-corpus.ts';
