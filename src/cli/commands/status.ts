import type { Command } from 'commander';
import { ingestStatus, type SourceStatus } from '../../ingest/index.ts';
import type { CliRuntime } from '../context.ts';
import { exitCodes } from '../exit-codes.ts';
import { accessWarnings } from './sync.ts';

/** One source's status as text (`groundwork status`, `groundwork sources status`). */
export function describeSourceStatus(status: SourceStatus): string {
  const mix = Object.entries(status.sensitivity)
    .map(([label, n]) => `${label} ${n}`)
    .join(', ');
  const codes = Object.entries(status.quarantine.byCode)
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');
  const last = status.lastRun;
  return [
    `${status.name} (${status.type}) ${status.path ?? ''}`,
    `  documents ${status.documents} (${
      Object.entries(status.documentsByStatus)
        .map(([s, n]) => `${s} ${n}`)
        .join(', ') || 'none'
    }), chunks ${status.chunks}`,
    `  last successful sync ${status.lastSuccessAt ? status.lastSuccessAt.toISOString() : 'never'}${status.running ? ` — running now (${status.running.id})` : ''}`,
    `  update lag: worst ${status.updateLagSeconds.worst ?? '-'} s, median ${status.updateLagSeconds.median ?? '-'} s`,
    `  quarantine ${status.quarantine.total}${codes ? ` (${codes})` : ''}; failed runs ${status.failures.failedRuns}, interrupted ${status.failures.interruptedRuns}`,
    ...(status.failures.failing
      ? [
          `  FAILING ${status.failures.lastErrorCode ?? ''}: the last sync failed and deleted nothing — ${status.failures.lastError ?? ''}`,
        ]
      : []),
    `  undetermined principals ${status.undeterminedPrincipals}; sensitivity ${mix || '-'}`,
    `  suspected prompt injection: ${status.injectionSuspected.chunks} chunk(s) in ${status.injectionSuspected.documents} document(s)${
      status.injectionSuspected.unscanned > 0
        ? `; ${status.injectionSuspected.unscanned} chunk(s) not scanned yet (run a sync)`
        : ''
    }`,
    ...(status.ocrReview.pages > 0
      ? [
          `  REVIEW ${status.ocrReview.pages} OCRed page(s) in ${status.ocrReview.documents} document(s) read with low confidence or not at all: \`groundwork documents list --ocr-review --source ${status.name}\``,
        ]
      : []),
    ...accessWarnings({
      source: status.name,
      unreadableDocuments: status.unreadableDocuments,
      aclWarnings: status.aclWarnings,
      ...(status.aclMapDrift ? { aclMapDrift: status.aclMapDrift } : {}),
    }).map((line) => `  ${line}`),
    last
      ? `  last run ${last.id} ${last.status}: ${['added', 'updated', 'renamed', 'deleted', 'unchanged', 'quarantined', 'chunks']
          .map((k) => `${k} ${last.counts[k] ?? 0}`)
          .join(', ')}`
      : '  no runs yet',
  ].join('\n');
}

export function registerStatusCommand(program: Command, runtime: CliRuntime): void {
  program
    .command('status')
    .description('ingestion health per source: counts, last sync, update lag, quarantine, principals, sensitivity')
    .action(
      runtime.action(async (context) => {
        const api = context.api();
        const sources = api
          ? // Through the API (--server): JSON dates back to Date.
            (await api.get<{ sources: SourceStatus[] }>('/v1/status')).sources.map((s) => ({
              ...s,
              lastSuccessAt: s.lastSuccessAt ? new Date(s.lastSuccessAt) : null,
              lastSyncAt: s.lastSyncAt ? new Date(s.lastSyncAt) : null,
            }))
          : await ingestStatus((await context.platform()).db);
        context.output.result({ sources }, (r) =>
          r.sources.length === 0
            ? 'No sources yet. Start with `groundwork ingest PATH`.'
            : r.sources.map(describeSourceStatus).join('\n\n'),
        );
        return exitCodes.ok;
      }),
    );
}
