import type { Command } from 'commander';
import { GroundworkError, localOperator } from '../../core/index.ts';
import {
  type DocumentAccessReport,
  type DocumentDetail,
  type DocumentSummary,
  explainDocumentAccess,
  getDocument,
  listDocuments,
} from '../../ingest/index.ts';
import type { CliRuntime } from '../context.ts';
import { exitCodes } from '../exit-codes.ts';
import { table } from '../output.ts';
import { callerFromAs, parsePrincipalsFlag } from '../principals.ts';
import { parseLimit } from './traces.ts';

function noServerAs(as: string | undefined): void {
  if (as !== undefined) {
    throw new GroundworkError('cli.flag_with_server', '--as cannot be used with --server.', {
      category: 'usage',
      fix: 'The server knows the caller from the API key; drop --as, or read the store directly.',
    });
  }
}

function renderList(result: { documents: DocumentSummary[]; total: number }): string {
  if (result.documents.length === 0) return 'No documents match.';
  return `${table(
    ['ID', 'SOURCE', 'REF', 'TITLE', 'STATUS', 'SENSITIVITY', 'READERS', 'CHUNKS'],
    result.documents.map((d) => [
      d.id,
      d.sourceName,
      d.sourceRef,
      d.title.length > 40 ? `${d.title.slice(0, 39)}…` : d.title,
      d.status,
      d.sensitivity,
      d.principals.length === 0 ? `operator-only${d.principalsDetermined ? '' : ' (undetermined)'}` : d.principals.join(','),
      d.chunkCount,
    ]),
  )}\n${result.documents.length} of ${result.total} document(s)`;
}

function renderDetail(d: DocumentDetail): string {
  const pii = Object.entries(d.piiSummary)
    .map(([type, n]) => `${type} ${n}`)
    .join(', ');
  return [
    `${d.title || d.sourceRef}  (${d.id})`,
    `  source      ${d.sourceName} · ${d.sourceRef}`,
    `  uri         ${d.uri}`,
    `  type        ${d.mediaType}${d.pages ? ` · ${d.pages} page(s)` : ''} · ${d.chunkCount} chunk(s)`,
    `  status      ${d.status} · indexed ${d.indexedAt ?? 'never'} · modified ${d.sourceModifiedAt ?? 'unknown'}`,
    `  sensitivity ${d.sensitivity}${pii ? ` · PII: ${pii}` : ''}`,
    `  readers     ${d.principals.length === 0 ? 'operator-only' : d.principals.join(', ')}${d.principalsDetermined ? '' : ' (undetermined: nothing decided who may read it)'}`,
    ...(d.children.length > 0 ? [`  children    ${d.children.map((c) => c.sourceRef).join(', ')}`] : []),
    ...d.ocrPages.map(
      (p) =>
        `  OCR p.${p.page}   confidence ${p.ocr.confidence.toFixed(2)} · ${p.ocr.columns} column(s) · ${p.ocr.tables} table(s)${p.ocr.rotated ? ` · turned ${p.ocr.rotated}°` : ''}${p.ocr.unreadable ? ' · UNREADABLE: review the scan' : p.ocr.lowConfidence ? ' · LOW CONFIDENCE: review' : ''}`,
    ),
    ...(d.warnings.length > 0 ? [`  warnings    ${d.warnings.map((w) => JSON.stringify(w)).join('; ')}`] : []),
  ].join('\n');
}

function renderAccess(report: DocumentAccessReport): string {
  return [
    `${report.allowed ? 'ALLOWED' : 'DENIED'}: ${report.asked.join(', ')} → ${report.document.title || report.document.sourceRef}`,
    report.reason,
    `Readers (enforced): ${report.principals.length === 0 ? 'operator-only' : report.principals.join(', ')}`,
    `Decided by: ${report.explanation.decidedBy}${report.explanationCurrent ? '' : ' — the current ACL map differs; re-sync the source'}`,
  ].join('\n');
}

/** `groundwork documents list|show|explain`: metadata and "why can this principal read this document?". */
export function registerDocumentsCommands(program: Command, runtime: CliRuntime): void {
  const documents = program.command('documents').description('indexed documents: metadata and who may read them, and why');
  documents
    .command('list')
    .description('documents (metadata only), newest first; with --as, only what those principals may read')
    .option('--source <name>', 'only this source (name or id)')
    .option('--search <text>', 'title or path contains this text')
    .option('--undetermined', 'only documents whose readers nothing decided (operator-only by default)')
    .option('--ocr-review', 'only documents with OCRed pages to review (low confidence or unreadable)')
    .option('--as <principals>', 'list as these principals (comma-separated user:…/group:…)')
    .option('--limit <n>', 'at most this many (default 50)')
    .action(
      runtime.action(
        async (
          context,
          options: {
            source?: string;
            search?: string;
            undetermined?: boolean;
            ocrReview?: boolean;
            as?: string;
            limit?: string;
          },
        ) => {
          const limit = parseLimit(options.limit, 50);
          const api = context.api();
          let result: { documents: DocumentSummary[]; total: number };
          if (api) {
            noServerAs(options.as);
            result = await api.get('/v1/documents', {
              query: {
                source: options.source,
                q: options.search,
                undetermined: options.undetermined,
                ocrReview: options.ocrReview,
                limit: Math.min(limit, 500),
              },
            });
          } else {
            const platform = await context.platform();
            result = await listDocuments(platform.db, callerFromAs(options.as), {
              sourceId: options.source,
              search: options.search,
              undetermined: options.undetermined,
              ocrReview: options.ocrReview,
              limit,
            });
          }
          context.output.result(result, renderList);
          return exitCodes.ok;
        },
      ),
    );
  documents
    .command('show <id>')
    .description('one document: source, type, pages, status, sensitivity and PII counts, readers, children, warnings')
    .option('--as <principals>', 'show only if these principals may read it')
    .action(
      runtime.action(async (context, id: string, options: { as?: string }) => {
        const api = context.api();
        let detail: DocumentDetail;
        if (api) {
          noServerAs(options.as);
          detail = await api.get(`/v1/documents/${encodeURIComponent(id)}`);
        } else {
          detail = await getDocument((await context.platform()).db, id, callerFromAs(options.as));
        }
        context.output.result(detail, renderDetail);
        return exitCodes.ok;
      }),
    );
  documents
    .command('explain <id>')
    .description('why may (or may not) these principals read the document: the rule, sidecar, default or alias, and its source')
    .requiredOption('--for <principals>', 'the principals to explain, e.g. user:bob@corp.com,group:claims')
    .action(
      runtime.action(async (context, id: string, options: { for: string }) => {
        const principals = parsePrincipalsFlag(options.for, '--for');
        const api = context.api();
        const report: DocumentAccessReport = api
          ? await api.get(`/v1/documents/${encodeURIComponent(id)}/access`, { query: { principals: principals.join(',') } })
          : await explainDocumentAccess((await context.platform()).db, id, localOperator, principals);
        context.output.result(report, renderAccess);
        return exitCodes.ok;
      }),
    );
}
