import { type EventBus, newId, type SpanRecord } from '../core/index.ts';
import type { ObserveMetrics } from './observe-metrics.ts';

/**
 * Turns ingestion's lifecycle events (`sync-start`, `document-parsed`, `document-quarantined`, `embed-end`,
 * `sync-end`, declared in src/ingest) into a trace per sync run, published as ordinary `span-end` events so
 * that the recorder, pricing and OTLP export treat them like every other trace. Ingestion stays free of
 * tracing code.
 *
 * Per run: a root `sync` span (source, counts, status); one `parse` span per document, up to
 * `maxParseSpans` (the rest are counted on the root); one `ocr` span carrying the run's OCR pages (priced
 * per page); one `embed` span per embedding model with the run's tokens (priced per token). Totals are
 * emitted once at `sync-end`, so cost is complete however many documents a run has.
 *
 * Events are read defensively (by name, fields checked) rather than through ingest's types: a renamed field
 * costs a missing attribute, not a failed build. If ingestion starts emitting its own `sync` spans, this
 * adapter sees them and stops synthesising, so runs are never traced twice.
 */
export interface IngestTracesOptions {
  readonly events: EventBus;
  readonly metrics: ObserveMetrics;
  /** Epoch milliseconds; injectable for tests. */
  readonly now?: () => number;
  readonly maxParseSpans?: number;
  /** Runs tracked at once; the oldest open run is forgotten beyond it. */
  readonly maxOpenRuns?: number;
}

interface OpenRun {
  readonly traceId: string;
  readonly rootSpanId: string;
  readonly startTime: number;
  sourceId: string;
  sourceName: string;
  trigger: string;
  parseSpans: number;
  parseOmitted: number;
  ocrPages: number;
  ocrMs: number;
  embeddings: Map<string, { tokens: number; count: number; cached: number; durationMs: number }>;
  quarantined: number;
}

const synthesized = 'groundwork.synthesized';

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0);

