import { writeFile } from 'node:fs/promises';
import { extname, isAbsolute, resolve } from 'node:path';
import type { Command } from 'commander';
import { GroundworkError, localOperator } from '../../core/index.ts';
import {
  auditFolder,
  auditSource,
  type DataAuditOptions,
  type DataAuditReport,
  renderAuditHtml,
} from '../../data-audit/index.ts';
import { findSource } from '../../ingest/index.ts';
import type { CliRuntime, CommandContext } from '../context.ts';
import { exitCodes } from '../exit-codes.ts';

interface AuditDataFlags {
  out?: string;
  staleYears?: string;
  sample?: string;
  seed?: string;
  ocr?: boolean;
  similarity?: string;
  maxTextChars?: string;
  aclMap?: string;
  readableBy?: string;
  include?: string[];
  exclude?: string[];
}

function optionError(message: string): GroundworkError {
  return new GroundworkError('data_audit.invalid_option', message, {
    category: 'usage',
    fix: 'Use --stale-years N (1–100), --sample N (a positive whole number), --similarity 0.5–1, and --out FILE.html or FILE.json.',
  });
}

function numberFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed)) throw optionError(`${flag} ${value} is not a number.`);
  return parsed;
}

/** `--out` decides the file's format by its extension. */
function outFormat(path: string): 'html' | 'json' {
  const extension = extname(path).toLowerCase();
  if (extension === '.html' || extension === '.htm') return 'html';
  if (extension === '.json') return 'json';
  throw optionError(
    `--out ${path}: the report is written as HTML (.html) or JSON (.json), not "${extension || 'no extension'}".`,
  );
}

const pct = (share: number) => `${(share * 100).toFixed(1)}%`;

