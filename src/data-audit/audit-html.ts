import type { DataAuditReport } from './data-audit.ts';

/**
 * The data audit as one self-contained HTML page: inline CSS and inline SVG charts, no external asset, no
 * script. Every value from the source (file names, formats, principals, messages) is HTML-escaped.
 */

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const number = (value: number): string => value.toLocaleString('en-US');
const percent = (share: number): string => `${(share * 100).toFixed(1)}%`;

function bytes(value: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let size = value;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit++;
  }
  return `${unit === 0 ? size : size.toFixed(1)} ${units[unit]}`;
}

function duration(seconds: number): string {
  if (seconds < 90) return `${seconds.toFixed(1)} s`;
  if (seconds < 5400) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

interface Bar {
  readonly label: string;
  readonly value: number;
  readonly text: string;
  readonly color?: string;
}

const palette = ['#2f6fde', '#14a37f', '#e0a100', '#d1495b', '#8e5cd9', '#00a0b0', '#6c757d', '#f08a4b'];

/** Horizontal bars with labels on the left and values on the right. */
function horizontalBars(bars: readonly Bar[], title: string): string {
  if (bars.length === 0) return '<p class="muted">Nothing to show.</p>';
  const rowHeight = 24;
  const labelWidth = 230;
  const barWidth = 320;
  const width = labelWidth + barWidth + 330;
  const height = bars.length * rowHeight + 8;
  const max = Math.max(...bars.map((bar) => bar.value), 1);
  const rows = bars
    .map((bar, index) => {
      const y = index * rowHeight + 4;
      const w = Math.max(bar.value > 0 ? 2 : 0, Math.round((bar.value / max) * barWidth));
      const label = bar.label.length > 34 ? `${bar.label.slice(0, 33)}…` : bar.label;
      return `<text x="${labelWidth - 8}" y="${y + 16}" text-anchor="end">${escapeHtml(label)}</text><rect x="${labelWidth}" y="${y + 3}" width="${w}" height="${rowHeight - 8}" rx="2" fill="${palette[index % palette.length]}"><title>${escapeHtml(`${bar.label}: ${bar.text}`)}</title></rect><text x="${labelWidth + w + 6}" y="${y + 16}">${escapeHtml(bar.text)}</text>`;
    })
    .join('');
  return `<svg role="img" aria-label="${escapeHtml(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">${rows}</svg>`;
}

/** Vertical bars (a histogram) with labels under each bar. */
function histogram(bars: readonly Bar[], title: string): string {
  const columnWidth = 96;
  const chartHeight = 150;
  const width = bars.length * columnWidth + 20;
  const height = chartHeight + 60;
  const max = Math.max(...bars.map((bar) => bar.value), 1);
  const columns = bars
    .map((bar, index) => {
      const x = 10 + index * columnWidth;
      const h = Math.max(bar.value > 0 ? 2 : 0, Math.round((bar.value / max) * chartHeight));
      const y = chartHeight - h + 20;
      return `<rect x="${x + 14}" y="${y}" width="${columnWidth - 28}" height="${h}" rx="2" fill="${palette[0]}"><title>${escapeHtml(`${bar.label}: ${bar.text}`)}</title></rect><text x="${x + columnWidth / 2}" y="${y - 5}" text-anchor="middle">${escapeHtml(bar.text)}</text><text x="${x + columnWidth / 2}" y="${chartHeight + 40}" text-anchor="middle">${escapeHtml(bar.label)}</text>`;
    })
    .join('');
  return `<svg role="img" aria-label="${escapeHtml(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg"><line x1="10" y1="${chartHeight + 20}" x2="${width - 10}" y2="${chartHeight + 20}" stroke="#999"/>${columns}</svg>`;
}

/** One stacked bar (shares of a whole) with a legend. */
function stackedBar(parts: readonly Bar[], title: string): string {
  const total = parts.reduce((sum, part) => sum + part.value, 0);
  if (total === 0) return '<p class="muted">Nothing to show.</p>';
  const width = 720;
  let x = 0;
  const shown = parts.filter((part) => part.value > 0);
  const colorOf = (part: Bar, index: number) => part.color ?? palette[index % palette.length];
  const segments = shown
    .map((part, index) => {
      const w = (part.value / total) * width;
      const segment = `<rect x="${x.toFixed(1)}" y="0" width="${w.toFixed(1)}" height="28" fill="${colorOf(part, index)}"><title>${escapeHtml(`${part.label}: ${part.text}`)}</title></rect>`;
      x += w;
      return segment;
    })
    .join('');
  const legend = shown
    .map(
      (part, index) =>
        `<span class="key"><span class="swatch" style="background:${colorOf(part, index)}"></span>${escapeHtml(part.label)}: ${escapeHtml(part.text)}</span>`,
    )
    .join(' ');
  return `<svg role="img" aria-label="${escapeHtml(title)}" width="${width}" height="28" viewBox="0 0 ${width} 28" xmlns="http://www.w3.org/2000/svg">${segments}</svg><p class="legend">${legend}</p>`;
}

function tableOf(headers: readonly string[], rows: readonly (readonly unknown[])[], numeric: readonly number[] = []): string {
  if (rows.length === 0) return '<p class="muted">None.</p>';
  const head = headers
    .map((header, index) => `<th${numeric.includes(index) ? ' class="n"' : ''}>${escapeHtml(header)}</th>`)
    .join('');
  const body = rows
    .map(
      (row) =>
        `<tr>${row.map((cell, index) => `<td${numeric.includes(index) ? ' class="n"' : ''}>${escapeHtml(cell ?? '')}</td>`).join('')}</tr>`,
    )
    .join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

const decidedByLabels: Readonly<Record<string, string>> = {
  sidecar: 'sidecar',
  rules: 'ACL map rule',
  default: 'ACL map default',
  'readable-by': '--readable-by',
  inherited: 'inherited (members, attachments)',
  none: 'undecided (nobody may read)',
};

const css = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;margin:0;background:#f6f7f9}
main{max-width:1000px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:0 0 12px}
section{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:16px 20px;margin:16px 0}
.muted{color:#667085}.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{border:1px solid #dde1e7;border-radius:6px;padding:8px 12px;min-width:130px}
.card b{display:block;font-size:20px}
table{border-collapse:collapse;width:100%;margin-top:8px}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eef0f3;vertical-align:top;word-break:break-word}
th{background:#f0f2f5}td.n,th.n{text-align:right;white-space:nowrap}
svg{max-width:100%;height:auto;font-size:12px;fill:#1d2330}svg text{fill:#1d2330}
.legend{margin:6px 0 0}.key{display:inline-block;margin-right:14px}.swatch{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}
.warn{color:#a4330b}
`;

/** Renders the report as a standalone HTML document. */
export function renderAuditHtml(report: DataAuditReport): string {
  const target = report.target.name
    ? `source ${report.target.name}${report.target.path ? ` (${report.target.path})` : ''}`
    : `folder ${report.target.path ?? ''}`;
  const sampled = report.audited.sampled
    ? `<p class="warn">Sample: the content of ${number(report.audited.files)} of ${number(report.files)} files was audited (counts of files, bytes and ages cover every file; the estimate is scaled).</p>`
    : '';
  const cards = [
    ['Files', number(report.files)],
    ['Size', bytes(report.bytes)],
    ['Documents', number(report.documents)],
    ['Need OCR', percent(report.ocrShare)],
    ['Unparseable', number(report.unparseable.count)],
    ['Duplicate clusters', number(report.nearDuplicates.clusterCount)],
    ['With PII', percent(report.pii.shareWithPii)],
    ['Undecided access', percent(report.permissionCoverage.undecidedShare)],
    [`Stale (≥ ${report.staleness.staleYears} y)`, percent(report.staleness.stale.share)],
  ]
    .map(([label, value]) => `<div class="card"><span class="muted">${escapeHtml(label)}</span><b>${escapeHtml(value)}</b></div>`)
    .join('');

  const formats = horizontalBars(
    report.formats.map((format) => ({
      label: format.label,
      value: format.files,
      text: `${number(format.files)} files, ${bytes(format.bytes)}`,
    })),
    'Files by format',
  );
  const formatTable = tableOf(
    ['Format', 'Media type', 'Files', 'Bytes', 'Share', 'Extension says otherwise'],
    report.formats.map((f) => [
      f.label,
      f.mediaType,
      number(f.files),
      bytes(f.bytes),
      percent(f.share),
      number(f.extensionMismatch),
    ]),
    [2, 3, 4, 5],
  );
  const encodings = tableOf(
    ['Encoding', 'Text documents', 'Guessed (uncertain)'],
    report.encodings.map((e) => [e.encoding, number(e.documents), number(e.guessed)]),
    [1, 2],
  );
  const ages = histogram(
    report.staleness.buckets.map((bucket) => ({ label: bucket.label, value: bucket.files, text: number(bucket.files) })),
    'Files by age (last modified)',
  );
  const oldest = tableOf(
    ['Oldest files', 'Last modified'],
    report.staleness.oldest.slice(0, 10).map((entry) => [entry.ref, entry.modifiedAt.slice(0, 10)]),
  );
  const pii = horizontalBars(
    report.pii.types.map((type) => ({
      label: type.type,
      value: type.per1000Words,
      text: `${type.per1000Words} per 1,000 words (${number(type.count)} in ${number(type.documents)} docs)`,
    })),
    'PII per 1,000 words by type',
  );
  const sensitivity = stackedBar(
    report.sensitivity.map((entry) => ({
      label: entry.label,
      value: entry.documents,
      text: `${number(entry.documents)} (${percent(entry.share)})`,
    })),
    'Sensitivity labels',
  );
  const coverage = report.permissionCoverage;
  const decided = stackedBar(
    Object.entries(coverage.decidedBy).map(([key, value]) => ({
      label: decidedByLabels[key] ?? key,
      value,
      ...(key === 'none' ? { color: '#d1495b' } : {}),
      text: `${number(value)} (${percent(coverage.documents > 0 ? value / coverage.documents : 0)})`,
    })),
    'What decides who may read each document',
  );
  const principals = horizontalBars(
    coverage.principalsPerDocument.map((bucket) => ({
      label: `${bucket.bucket} principal${bucket.bucket === '1' ? '' : 's'}`,
      value: bucket.documents,
      text: number(bucket.documents),
    })),
    'Principals per document',
  );
  const topPrincipals = tableOf(
    ['Principal', 'Documents'],
    coverage.topPrincipals.map((p) => [p.principal, number(p.documents)]),
    [1],
  );
  const clusters = report.nearDuplicates.clusters.length
    ? `<table><thead><tr><th>#</th><th>Members</th><th class="n">Similarity to the first</th></tr></thead><tbody>${report.nearDuplicates.clusters
        .map(
          (cluster, index) =>
            `<tr><td>${index + 1}</td><td>${cluster.members.map((member) => escapeHtml(member.ref)).join('<br>')}</td><td class="n">${cluster.members.map((member) => escapeHtml(member.similarity.toFixed(2))).join('<br>')}</td></tr>`,
        )
        .join('')}</tbody></table>`
    : '<p class="muted">No near-duplicates.</p>';
  const unparseable = tableOf(
    ['File', 'Code', 'Reason'],
    report.unparseable.files.map((file) => [file.ref, file.code, file.message]),
  );
  const byCode = Object.entries(report.unparseable.byCode)
    .map(([code, count]) => `${escapeHtml(code)}: ${number(count)}`)
    .join(', ');
  const missing = report.missingMetadata;
  const metadata = tableOf(
    ['Missing', 'Documents', 'Share', 'Examples'],
    (['title', 'date', 'author'] as const).map((kind) => [
      kind,
      number(missing[kind].missing),
      percent(missing[kind].share),
      missing[kind].examples.slice(0, 5).join(', '),
    ]),
    [1, 2],
  );
  const estimate = report.estimate;
  const estimateTable = tableOf(
    ['Measure', 'Estimate'],
    [
      ['Documents', number(estimate.documents)],
      ['Pages (paged formats)', number(estimate.pages)],
      ['Pages needing OCR', number(estimate.ocrPages)],
      ['Chunks', number(estimate.chunks)],
      ['Embedding tokens', number(estimate.embeddingTokens)],
      ['Ingestion time', `${duration(estimate.seconds.low)} – ${duration(estimate.seconds.high)}`],
      ['of which OCR', `${duration(estimate.ocrSeconds.low)} – ${duration(estimate.ocrSeconds.high)}`],
      [
        'Embedding cost',
        estimate.embedding
          ? estimate.embedding.costUsd === null
            ? `${estimate.embedding.model}: no price known (observe.prices)`
            : `${estimate.embedding.costUsd.toFixed(4)} USD (${estimate.embedding.model})`
          : 'no embedding model configured',
      ],
      ['OCR cost', `${estimate.ocrCostUsd.toFixed(4)} USD`],
      ['Total cost', estimate.costUsd === null ? 'unknown' : `${estimate.costUsd.toFixed(4)} USD`],
    ],
  );
  const constants = tableOf(
    ['Constant', 'Value', 'Measured in'],
    estimate.constants.map((c) => [c.name, c.value, c.source]),
  );
  const notes = estimate.notes.map((note) => `<li>${escapeHtml(note)}</li>`).join('');

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`Data audit: ${target}`)}</title><style>${css}</style></head>
<body><main>
<h1>Data audit</h1>
<p class="muted">${escapeHtml(target)} · ${escapeHtml(report.generatedAt)} · audited in ${escapeHtml(duration(report.durationMs / 1000))} · nothing was indexed</p>
${sampled}
<section><div class="cards">${cards}</div></section>
<section id="formats"><h2>Formats (detected from content)</h2>${formats}${formatTable}<h3>Encodings of text documents</h3>${encodings}
<p>OCR: ${number(report.ocr.files)} files (${escapeHtml(percent(report.ocrShare))}) need OCR — ${number(report.ocr.pages)} of ${number(report.ocr.totalPages)} pages (${escapeHtml(percent(report.ocr.pageShare))}), ${number(report.ocr.images)} images, ${number(report.ocr.pdfs)} PDFs${report.ocr.ran ? ' (OCR was run)' : ' (counted, not run)'}.</p></section>
<section id="staleness"><h2>Age (last modified)</h2>${ages}
<p>${number(report.staleness.stale.files)} files (${escapeHtml(percent(report.staleness.stale.share))}, ${escapeHtml(bytes(report.staleness.stale.bytes))}) untouched for ${escapeHtml(report.staleness.staleYears)} years or more. Median age ${escapeHtml(report.staleness.medianAgeDays ?? '–')} days.</p>${oldest}</section>
<section id="pii"><h2>PII density</h2><p>${number(report.pii.documentsWithPii)} of ${number(report.pii.documentsWithText)} documents with text (${escapeHtml(percent(report.pii.shareWithPii))}) contain PII; ${number(report.pii.words)} words. Counts only: no value is shown.</p>${pii}
<h3>Sensitivity labels</h3>${sensitivity}</section>
<section id="permissions"><h2>Permission coverage</h2>
<p>${number(coverage.undecided)} of ${number(coverage.documents)} documents (${escapeHtml(percent(coverage.undecidedShare))}) are decided by no rule, default, sidecar or --readable-by: nobody could read them through the server. ${number(coverage.operatorOnly)} are readable by no principal. ACL map: ${coverage.aclMap.present ? `${number(coverage.aclMap.rules)} rules${coverage.aclMap.hasDefault ? ', a default' : ', no default'}` : 'none'}; ${number(coverage.sidecars)} sidecars; ${number(coverage.distinctPrincipals)} distinct principals${coverage.unknownIdentities > 0 ? `; <span class="warn">${number(coverage.unknownIdentities)} unknown identities ignored</span>` : ''}.</p>
${decided}<h3>Principals per document</h3>${principals}${topPrincipals}</section>
<section id="duplicates"><h2>Near-duplicates</h2><p>${number(report.nearDuplicates.clusterCount)} clusters, ${number(report.nearDuplicates.documentsInClusters)} documents (MinHash over word shingles, similarity ≥ ${escapeHtml(report.nearDuplicates.threshold)}; ${number(report.nearDuplicates.documentsCompared)} documents compared).</p>${clusters}</section>
<section id="unparseable"><h2>Unparseable files</h2><p>${number(report.unparseable.count)} (${escapeHtml(percent(report.unparseable.share))})${byCode ? ` — ${byCode}` : ''}${report.unparseable.truncated ? ' (list truncated)' : ''}.</p>${unparseable}</section>
<section id="metadata"><h2>Missing metadata</h2>${metadata}</section>
<section id="estimate"><h2>Ingestion estimate</h2>${estimateTable}<ul>${notes}</ul>${constants}</section>
</main></body></html>
`;
}