export function subscribeIngestTraces(options: IngestTracesOptions): () => void {
  const now = options.now ?? (() => performance.timeOrigin + performance.now());
  const maxParseSpans = options.maxParseSpans ?? 1_000;
  const maxOpenRuns = options.maxOpenRuns ?? 1_000;
  const runs = new Map<string, OpenRun>();
  let native = false;

  const publish = (span: SpanRecord) => options.events.publish('span-end', span);
  const open = (runId: string, sourceId = '', sourceName = ''): OpenRun => {
    let run = runs.get(runId);
    if (!run) {
      run = {
        traceId: newId('trc'),
        rootSpanId: newId('spn'),
        startTime: now(),
        sourceId,
        sourceName,
        trigger: '',
        parseSpans: 0,
        parseOmitted: 0,
        ocrPages: 0,
        ocrMs: 0,
        embeddings: new Map(),
        quarantined: 0,
      };
      runs.set(runId, run);
      if (runs.size > maxOpenRuns) {
        const oldest = runs.keys().next().value;
        if (oldest !== undefined) runs.delete(oldest);
      }
    }
    return run;
  };
  const child = (run: OpenRun, name: string, startTime: number, endTime: number, attributes: Record<string, unknown>) =>
    publish({
      traceId: run.traceId,
      spanId: newId('spn'),
      parentSpanId: run.rootSpanId,
      name,
      startTime,
      endTime,
      status: 'ok',
      attributes: { ...attributes, [synthesized]: true } as SpanRecord['attributes'],
    });

  return options.events.subscribeAll((name, payload) => {
    if (name === 'span-end') {
      const span = payload as SpanRecord;
      if (span.name === 'sync' && span.attributes[synthesized] !== true) native = true;
      return;
    }
    if (native || !payload || typeof payload !== 'object') return;
    const event = payload as Record<string, unknown>;
    const runId = text(event.runId);
    if (!runId) return;
    switch (name) {
      case 'sync-start': {
        const run = open(runId, text(event.sourceId), text(event.sourceName));
        run.trigger = text(event.trigger) ?? '';
        return;
      }
      case 'document-parsed': {
        const run = open(runId);
        const ocrPages = count(event.ocrPages);
        const durationMs = count(event.durationMs);
        if (ocrPages > 0) {
          run.ocrPages += ocrPages;
          run.ocrMs += durationMs;
        }
        if (run.parseSpans >= maxParseSpans) {
          run.parseOmitted += 1;
          return;
        }
        run.parseSpans += 1;
        const end = now();
        child(run, 'parse', end - durationMs, end, {
          'groundwork.source_ref': text(event.sourceRef),
          'groundwork.media_type': text(event.mediaType),
          'groundwork.pages': count(event.pages),
          // Not `groundwork.ocr.pages`: OCR is priced once per run on the `ocr` span.
          'groundwork.parse.ocr_pages': ocrPages,
          'groundwork.bytes': count(event.bytes),
          'groundwork.warnings': count(event.warnings),
        });
        return;
      }
      case 'document-quarantined': {
        const run = open(runId);
        run.quarantined += 1;
        options.metrics.ingestFailures.inc({ source: run.sourceName || text(event.sourceId) || '', kind: 'quarantined' });
        return;
      }
      case 'embed-end': {
        const run = open(runId);
        const model = text(event.model) ?? '';
        const entry = run.embeddings.get(model) ?? { tokens: 0, count: 0, cached: 0, durationMs: 0 };
        entry.tokens += count(event.tokens);
        entry.count += count(event.count);
        entry.cached += count(event.cached);
        entry.durationMs += count(event.durationMs);
        run.embeddings.set(model, entry);
        return;
      }
      case 'sync-end': {
        const run = open(runId, text(event.sourceId), text(event.sourceName));
        runs.delete(runId);
        run.sourceName ||= text(event.sourceName) ?? '';
        const end = now();
        const durationMs = count(event.durationMs);
        const startTime = Math.min(run.startTime, end - durationMs);
        if (run.ocrPages > 0) child(run, 'ocr', end - run.ocrMs, end, { 'groundwork.ocr.pages': run.ocrPages });
        for (const [model, usage] of run.embeddings) {
          const colon = model.indexOf(':');
          child(run, 'embed', end - usage.durationMs, end, {
            'gen_ai.operation.name': 'embeddings',
            ...(colon > 0
              ? { 'gen_ai.provider.name': model.slice(0, colon), 'gen_ai.request.model': model.slice(colon + 1) }
              : { 'gen_ai.request.model': model }),
            'gen_ai.usage.input_tokens': usage.tokens,
            'groundwork.embed.texts': usage.count,
            'groundwork.embed.cached': usage.cached,
          });
        }
        const status = text(event.status) ?? 'succeeded';
        const counts = event.counts && typeof event.counts === 'object' ? (event.counts as Record<string, unknown>) : {};
        publish({
          traceId: run.traceId,
          spanId: run.rootSpanId,
          parentSpanId: undefined,
          name: 'sync',
          startTime,
          endTime: end,
          status: status === 'failed' ? 'error' : 'ok',
          ...(status === 'failed' ? { error: { code: 'ingest.sync_failed', message: text(event.error) ?? 'sync failed' } } : {}),
          attributes: {
            'groundwork.operation': 'sync',
            'groundwork.source': run.sourceName,
            'groundwork.source_id': run.sourceId,
            'groundwork.run_id': runId,
            'groundwork.sync.status': status,
            'groundwork.sync.trigger': run.trigger,
            'groundwork.sync.counts': counts,
            'groundwork.documents': count(counts.documents),
            'groundwork.pages': count(counts.pages),
            'groundwork.parse.spans_omitted': run.parseOmitted,
            [synthesized]: true,
          } as SpanRecord['attributes'],
        });
        if (status === 'partial') options.metrics.ingestFailures.inc({ source: run.sourceName, kind: 'partial' });
        return;
      }
      default:
        return;
    }
  });
}