function mib(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

/** The human summary on stdout. */
function summary(report: DataAuditReport, written: string | undefined): string {
  const target = report.target.name ? `source ${report.target.name}` : `folder ${report.target.path}`;
  const e = report.estimate;
  const lines = [
    `Audit of ${target}: ${report.files} files, ${mib(report.bytes)}${report.audited.sampled ? ` (content of ${report.audited.files} sampled)` : ''}; ${report.documents} documents; nothing was indexed.`,
    `  formats: ${report.formats.map((f) => `${f.label} ${f.files}`).join(', ') || 'none'}`,
    `  encodings: ${report.encodings.map((x) => `${x.encoding} ${x.documents}`).join(', ') || 'none'}`,
    `  OCR: ${report.ocr.files} files (${pct(report.ocrShare)}), ${report.ocr.pages} pages${report.ocr.ran ? '' : ' (counted, not run)'}`,
    `  unparseable: ${report.unparseable.count}${
      Object.keys(report.unparseable.byCode).length
        ? ` (${Object.entries(report.unparseable.byCode)
            .map(([code, n]) => `${code} ${n}`)
            .join(', ')})`
        : ''
    }`,
    `  near-duplicates: ${report.nearDuplicates.clusterCount} cluster${report.nearDuplicates.clusterCount === 1 ? '' : 's'}, ${report.nearDuplicates.documentsInClusters} documents`,
    `  PII: ${report.pii.documentsWithPii} of ${report.pii.documentsWithText} documents (${pct(report.pii.shareWithPii)}); ${report.pii.types.map((t) => `${t.type} ${t.per1000Words}/1k words`).join(', ') || 'none found'}`,
    `  sensitivity: ${report.sensitivity.map((s) => `${s.label} ${s.documents}`).join(', ') || 'none'}`,
    `  stale (≥ ${report.staleness.staleYears} years): ${report.staleness.stale.files} files (${pct(report.staleness.stale.share)})`,
    `  permissions: ${report.permissionCoverage.undecided} of ${report.permissionCoverage.documents} documents (${pct(report.permissionCoverage.undecidedShare)}) decided by no rule; ${report.permissionCoverage.distinctPrincipals} principals`,
    `  missing metadata: title ${report.missingMetadata.title.missing}, date ${report.missingMetadata.date.missing}, author ${report.missingMetadata.author.missing}`,
    `  estimate: ${e.documents} documents, ${e.chunks} chunks, ${e.embeddingTokens} embedding tokens, ${e.ocrPages} OCR pages; ${e.seconds.low}–${e.seconds.high} s; cost ${e.costUsd === null ? 'unknown' : `${e.costUsd} USD`}`,
  ];
  if (written) lines.push(`Report written to ${written}.`);
  return lines.join('\n');
}

async function runAuditData(context: CommandContext, target: string, flags: AuditDataFlags): Promise<number> {
  const written = flags.out ? resolve(context.io.cwd, flags.out) : undefined;
  const format = flags.out ? outFormat(flags.out) : undefined;
  const options: DataAuditOptions = {
    ...(flags.staleYears === undefined ? {} : { staleYears: numberFlag('--stale-years', flags.staleYears) }),
    ...(flags.sample === undefined ? {} : { sample: numberFlag('--sample', flags.sample) }),
    ...(flags.seed === undefined ? {} : { seed: numberFlag('--seed', flags.seed) }),
    ...(flags.similarity === undefined ? {} : { similarity: numberFlag('--similarity', flags.similarity) }),
    ...(flags.maxTextChars === undefined ? {} : { maxTextChars: numberFlag('--max-text-chars', flags.maxTextChars) }),
    ocr: Boolean(flags.ocr),
  };
  const looksLikePath = /[\\/]/.test(target) || target === '.' || target === '..' || isAbsolute(target);
  const folderFlags = flags.aclMap !== undefined || flags.readableBy !== undefined || flags.include || flags.exclude;
  let report: DataAuditReport;
  const api = context.api();
  if (api) {
    if (looksLikePath) throw optionError(`${target}: over --server only registered sources are audited (by name).`);
    const query: Record<string, string | number | boolean | undefined> = {
      staleYears: options.staleYears,
      sample: options.sample,
      seed: options.seed,
      similarity: options.similarity,
      ocr: options.ocr || undefined,
    };
    report = await api.get<DataAuditReport>(`/v1/sources/${encodeURIComponent(target)}/audit`, { query });
  } else {
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const progress = context.output.progress(`audit ${target}`);
    const withProgress: DataAuditOptions = {
      ...options,
      signal: controller.signal,
      onProgress: (p) => progress.update(p.done, p.total, p.current),
    };
    try {
      const folderInput = {
        path: target,
        cwd: context.io.cwd,
        ...(flags.aclMap ? { aclMapPath: flags.aclMap } : {}),
        ...(flags.readableBy ? { readableBy: [flags.readableBy] } : {}),
        ...(flags.include ? { include: flags.include } : {}),
        ...(flags.exclude ? { exclude: flags.exclude } : {}),
      };
      if (looksLikePath) {
        // A folder: no store is opened (auditing a share must not create a data directory in it).
        report = await auditFolder(localOperator, { config: context.config().config }, folderInput, withProgress);
      } else {
        const platform = await context.platform();
        const deps = { config: platform.config, clock: platform.clock, secrets: platform.secrets };
        const registered = await findSource(platform.db, target);
        if (registered && folderFlags)
          throw optionError(
            `${target} is a registered source: its own ACL map, --readable-by, include and exclude apply; drop --acl-map, --readable-by, --include and --exclude (or give a folder path).`,
          );
        report = registered
          ? await auditSource(platform.db, localOperator, deps, registered.id, withProgress)
          : await auditFolder(localOperator, deps, folderInput, withProgress);
      }
    } finally {
      progress.finish();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
  if (written && format) {
    await writeFile(written, format === 'html' ? renderAuditHtml(report) : `${JSON.stringify(report, null, 2)}\n`, 'utf8');
  }
  context.output.result(report, (r) => summary(r, written));
  return exitCodes.ok;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `groundwork audit-data SOURCE [--out report.html|report.json] [--json]` (docs/data-audit.md). */
export function registerAuditDataCommand(program: Command, runtime: CliRuntime): void {
  program
    .command('audit-data <source>')
    .description(
      'audit a registered source or a folder WITHOUT indexing it: formats, encodings, OCR, unparseable files, near-duplicates, PII, sensitivity, staleness, permission coverage, missing metadata, ingestion estimate (docs/data-audit.md)',
    )
    .option('--out <file>', 'write the report: a self-contained HTML page (.html) or JSON (.json)')
    .option('--stale-years <n>', 'files untouched for at least N years count as stale (default 3)')
    .option('--sample <n>', 'audit the content of N randomly chosen files only (counts, sizes and ages stay exact)')
    .option('--seed <n>', 'seed of --sample (default 1)')
    .option('--ocr', 'run OCR as ingestion would (slow); by default pages needing OCR are counted, not read')
    .option('--similarity <x>', 'near-duplicate threshold, estimated Jaccard similarity 0.5–1 (default 0.8)')
    .option('--max-text-chars <n>', 'characters of each document kept for near-duplicate detection (default 20000)')
    .option('--acl-map <file>', 'folder only: the ACL map (JSON or YAML) ingestion would apply')
    .option('--readable-by <principals>', 'folder only: principals for documents nothing else decides, e.g. group:staff')
    .option('--include <glob>', 'folder only: include pattern (repeatable)', collect)
    .option('--exclude <glob>', 'folder only: exclude pattern (repeatable)', collect)
    .action(runtime.action(async (context, target: string, flags: AuditDataFlags) => runAuditData(context, target, flags)));
}
