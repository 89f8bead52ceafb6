/**
 * The contract every parser passes. Each parser's test file calls `parserContract` with samples of its format;
 * the suite checks what the pipeline relies on, through the registry (`parseDocument`) and the parser itself:
 *
 * - a sample is detected as the parser's type and parses into a document with a title, the media type, and
 *   non-empty sections with valid kinds and page ranges (or children, for archives);
 * - parsing is deterministic;
 * - truncated and garbage bytes either parse or fail with a `parse.*` GroundworkError — never anything else;
 * - an aborted signal fails with `parse.aborted`, an input over `limits.maxBytes` with `ingest.too_large`,
 *   and a document with more text than `limits.maxTextChars` with `ingest.too_large` too.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isGroundworkError } from '../../core/index.ts';
import { defaultParseLimits, parseDocument } from './parse-document.ts';
import type { ParsedDocument, ParseLimits, Parser } from './parser.ts';

export interface ContractSample {
  readonly fileName: string;
  readonly bytes: Uint8Array;
  /** Words that must appear in the parsed text. */
  readonly expectText?: readonly string[];
}

export interface ParserContractOptions {
  readonly parser: Parser;
  /** Built lazily (inside the tests), so generating fixtures does not slow down test discovery. */
  readonly samples: () => Promise<readonly ContractSample[]>;
  readonly limits?: ParseLimits;
  /** Skip the truncated/garbage checks (OCR formats: each costs a recognition). */
  readonly skipDamagedInput?: boolean;
}

/** Checks the ParsedDocument invariants the pipeline depends on. */
export function assertValidDocument(document: ParsedDocument, parser: Parser): void {
  assert.ok(document.title.trim().length > 0, 'title is empty');
  assert.ok(parser.mediaTypes.includes(document.mediaType), `media type ${document.mediaType} is not one of ${parser.name}'s`);
  assert.ok(document.sections.length > 0 || document.children.length > 0, 'no sections and no children');
  for (const section of document.sections) {
    assert.ok(/\S/.test(section.text), 'a section has no text');
    assert.ok(['text', 'table', 'notes'].includes(section.kind), `bad section kind ${section.kind}`);
    assert.ok(
      Array.isArray(section.headingPath) &&
        section.headingPath.every((heading) => typeof heading === 'string' && heading.length > 0),
    );
    if (section.pageStart !== undefined) {
      assert.ok(section.pageStart >= 1, 'pages are 1-based');
      assert.ok((section.pageEnd ?? section.pageStart) >= section.pageStart, 'pageEnd before pageStart');
      if (document.pageCount !== undefined)
        assert.ok((section.pageEnd ?? section.pageStart) <= document.pageCount, 'page beyond pageCount');
    }
  }
  for (const child of document.children) {
    assert.ok(child.name.length > 0 && child.path.length > 0);
    assert.ok(!child.path.split('/').includes('..'), `child path escapes: ${child.path}`);
    assert.ok(child.bytes instanceof Uint8Array);
  }
  assert.ok(document.stats.ocrPages >= 0 && document.stats.pages >= 0);
  for (const warning of document.warnings) assert.ok(warning.code && warning.message);
}

async function assertParsesOrParseError(run: () => Promise<unknown>, what: string): Promise<void> {
  try {
    await run();
  } catch (error) {
    assert.ok(isGroundworkError(error), `${what}: threw a non-GroundworkError: ${String(error)}`);
    assert.ok(error.code.startsWith('parse.'), `${what}: unexpected code ${error.code}`);
    assert.ok(error.fix, `${what}: ${error.code} has no fix`);
  }
}

/** Registers the contract tests for one parser (call at the top level of its test file). */
export function parserContract(options: ParserContractOptions): void {
  const { parser } = options;
  const limits = options.limits ?? defaultParseLimits;
  let cached: Promise<readonly ContractSample[]> | undefined;
  const samples = () => {
    cached ??= options.samples();
    return cached;
  };

  describe(`${parser.name} parser contract`, () => {
    test('samples are detected, parsed into valid documents, deterministically', async () => {
      for (const sample of await samples()) {
        const document = await parseDocument({ bytes: sample.bytes, fileName: sample.fileName, limits });
        assertValidDocument(document, parser);
        const text = document.sections.map((section) => section.text).join('\n');
        for (const word of sample.expectText ?? [])
          assert.ok(text.includes(word), `${sample.fileName}: "${word}" missing from ${JSON.stringify(text.slice(0, 500))}`);
        const direct = await parser.parse({
          bytes: sample.bytes,
          fileName: sample.fileName,
          mediaType: document.mediaType,
          limits,
        });
        assert.deepEqual(direct.sections, document.sections, `${sample.fileName}: parsing is not deterministic`);
      }
    });

    test('an aborted signal fails with parse.aborted; too many bytes or too much text with ingest.too_large', async () => {
      const [sample] = await samples();
      assert.ok(sample);
      const controller = new AbortController();
      controller.abort();
      await assert.rejects(parseDocument({ bytes: sample.bytes, fileName: sample.fileName, limits, signal: controller.signal }), {
        code: 'parse.aborted',
      });
      await assert.rejects(
        parseDocument({
          bytes: sample.bytes,
          fileName: sample.fileName,
          limits: { ...limits, maxBytes: sample.bytes.length - 1 },
        }),
        { code: 'ingest.too_large' },
      );
      // Archives have no text of their own (their members are documents with their own allowance).
      try {
        const document = await parseDocument({
          bytes: sample.bytes,
          fileName: sample.fileName,
          limits: { ...limits, maxTextChars: 3 },
        });
        assert.equal(document.sections.length, 0, 'text over limits.maxTextChars must be refused');
      } catch (error) {
        assert.ok(isGroundworkError(error) && error.code === 'ingest.too_large', `unexpected ${String(error)}`);
        assert.match(error.fix ?? '', /ingest\.maxChunksPerDocument/);
      }
    });

    test('truncated and garbage bytes parse or fail with a parse.* GroundworkError', {
      skip: options.skipDamagedInput,
    }, async () => {
      for (const sample of await samples()) {
        const truncated = sample.bytes.subarray(0, Math.floor(sample.bytes.length / 2));
        await assertParsesOrParseError(
          () => parseDocument({ bytes: truncated, fileName: sample.fileName, limits }),
          `${sample.fileName} truncated`,
        );
        await assertParsesOrParseError(
          () => parser.parse({ bytes: truncated, fileName: sample.fileName, limits }),
          `${sample.fileName} truncated (parser directly)`,
        );
        const garbage = new Uint8Array(2048);
        let seed = 7;
        for (let i = 0; i < garbage.length; i++) {
          seed = (seed * 1103515245 + 12345) & 0x7fffffff;
          garbage[i] = seed & 0xff;
        }
        // Keep the format's magic bytes so the parser (not detection) meets the garbage.
        garbage.set(sample.bytes.subarray(0, 8));
        await assertParsesOrParseError(
          () => parseDocument({ bytes: garbage, fileName: sample.fileName, limits }),
          `${sample.fileName} garbage`,
        );
        await assertParsesOrParseError(
          () => parser.parse({ bytes: garbage, fileName: sample.fileName, limits }),
          `${sample.fileName} garbage (parser directly)`,
        );
      }
    });
  });
}
