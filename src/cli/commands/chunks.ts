import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { GroundworkError } from '../../core/index.ts';
import { chunkDocument, closeParsers, parseDocument, parseLimitsFromConfig } from '../../ingest/index.ts';
import {
  compilePiiPatterns,
  countPii,
  createRedactionSession,
  deriveSensitivity,
  detectPii,
  type PiiSpan,
  redactPii,
} from '../../protect/index.ts';
import type { CliRuntime } from '../context.ts';
import { exitCodes } from '../exit-codes.ts';

/**
 * `groundwork chunks FILE`: parse one file and show how it would be chunked (sizes, pages, sections, PII types
 * and counts per chunk — never values), what OCR found per page (confidence, columns, tables, rotation) and
 * the sensitivity label a sync would give it with its reasons, to tune `ingest.chunking` before a sync and to
 * see why a document was labelled as it was. Nothing is stored; text previews are PII-redacted.
 */
export function registerChunksCommand(program: Command, runtime: CliRuntime): void {
  program
    .command('chunks <file>')
    .description('preview how a file is parsed and chunked (sizes, pages, sections, PII), without storing anything')
    .option('--target <tokens>', 'chunk size in estimated tokens (default: ingest.chunking.targetTokens)')
    .option('--overlap <tokens>', 'overlap in estimated tokens (default: ingest.chunking.overlapTokens)')
    .option('--full', 'show the whole (redacted) text of every chunk, not a preview')
    .action(
      runtime.action(async (context, fileArgument: string, options: { target?: string; overlap?: string; full?: boolean }) => {
        const file = resolve(context.io.cwd, fileArgument);
        if (!existsSync(file) || !statSync(file).isFile()) {
          throw new GroundworkError('chunking.file_missing', `${fileArgument} is not a readable file.`, {
            category: 'usage',
            fix: 'Pass the path of a document (PDF, DOCX, HTML, Markdown, text, e-mail, spreadsheet …).',
          });
        }
        const { config } = context.config();
        const targetTokens = integerOption('--target', options.target) ?? config.ingest.chunking.targetTokens;
        const overlapTokens = integerOption('--overlap', options.overlap) ?? config.ingest.chunking.overlapTokens;
        // The same limits as a sync with these sizes: a file the sync would refuse is refused here, saying why.
        const chunking = { targetTokens, overlapTokens, maxChunks: config.ingest.maxChunksPerDocument };
        let parsed: Awaited<ReturnType<typeof parseDocument>>;
        try {
          parsed = await parseDocument({
            bytes: readFileSync(file),
            fileName: basename(file),
            limits: parseLimitsFromConfig({ ...config.ingest, chunking }),
          });
        } finally {
          // A scan starts an OCR worker, which would keep the process from exiting.
          await closeParsers();
        }
        const drafts = chunkDocument({ title: parsed.title, sections: parsed.sections }, chunking);
        const patterns = compilePiiPatterns(config.ingest.piiPatterns);
        const session = createRedactionSession();
        const counted: PiiSpan[] = [];
        const chunks = drafts.map((draft) => {
          const spans = detectPii(draft.text, { customPatterns: patterns });
          // As the sync counts them: each occurrence once, not again in the overlap that repeats the previous chunk.
          const overlapEnd = draft.contextLength + draft.overlapLength;
          counted.push(...spans.filter((span) => span.start < draft.contextLength || span.start >= overlapEnd));
          const redacted = redactPii(draft.text, spans, session).text;
          const pii = countPii(spans);
          return {
            ordinal: draft.ordinal,
            tokenCount: draft.tokenCount,
            kind: draft.kind,
            sectionPath: draft.sectionPath,
            ...(draft.pageStart === undefined ? {} : { pageStart: draft.pageStart, pageEnd: draft.pageEnd }),
            pii,
            piiTypes: Object.keys(pii).sort(),
            contentHash: draft.contentHash,
            text: options.full ? redacted : preview(redacted.slice(draft.contextLength)),
          };
        });
        // The label a sync would give the document, with every reason (rules matched by path, PII found).
        const sensitivity = deriveSensitivity({
          piiCounts: countPii(counted),
          path: fileArgument,
          metadata: parsed.metadata,
          rules: config.protect.sensitivityRules,
          defaultLabel: config.protect.defaultSensitivity,
          piiSensitivity: config.protect.piiSensitivity,
        });
        const tokens = chunks.map((chunk) => chunk.tokenCount);
        const result = {
          file: fileArgument,
          title: parsed.title,
          mediaType: parsed.mediaType,
          sections: parsed.sections.length,
          warnings: parsed.warnings.map((warning) => `${warning.code}: ${warning.message}`),
          // Per OCRed page: confidence and the layout found (columns, tables, rotation), low-confidence flags.
          pages: parsed.pages ?? [],
          sensitivity,
          options: { targetTokens, overlapTokens },
          summary: {
            chunks: chunks.length,
            tokens: tokens.reduce((sum, n) => sum + n, 0),
            minTokens: tokens.length > 0 ? Math.min(...tokens) : 0,
            maxTokens: tokens.length > 0 ? Math.max(...tokens) : 0,
          },
          chunks,
        };
        context.output.result(result, (value) =>
          [
            `${value.file}: "${value.title}" (${value.mediaType}), ${value.sections} section(s) → ${value.summary.chunks} chunk(s), ${value.summary.tokens} tokens (${value.summary.minTokens}–${value.summary.maxTokens} per chunk; target ${targetTokens}, overlap ${overlapTokens})`,
            `  sensitivity ${value.sensitivity.label}: ${value.sensitivity.reasons.map((reason) => reason.detail).join('; ')}`,
            ...value.pages.map(
              (page) =>
                `  page ${page.page}: OCR confidence ${page.ocr.confidence.toFixed(2)}, ${page.ocr.columns} column(s), ${page.ocr.tables} table(s)${page.ocr.rotated ? `, turned ${page.ocr.rotated}°` : ''}${page.ocr.unreadable ? ', unreadable' : page.ocr.lowConfidence ? ', low confidence' : ''}`,
            ),
            ...value.warnings.map((warning) => `  warning ${warning}`),
            ...value.chunks.map((chunk) => {
              const pages =
                chunk.pageStart === undefined
                  ? ''
                  : ` p.${chunk.pageStart}${chunk.pageEnd !== chunk.pageStart ? `–${chunk.pageEnd}` : ''}`;
              const pii = Object.keys(chunk.pii).length > 0 ? ` PII ${JSON.stringify(chunk.pii)}` : '';
              const path = chunk.sectionPath.length > 0 ? ` [${chunk.sectionPath.join(' › ')}]` : '';
              return `#${chunk.ordinal} ${chunk.tokenCount} tokens ${chunk.kind}${pages}${path}${pii}\n  ${chunk.text.replaceAll('\n', '\n  ')}`;
            }),
          ].join('\n'),
        );
        return exitCodes.ok;
      }),
    );
}

function integerOption(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) {
    throw new GroundworkError('cli.invalid_option', `${flag} ${value} is not a whole number of tokens.`, {
      category: 'usage',
      fix: `Pass ${flag} as a whole number, e.g. ${flag} ${flag === '--target' ? 350 : 50}.`,
    });
  }
  return number;
}

function preview(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > 160 ? `${oneLine.slice(0, 157)}…` : oneLine;
}
