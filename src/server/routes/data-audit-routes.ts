import { z } from 'zod';
import { auditSource, renderAuditHtml } from '../../data-audit/index.ts';
import { defineRoute, type RouteDefinition } from '../define-route.ts';

/**
 * `GET /v1/sources/:name/audit`: the data audit of a registered source (docs/data-audit.md), the same JSON as
 * `groundwork audit-data NAME --json`. It parses every file of the source in the request: meant for small
 * sources or a `sample`; a large share is audited with the CLI on the server. Folders are never audited over
 * HTTP (only registered sources, whose folders an operator chose).
 */
export function dataAuditRoutes(): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/sources/:name/audit',
      summary:
        'Data audit of a source without indexing it: formats, OCR, unparseable files, duplicates, PII, permissions, estimate',
      tags: ['sources'],
      scope: 'sources:audit',
      // Operators see every file name of the source, like the quarantine.
      aclBypass: true,
      request: {
        params: z.object({ name: z.string().min(1).max(64) }),
        query: z.strictObject({
          staleYears: z.coerce.number().optional(),
          sample: z.coerce.number().int().optional(),
          seed: z.coerce.number().int().optional(),
          similarity: z.coerce.number().optional(),
          ocr: z.enum(['true', 'false']).optional(),
          /** `html`: the self-contained HTML report (what `--out report.html` writes) instead of JSON. */
          format: z.enum(['json', 'html']).optional(),
        }),
      },
      responses: { 200: { description: 'The audit report', schema: z.record(z.string(), z.unknown()) } },
      handler: async ({ platform, caller, params, query, c }) => {
        const report = await auditSource(
          platform.db,
          caller,
          { config: platform.config, clock: platform.clock, secrets: platform.secrets },
          params.name,
          {
            ...(query.staleYears === undefined ? {} : { staleYears: query.staleYears }),
            ...(query.sample === undefined ? {} : { sample: query.sample }),
            ...(query.seed === undefined ? {} : { seed: query.seed }),
            ...(query.similarity === undefined ? {} : { similarity: query.similarity }),
            ocr: query.ocr === 'true',
            // A client that goes away stops the audit at the next file.
            signal: c.req.raw.signal,
          },
        );
        if (query.format !== 'html') return report;
        return new Response(renderAuditHtml(report), {
          headers: {
            'content-type': 'text/html; charset=utf-8',
            // The report needs nothing from anywhere: no script, style or image may load from it.
            'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
            'content-disposition': `attachment; filename="audit-${report.target.name ?? 'source'}.html"`,
          },
        });
      },
    }),
  ];
}
