import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import {
  type Caller,
  type Clock,
  type GroundworkConfig,
  GroundworkError,
  isGroundworkError,
  type SecretResolver,
  systemClock,
  toGroundworkError,
} from '../core/index.ts';
import { authorize } from '../govern/index.ts';
import {
  type ChunkFn,
  chunkDocument,
  createFilesystemSource,
  createParserPool,
  detectMediaType,
  findSource,
  isTextType,
  openSource,
  type ParsedDocument,
  type ParseFn,
  type PrepareContext,
  type PreparedDocument,
  parseLimitsFromConfig,
  prepareDocument,
  readAclMapFile,
  readablePrincipals,
  type SidecarMetadata,
  type Source,
  type SourceItem,
  type SourceRecord,
} from '../ingest/index.ts';
import { buildPriceTable, priceFor } from '../observe/index.ts';
import { type AclMap, compilePiiPatterns, resolveDocumentAccess } from '../protect/index.ts';
import type { Queryable } from '../store/index.ts';
import { type DuplicateCluster, minhashSignature, NearDuplicateIndex, words } from './near-duplicates.ts';

/**
 * The data audit (issue 20, Stage 2): what a source holds and what ingesting it would take — formats,
 * encodings, OCR, unparseable files, near-duplicates, PII density, sensitivity, staleness, permission coverage,
 * missing metadata, and an estimate of ingestion time and cost — WITHOUT indexing anything. It runs ingestion's
 * own steps on every file (the source's `fetch`, format detection, the parse worker pool with its timeouts,
 * `prepareDocument`: principals, chunking, PII, sensitivity) and writes nothing: no document, chunk, run or
 * quarantine row. OCR is not run by default (its pages are counted; `ocr: true` runs it as ingestion would).
 */

/** The configuration the audit reads (parse limits, PII patterns, sensitivity rules, embedding model, prices). */
export type DataAuditConfig = Pick<GroundworkConfig, 'ingest' | 'protect' | 'models' | 'observe'> & {
  readonly governance?: Pick<GroundworkConfig['governance'], 'governedKinds'>;
};

export interface DataAuditDeps {
  readonly config: DataAuditConfig;
  readonly clock?: Clock;
  /** Parsing; default: ingestion's parse worker pool (crash isolation, per-file timeout), closed at the end. */
  readonly parse?: ParseFn;
  /** Opens the connector of a registered source; default: ingest's `openSource` (what a sync uses). */
  readonly openSource?: (record: SourceRecord) => Source | Promise<Source>;
  /** Resolves connectors' `…Env` settings (the platform's secrets); without it they resolve to nothing. */
  readonly secrets?: SecretResolver;
}

export interface DataAuditOptions {
  /** Files untouched for at least this many years count as stale. Default 3. */
  readonly staleYears?: number;
  /** Audit the content of at most this many files (a uniform random sample of the listing); counts of files,
   * bytes and ages stay exact, content figures and the estimate are scaled. */
  readonly sample?: number;
  /** Seed of the sample (default 1): the same seed picks the same files. */
  readonly seed?: number;
  /** Run OCR as ingestion would (slow); default false: pages that need OCR are counted, not read. */
  readonly ocr?: boolean;
  /** Estimated Jaccard similarity from which two documents are near-duplicates. Default 0.8. */
  readonly similarity?: number;
  /** Characters of each document's text kept for near-duplicate detection (bounded memory). Default 20,000. */
  readonly maxTextChars?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: { listed: number; done: number; total: number | undefined; current?: string }) => void;
}

/** A folder to audit that is not (necessarily) a registered source. */
export interface AuditFolderInput {
  readonly path: string;
  readonly cwd?: string;
  readonly aclMapPath?: string;
  readonly readableBy?: readonly string[];
  readonly include?: readonly string[];
  readonly exclude?: readonly string[];
}

export interface FormatEntry {
  readonly mediaType: string;
  readonly label: string;
  readonly files: number;
  readonly bytes: number;
  readonly share: number;
  /** Files whose extension names another format than their content (detected by magic bytes and content). */
  readonly extensionMismatch: number;
}

export interface UnparseableFile {
  readonly ref: string;
  readonly code: string;
  readonly message: string;
}

export interface MetadataGap {
  readonly missing: number;
  readonly share: number;
  readonly examples: readonly string[];
}

/** The audit's result (`groundwork audit-data --json`, `GET /v1/sources/:name/audit`). */
export interface DataAuditReport {
  readonly version: 1;
  readonly target: { readonly kind: 'source' | 'folder'; readonly name?: string; readonly path?: string; readonly type: string };
  readonly generatedAt: string;
  readonly durationMs: number;
  readonly options: {
    readonly staleYears: number;
    readonly sample: number | null;
    readonly ocr: boolean;
    readonly similarity: number;
    readonly maxTextChars: number;
  };
  /** Files listed (all of them, sampled or not). */
  readonly files: number;
  readonly bytes: number;
  /** Files whose content was audited (= `files` without a sample). */
  readonly audited: { readonly files: number; readonly bytes: number; readonly sampled: boolean; readonly documents: number };
  /** Documents found in the audited files: files plus archive members and e-mail attachments. */
  readonly documents: number;
  readonly formats: readonly FormatEntry[];
  readonly encodings: readonly { readonly encoding: string; readonly documents: number; readonly guessed: number }[];
  /** Share of audited files that need OCR (an image, or a PDF with at least one page without a text layer). */
  readonly ocrShare: number;
  readonly ocr: {
    readonly files: number;
    readonly pages: number;
    /** Pages of paged documents (PDF pages, slides, images). */
    readonly totalPages: number;
    readonly pageShare: number;
    readonly images: number;
    readonly pdfs: number;
    /** True when OCR was run (`ocr: true`): OCRed text is then part of the PII, duplicate and estimate figures. */
    readonly ran: boolean;
  };
  readonly unparseable: {
    readonly count: number;
    readonly share: number;
    readonly byCode: Readonly<Record<string, number>>;
    readonly files: readonly UnparseableFile[];
    readonly truncated: boolean;
  };
  readonly nearDuplicates: {
    readonly threshold: number;
    readonly documentsCompared: number;
    readonly clusterCount: number;
    readonly documentsInClusters: number;
    readonly clusters: readonly DuplicateCluster[];
    readonly truncated: boolean;
  };
  readonly pii: {
    readonly words: number;
    readonly documentsWithText: number;
    readonly documentsWithPii: number;
    readonly shareWithPii: number;
    readonly types: readonly {
      readonly type: string;
      readonly count: number;
      readonly per1000Words: number;
      readonly documents: number;
    }[];
  };
  readonly sensitivity: readonly { readonly label: string; readonly documents: number; readonly share: number }[];
  readonly staleness: {
    readonly staleYears: number;
    readonly asOf: string;
    readonly buckets: readonly {
      readonly label: string;
      readonly files: number;
      readonly bytes: number;
      readonly share: number;
    }[];
    readonly stale: { readonly files: number; readonly bytes: number; readonly share: number };
    readonly oldest: readonly { readonly ref: string; readonly modifiedAt: string }[];
    readonly newestModifiedAt: string | null;
    readonly oldestModifiedAt: string | null;
    readonly medianAgeDays: number | null;
  };
  readonly permissionCoverage: {
    readonly documents: number;
    /** Documents no rule, default, sidecar or `readableBy` decides (deny by default: nobody may read them). */
    readonly undecided: number;
    readonly undecidedShare: number;
    /** Documents readable by no principal at all (undecided ones, and explicit `principals: []`). */
    readonly operatorOnly: number;
    readonly decidedBy: Readonly<Record<string, number>>;
    readonly principalsPerDocument: readonly { readonly bucket: string; readonly documents: number }[];
    readonly distinctPrincipals: number;
    readonly topPrincipals: readonly { readonly principal: string; readonly documents: number }[];
    /** Identities (in rules, sidecars, defaults) that are neither principals nor aliases: ignored by ingestion. */
    readonly unknownIdentities: number;
    readonly aclMap: { readonly present: boolean; readonly rules: number; readonly hasDefault: boolean };
    readonly readableBy: readonly string[];
    readonly sidecars: number;
    readonly undecidedExamples: readonly string[];
  };
  readonly missingMetadata: {
    readonly documents: number;
    readonly title: MetadataGap;
    readonly date: MetadataGap;
    readonly author: MetadataGap;
  };
  readonly estimate: {
    readonly scale: number;
    readonly documents: number;
    readonly pages: number;
    readonly ocrPages: number;
    readonly chunks: number;
    readonly embeddingTokens: number;
    /** Wall time of this audit's parsing (parse + chunk + PII: ingestion without the store), seconds. */
    readonly measuredAuditSeconds: number;
    /** The measured time projected onto every listed file (= measured without a sample). */
    readonly projectedAuditSeconds: number;
    readonly seconds: { readonly low: number; readonly high: number };
    readonly ocrSeconds: { readonly low: number; readonly high: number };
    readonly embedding: {
      readonly model: string;
      readonly usdPerMillionTokens: number | null;
      readonly costUsd: number | null;
    } | null;
    readonly ocrCostUsd: number;
    readonly costUsd: number | null;
    readonly constants: readonly { readonly name: string; readonly value: number; readonly source: string }[];
    readonly notes: readonly string[];
  };
}

/** Measured constants (docs/benchmarks.md); the report lists each with where it comes from. */
export const estimateConstants = {
  /** Ingestion end to end ÷ parse + chunk alone (4 runs of `bench:ingest`: 1.9, 1.9, 3.4, 2.6). */
  storeFactorLow: 1.9,
  storeFactorHigh: 3.4,
  /** OCR seconds per page: ~1.6 s (bench:ingest, 300-dpi pages) to 12.2 s (bench:parse, dense page, loaded machine). */
  ocrSecondsPerPageLow: 1.6,
  ocrSecondsPerPageHigh: 12.2,
} as const;

const constantSources = [
  {
    name: 'storeFactorLow',
    value: estimateConstants.storeFactorLow,
    source: 'docs/benchmarks.md#ingestion: first ingest ÷ parse+chunk baseline, 504 files (20.3 s / 10.6 s, 34.3 s / 18.1 s)',
  },
  {
    name: 'storeFactorHigh',
    value: estimateConstants.storeFactorHigh,
    source: 'docs/benchmarks.md#ingestion: 2,004 files, run A (115.9 s / 34.0 s)',
  },
  {
    name: 'ocrSecondsPerPageLow',
    value: estimateConstants.ocrSecondsPerPageLow,
    source: 'docs/benchmarks.md#ingestion: "the 4 OCR pages cost ~1.6 s each"',
  },
  {
    name: 'ocrSecondsPerPageHigh',
    value: estimateConstants.ocrSecondsPerPageHigh,
    source: 'docs/benchmarks.md#parsing: render at 200 dpi + OCR, dense page, loaded machine: 12.2 s/page',
  },
] as const;

const dayMs = 86_400_000;
const yearMs = 365.25 * dayMs;
/** Age buckets by modification time, youngest first: upper bounds in days. */
const ageBuckets: readonly { label: string; maxDays: number }[] = [
  { label: '< 30 days', maxDays: 30 },
  { label: '30 days – 1 year', maxDays: 365.25 },
  { label: '1–2 years', maxDays: 2 * 365.25 },
  { label: '2–3 years', maxDays: 3 * 365.25 },
  { label: '3–5 years', maxDays: 5 * 365.25 },
  { label: '5–10 years', maxDays: 10 * 365.25 },
  { label: '≥ 10 years', maxDays: Number.POSITIVE_INFINITY },
];
const principalBuckets = ['0', '1', '2', '3–5', '6–10', '> 10'] as const;
const maxListed = 500;
const maxClusters = 200;
const maxExamples = 20;

/** Media type → short label for people. */
const formatLabels: Readonly<Record<string, string>> = {
  'application/pdf': 'PDF',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'Word (DOCX)',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'Excel (XLSX)',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'PowerPoint (PPTX)',
  'application/zip': 'ZIP',
  'image/png': 'PNG image',
  'image/jpeg': 'JPEG image',
  'image/tiff': 'TIFF image',
  'image/bmp': 'BMP image',
  'image/gif': 'GIF image',
  'image/webp': 'WebP image',
  'text/html': 'HTML',
  'text/markdown': 'Markdown',
  'text/csv': 'CSV',
  'text/tab-separated-values': 'TSV',
  'text/plain': 'Text',
  'message/rfc822': 'E-mail (EML)',
  'application/vnd.ms-outlook': 'Outlook (MSG)',
  'application/msword': 'Word 97–2003 (DOC)',
  'application/vnd.ms-excel': 'Excel 97–2003 (XLS)',
  'application/vnd.ms-powerpoint': 'PowerPoint 97–2003 (PPT)',
  'application/rtf': 'RTF',
  'application/vnd.oasis.opendocument.text': 'OpenDocument text',
  'application/vnd.oasis.opendocument.spreadsheet': 'OpenDocument spreadsheet',
  'application/vnd.oasis.opendocument.presentation': 'OpenDocument presentation',
  'application/x-tar': 'TAR',
  'application/gzip': 'gzip',
  'application/json': 'JSON',
  'application/xml': 'XML',
  'application/yaml': 'YAML',
  'application/octet-stream': 'Unknown binary',
};

function invalidOption(message: string): GroundworkError {
  return new GroundworkError('data_audit.invalid_option', message, {
    category: 'usage',
    fix: 'Use --stale-years N (1–100), --sample N (a positive whole number), --similarity 0.5–1, --max-text-chars 1000–1000000.',
  });
}

interface ResolvedOptions {
  readonly staleYears: number;
  readonly sample: number | undefined;
  readonly seed: number;
  readonly ocr: boolean;
  readonly similarity: number;
  readonly maxTextChars: number;
}

function resolveOptions(options: DataAuditOptions): ResolvedOptions {
  const staleYears = options.staleYears ?? 3;
  if (!Number.isFinite(staleYears) || staleYears < 1 || staleYears > 100)
    throw invalidOption(`--stale-years ${staleYears} is out of range: give a number of years from 1 to 100.`);
  if (options.sample !== undefined && (!Number.isInteger(options.sample) || options.sample < 1))
    throw invalidOption(`--sample ${options.sample} is not a positive whole number of files.`);
  const similarity = options.similarity ?? 0.8;
  if (!Number.isFinite(similarity) || similarity < 0.5 || similarity > 1)
    throw invalidOption(`--similarity ${similarity} is out of range: give an estimated Jaccard similarity from 0.5 to 1.`);
  const maxTextChars = options.maxTextChars ?? 20_000;
  if (!Number.isInteger(maxTextChars) || maxTextChars < 1000 || maxTextChars > 1_000_000)
    throw invalidOption(`--max-text-chars ${maxTextChars} is out of range: give 1,000 to 1,000,000 characters.`);
  return { staleYears, sample: options.sample, seed: options.seed ?? 1, ocr: options.ocr ?? false, similarity, maxTextChars };
}

/** What the audit applies for access, as the next sync of the target would. */
interface AccessSettings {
  readonly aclMap: AclMap | undefined;
  readonly readableBy: readonly string[] | undefined;
}

/**
 * Audits a registered source through its connector (the `Source` ingest opens for a sync), reading its
 * ACL map as the next sync would (the file when edits are followed, the approved copy when `source.acl`
 * changes are governed). Needs `sources:audit`. Reads the store (the source record) and writes nothing.
 * @throws `ingest.source_not_found` / `data_audit.target_not_found`, `data_audit.invalid_option`, `auth.forbidden`.
 */
export async function auditSource(
  db: Queryable,
  caller: Caller,
  deps: DataAuditDeps,
  nameOrId: string,
  options: DataAuditOptions = {},
): Promise<DataAuditReport> {
  authorize(caller, 'sources:audit');
  const resolved = resolveOptions(options);
  const record = await findSource(db, nameOrId);
  if (!record) {
    throw new GroundworkError('data_audit.target_not_found', `There is no source named "${nameOrId}".`, {
      category: 'not_found',
      fix: 'List sources with `groundwork sources list`, or audit a folder by its path.',
    });
  }
  // What a sync passes (the limit, and the secrets for connectors that name environment variables).
  const openOptions = { maxFileBytes: deps.config.ingest.maxFileBytes, secrets: deps.secrets ?? (() => undefined) };
  const source = await (deps.openSource ?? ((r: SourceRecord) => openSource(r, openOptions)))(record);
  const governed = deps.config.governance?.governedKinds.includes('source.acl') ?? false;
  const access: AccessSettings = {
    aclMap: await sourceAclMap(record, governed),
    readableBy: record.settings.readableBy,
  };
  return runAudit(deps, source, access, resolved, options, {
    kind: 'source',
    name: record.name,
    type: record.type,
    ...(typeof record.settings.path === 'string' ? { path: record.settings.path } : {}),
  });
}

/** The ACL map the next sync would apply, read without writing the stored copy. */
async function sourceAclMap(record: SourceRecord, governed: boolean): Promise<AclMap | undefined> {
  const path = record.settings.aclMapPath;
  if (!path || (governed && record.aclMap)) return record.aclMap;
  try {
    return (await readAclMapFile(path)).aclMap;
  } catch (error) {
    if (isGroundworkError(error) && error.code === 'ingest.acl_map_unreadable' && record.aclMap) return record.aclMap;
    throw error;
  }
}

/**
 * Audits a folder (not necessarily registered) with ingest's filesystem `Source`, an optional ACL map file and
 * `readableBy` principals. Needs `sources:audit` (the CLI's local operator; folders are never audited over HTTP).
 * @throws `data_audit.target_not_found`, `data_audit.invalid_option`, the ACL map's and `--readable-by` errors.
 */
export async function auditFolder(
  caller: Caller,
  deps: DataAuditDeps,
  input: AuditFolderInput,
  options: DataAuditOptions = {},
): Promise<DataAuditReport> {
  authorize(caller, 'sources:audit');
  const resolved = resolveOptions(options);
  const path = isAbsolute(input.path) ? input.path : resolve(input.cwd ?? process.cwd(), input.path);
  const info = await stat(path).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new GroundworkError(
      'data_audit.target_not_found',
      `"${input.path}" is neither a registered source nor a folder Groundwork can read.`,
      {
        category: 'not_found',
        fix: 'Give the name of a registered source (`groundwork sources list`) or the path of an existing folder.',
      },
    );
  }
  const aclMapPath = input.aclMapPath
    ? isAbsolute(input.aclMapPath)
      ? input.aclMapPath
      : resolve(input.cwd ?? process.cwd(), input.aclMapPath)
    : undefined;
  const access: AccessSettings = {
    aclMap: aclMapPath ? (await readAclMapFile(aclMapPath)).aclMap : undefined,
    readableBy: input.readableBy && input.readableBy.length > 0 ? readablePrincipals(input.readableBy) : undefined,
  };
  const source = createFilesystemSource({
    path,
    include: input.include ?? [],
    exclude: input.exclude ?? [],
    maxFileBytes: deps.config.ingest.maxFileBytes,
  });
  return runAudit(deps, source, access, resolved, options, { kind: 'folder', path, type: 'filesystem' });
}

/** What `onParsed` saw of one document (before the parse pool's result is chunked). */
interface ParsedInfo {
  readonly encoding: string | undefined;
  readonly encodingGuessed: boolean;
  readonly ocrPendingPages: number;
  readonly words: number;
  readonly text: string;
}

function textOf(document: ParsedDocument, maxChars: number): { text: string; words: number } {
  let count = 0;
  const kept: string[] = [];
  let keptChars = 0;
  for (const section of document.sections) {
    count += words(section.text).length;
    if (keptChars < maxChars) {
      const piece = section.text.slice(0, maxChars - keptChars);
      kept.push(piece);
      keptChars += piece.length + 1;
    }
  }
  return { text: kept.join('\n'), words: count };
}

/** The file-name stem a parser falls back to when a document has no title of its own. */
function fileNameStem(ref: string): string {
  const base = ref.split(/[\\/]|!\//).pop() ?? ref;
  const dot = base.lastIndexOf('.');
  const stem = dot > 0 ? base.slice(0, dot) : base;
  return stem.trim() || base || 'Untitled';
}

const present = (value: unknown): boolean =>
  (typeof value === 'string' && value.trim() !== '') || (Array.isArray(value) && value.length > 0) || value instanceof Date;

/** A small deterministic PRNG (mulberry32) for the sample. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ratio = (part: number, whole: number): number => (whole > 0 ? Math.round((part / whole) * 10_000) / 10_000 : 0);
const round2 = (value: number): number => Math.round(value * 100) / 100;

/** Accumulates the figures of one audit. */
class AuditTally {
  listedFiles = 0;
  listedBytes = 0;
  readonly ages: number[] = [];
  readonly ageFiles = ageBuckets.map(() => 0);
  readonly ageBytes = ageBuckets.map(() => 0);
  staleFiles = 0;
  staleBytes = 0;
  /** Oldest files (kept sorted, at most maxExamples). */
  oldest: { ref: string; modifiedAt: number }[] = [];
  newest = Number.NEGATIVE_INFINITY;
  oldestTime = Number.POSITIVE_INFINITY;

  auditedFiles = 0;
  auditedBytes = 0;
  documents = 0;
  readonly formats = new Map<string, { files: number; bytes: number; mismatch: number }>();
  readonly encodings = new Map<string, { documents: number; guessed: number }>();
  ocrFiles = 0;
  /** Files with no text without OCR (images, PDFs without any text layer). */
  ocrOnlyFiles = 0;
  ocrPages = 0;
  totalPages = 0;
  ocrImages = 0;
  ocrPdfs = 0;
  unparseableCount = 0;
  listingProblems = 0;
  readonly unparseableByCode = new Map<string, number>();
  readonly unparseable: UnparseableFile[] = [];
  words = 0;
  documentsWithText = 0;
  documentsWithPii = 0;
  readonly piiCounts = new Map<string, { count: number; documents: number }>();
  readonly sensitivity = new Map<string, number>();
  accessDocuments = 0;
  undecided = 0;
  operatorOnly = 0;
  readonly decidedBy = new Map<string, number>();
  readonly principalBuckets = principalBuckets.map(() => 0);
  readonly principals = new Map<string, number>();
  unknownIdentities = 0;
  sidecars = 0;
  readonly undecidedExamples: string[] = [];
  metadataDocuments = 0;
  readonly missing = {
    title: { missing: 0, examples: [] as string[] },
    date: { missing: 0, examples: [] as string[] },
    author: { missing: 0, examples: [] as string[] },
  };
  chunks = 0;
  embeddingTokens = 0;
  readonly duplicates: NearDuplicateIndex;

  private readonly now: number;
  private readonly staleYears: number;

  constructor(threshold: number, now: number, staleYears: number) {
    this.duplicates = new NearDuplicateIndex(threshold);
    this.now = now;
    this.staleYears = staleYears;
  }

  listed(item: SourceItem): void {
    this.listedFiles += 1;
    this.listedBytes += item.sizeBytes;
    const modified = item.modifiedAt.getTime();
    const ageDays = Math.max(0, (this.now - modified) / dayMs);
    this.ages.push(Math.round(ageDays));
    const bucket = ageBuckets.findIndex((entry) => ageDays < entry.maxDays);
    this.ageFiles[bucket] = (this.ageFiles[bucket] ?? 0) + 1;
    this.ageBytes[bucket] = (this.ageBytes[bucket] ?? 0) + item.sizeBytes;
    if (this.now - modified >= this.staleYears * yearMs) {
      this.staleFiles += 1;
      this.staleBytes += item.sizeBytes;
    }
    this.newest = Math.max(this.newest, modified);
    this.oldestTime = Math.min(this.oldestTime, modified);
    if (this.oldest.length < maxExamples || modified < (this.oldest.at(-1)?.modifiedAt ?? 0)) {
      this.oldest.push({ ref: item.ref, modifiedAt: modified });
      this.oldest.sort((a, b) => a.modifiedAt - b.modifiedAt || a.ref.localeCompare(b.ref));
      if (this.oldest.length > maxExamples) this.oldest.length = maxExamples;
    }
  }

  failed(ref: string, code: string, message: string): void {
    this.unparseableCount += 1;
    this.unparseableByCode.set(code, (this.unparseableByCode.get(code) ?? 0) + 1);
    if (this.unparseable.length < maxListed) this.unparseable.push({ ref, code, message });
  }

  format(mediaType: string, bytes: number, mismatch: boolean): void {
    const entry = this.formats.get(mediaType) ?? { files: 0, bytes: 0, mismatch: 0 };
    entry.files += 1;
    entry.bytes += bytes;
    if (mismatch) entry.mismatch += 1;
    this.formats.set(mediaType, entry);
  }

  access(ref: string, principals: readonly string[], determined: boolean, decidedBy: string, unknown: number): void {
    this.accessDocuments += 1;
    this.decidedBy.set(decidedBy, (this.decidedBy.get(decidedBy) ?? 0) + 1);
    this.unknownIdentities += unknown;
    if (!determined) {
      this.undecided += 1;
      if (this.undecidedExamples.length < maxExamples) this.undecidedExamples.push(ref);
    }
    if (principals.length === 0) this.operatorOnly += 1;
    const n = principals.length;
    const bucket = n <= 2 ? n : n <= 5 ? 3 : n <= 10 ? 4 : 5;
    this.principalBuckets[bucket] = (this.principalBuckets[bucket] ?? 0) + 1;
    for (const principal of principals) this.principals.set(principal, (this.principals.get(principal) ?? 0) + 1);
  }

  gap(kind: 'title' | 'date' | 'author', ref: string): void {
    const entry = this.missing[kind];
    entry.missing += 1;
    if (entry.examples.length < maxExamples) entry.examples.push(ref);
  }
}

/** Holds at most `size` listed items, each listed item equally likely to be kept (reservoir sampling). */
class Reservoir {
  readonly items: SourceItem[] = [];
  private seen = 0;
  private readonly random: () => number;
  private readonly size: number;
  constructor(size: number, seed: number) {
    this.size = size;
    this.random = prng(seed);
  }
  offer(item: SourceItem): void {
    this.seen += 1;
    if (this.items.length < this.size) this.items.push(item);
    else {
      const index = Math.floor(this.random() * this.seen);
      if (index < this.size) this.items[index] = item;
    }
  }
}

async function runAudit(
  deps: DataAuditDeps,
  source: Source,
  accessSettings: AccessSettings,
  options: ResolvedOptions,
  callbacks: Pick<DataAuditOptions, 'signal' | 'onProgress'>,
  target: DataAuditReport['target'],
): Promise<DataAuditReport> {
  const clock = deps.clock ?? systemClock;
  const now = clock.now().getTime();
  const started = performance.now();
  const { ingest, protect } = deps.config;
  const baseLimits = parseLimitsFromConfig(ingest);
  const limits = { ...baseLimits, ocr: { ...baseLimits.ocr, enabled: options.ocr && baseLimits.ocr.enabled } };
  let pool: ReturnType<typeof createParserPool> | undefined;
  const parse: ParseFn =
    deps.parse ??
    ((input) => {
      pool ??= createParserPool({
        size: ingest.concurrency,
        timeoutMs: ingest.parseTimeoutMs,
        pageTimeoutMs: ingest.pageTimeoutMs,
        documentTimeoutMs: ingest.documentTimeoutMs,
      });
      return pool.parse(input, { timeoutMs: ingest.parseTimeoutMs, transfer: true });
    });
  const chunk: ChunkFn = (document, chunking) => chunkDocument(document, chunking);
  const parsedInfo = new Map<string, ParsedInfo>();
  const context: PrepareContext = {
    parse,
    chunk,
    limits,
    chunking: { ...ingest.chunking, maxChunks: ingest.maxChunksPerDocument },
    aclMap: accessSettings.aclMap,
    readableBy: accessSettings.readableBy,
    piiPatterns: Object.keys(ingest.piiPatterns).length > 0 ? compilePiiPatterns(ingest.piiPatterns) : undefined,
    sensitivityRules: protect.sensitivityRules,
    defaultSensitivity: protect.defaultSensitivity,
    piiSensitivity: protect.piiSensitivity,
    onParsed: ({ ref, document }) => {
      const { text, words: count } = textOf(document, options.maxTextChars);
      parsedInfo.set(ref, {
        // E-mail declares a charset per MIME part; the other text parsers report what they decoded.
        encoding: document.stats.encoding ?? (document.mediaType === 'message/rfc822' ? 'mime (per part)' : undefined),
        encodingGuessed: document.warnings.some((warning) => warning.code === 'encoding.guessed'),
        ocrPendingPages: document.warnings.filter((warning) => warning.code === 'ocr.disabled').length,
        words: count,
        text,
      });
    },
  };
  const tally = new AuditTally(options.similarity, now, options.staleYears);
  const progress = { listed: 0, done: 0, complete: false };
  const report = (current?: string) =>
    callbacks.onProgress?.({
      listed: progress.listed,
      done: progress.done,
      total: progress.complete ? (options.sample ? Math.min(options.sample, progress.listed) : progress.listed) : undefined,
      ...(current ? { current } : {}),
    });

  const concurrency = Math.max(1, ingest.concurrency);
  const inFlight = new Set<Promise<void>>();
  /** When the first file was handed to the parsers, and when the first one was done (worker start-up in between). */
  let contentStartedAt: number | undefined;
  let firstDoneAt: number | undefined;
  const schedule = async (item: SourceItem) => {
    contentStartedAt ??= performance.now();
    while (inFlight.size >= concurrency) await Promise.race(inFlight);
    const task = auditItem(item)
      .catch((error: unknown) => {
        const failure = toGroundworkError(error);
        tally.failed(item.ref, failure.code, describe(failure));
      })
      .finally(() => {
        inFlight.delete(task);
        progress.done += 1;
        firstDoneAt ??= performance.now();
        report(item.ref);
      });
    inFlight.add(task);
  };

  const auditItem = async (item: SourceItem): Promise<void> => {
    // Cancelled: the audit as a whole throws below; this file is not counted.
    if (callbacks.signal?.aborted) return;
    tally.auditedFiles += 1;
    tally.auditedBytes += item.sizeBytes;
    const fetched = await source.fetch(item.ref);
    const bytes = fetched.bytes;
    const mediaType = detectMediaType(item.ref, bytes);
    const byName = detectMediaType(item.ref, new Uint8Array(0));
    tally.format(mediaType, bytes.byteLength, byName !== mediaType && !(isTextType(byName) && isTextType(mediaType)));
    // Exactly what the sync hands to prepareDocument: the fetched sidecar (connectors that report permissions
    // put them there, e.g. S3 object tags), so the audit's access figures are the sync's.
    const sidecar: SidecarMetadata | undefined = fetched.sidecar;
    if (sidecar) tally.sidecars += 1;
    const sidecarPrincipals = Array.isArray(sidecar?.principals)
      ? (sidecar.principals as unknown[]).filter((value): value is string => typeof value === 'string')
      : sidecar?.principals === undefined
        ? undefined
        : [];
    const topAccess = resolveDocumentAccess({
      aclMap: accessSettings.aclMap,
      path: item.ref,
      sidecarPrincipals,
      readableBy: accessSettings.readableBy,
    });
    let prepared: PreparedDocument | undefined;
    try {
      prepared = await prepareDocument(context, { ref: item.ref, bytes, sidecar });
    } catch (error) {
      const failure = toGroundworkError(error);
      const pending = failure.code === 'parse.empty' ? Number(failure.details.pagesNeedingOcr ?? 0) : 0;
      if (pending > 0) {
        // An image, or a PDF without any text layer: ingestion would OCR it; it is not unparseable.
        tally.documents += 1;
        tally.ocrFiles += 1;
        tally.ocrOnlyFiles += 1;
        tally.ocrPages += pending;
        tally.totalPages += Number(failure.details.pages ?? pending);
        if (mediaType.startsWith('image/')) tally.ocrImages += 1;
        else tally.ocrPdfs += 1;
        tally.access(
          item.ref,
          topAccess.principals,
          topAccess.determined,
          topAccess.explanation.decidedBy,
          topAccess.explanation.dropped.length,
        );
        return;
      }
      tally.failed(item.ref, failure.code, describe(failure));
      return;
    } finally {
      // What was parsed of a file that failed (members parsed before the failure) is not needed.
      if (prepared === undefined)
        for (const ref of parsedInfo.keys()) if (ref === item.ref || ref.startsWith(`${item.ref}!/`)) parsedInfo.delete(ref);
    }
    let fileOcr = 0;
    const visit = (document: PreparedDocument, top: boolean) => {
      const info = parsedInfo.get(document.ref);
      parsedInfo.delete(document.ref);
      tally.documents += 1;
      tally.sensitivity.set(document.sensitivity, (tally.sensitivity.get(document.sensitivity) ?? 0) + 1);
      if (top)
        tally.access(
          document.ref,
          document.principals,
          document.principalsDetermined,
          topAccess.explanation.decidedBy,
          topAccess.explanation.dropped.length,
        );
      else tally.access(document.ref, document.principals, document.principalsDetermined, 'inherited', 0);
      const pending = (info?.ocrPendingPages ?? 0) + (options.ocr ? document.ocrPages : 0);
      fileOcr += pending;
      if (pending > 0) {
        tally.ocrPages += pending;
        if (document.mediaType.startsWith('image/')) tally.ocrImages += 1;
        else tally.ocrPdfs += 1;
      }
      tally.totalPages += document.pages;
      if (info?.encoding && isTextType(document.mediaType)) {
        const entry = tally.encodings.get(info.encoding) ?? { documents: 0, guessed: 0 };
        entry.documents += 1;
        if (info.encodingGuessed) entry.guessed += 1;
        tally.encodings.set(info.encoding, entry);
      }
      const wordCount = info?.words ?? 0;
      if (wordCount > 0) {
        tally.words += wordCount;
        tally.documentsWithText += 1;
        const types = Object.entries(document.piiSummary).filter(([, count]) => count > 0);
        if (types.length > 0) tally.documentsWithPii += 1;
        for (const [type, count] of types) {
          const entry = tally.piiCounts.get(type) ?? { count: 0, documents: 0 };
          entry.count += count;
          entry.documents += 1;
          tally.piiCounts.set(type, entry);
        }
        const signature = info ? minhashSignature(info.text) : undefined;
        if (signature) tally.duplicates.add(document.ref, signature);
      }
      tally.metadataDocuments += 1;
      if (document.title === fileNameStem(document.ref)) tally.gap('title', document.ref);
      const meta = document.metadata;
      if (!present(meta.created) && !present(meta.modified) && !present(meta.date)) tally.gap('date', document.ref);
      if (!present(meta.author) && !present(meta.from) && !present(meta.authors)) tally.gap('author', document.ref);
      tally.chunks += document.chunks.length;
      for (const draft of document.chunks) tally.embeddingTokens += draft.tokenCount;
      for (const child of document.children) visit(child, false);
    };
    visit(prepared, true);
    for (const failure of prepared.childFailures) tally.failed(failure.ref, failure.code, failure.message);
    if (fileOcr > 0) tally.ocrFiles += 1;
  };

  const reservoir = options.sample ? new Reservoir(options.sample, options.seed) : undefined;
  const auditStarted = performance.now();
  try {
    for await (const change of source.listChanges(undefined, (problem) => {
      tally.listingProblems += 1;
      tally.failed(problem.ref, problem.code, problem.fix ? `${problem.message} Fix: ${problem.fix}` : problem.message);
    })) {
      if (callbacks.signal?.aborted) throw abortedAudit();
      if (change.kind !== 'upsert') continue;
      tally.listed(change.item);
      progress.listed += 1;
      if (reservoir) reservoir.offer(change.item);
      else await schedule(change.item);
      report();
    }
    progress.complete = true;
    report();
    for (const item of reservoir?.items ?? []) {
      if (callbacks.signal?.aborted) throw abortedAudit();
      await schedule(item);
    }
    while (inFlight.size > 0) await Promise.race(inFlight);
    if (callbacks.signal?.aborted) throw abortedAudit();
  } finally {
    while (inFlight.size > 0) await Promise.race(inFlight).catch(() => {});
    await pool?.close();
  }
  const endedAt = performance.now();
  const auditSeconds = (endedAt - auditStarted) / 1000;
  // A sample projects its per-file time onto the whole listing; the listing itself and the parse workers'
  // start-up (until the first file is done) are paid once, not per file.
  let projectedSeconds = auditSeconds;
  if (options.sample && contentStartedAt !== undefined && firstDoneAt !== undefined && tally.auditedFiles > 1) {
    const perFile = (endedAt - firstDoneAt) / 1000 / (tally.auditedFiles - 1);
    projectedSeconds = (firstDoneAt - auditStarted) / 1000 + perFile * Math.max(0, tally.listedFiles - 1);
  }
  return buildReport(deps, tally, options, accessSettings, target, {
    auditSeconds,
    projectedSeconds,
    durationMs: Math.round(performance.now() - started),
    generatedAt: new Date(now).toISOString(),
  });
}

function describe(error: GroundworkError): string {
  return error.fix ? `${error.message} Fix: ${error.fix}` : error.message;
}

function abortedAudit(): GroundworkError {
  return new GroundworkError('parse.aborted', 'The audit was cancelled.', {
    category: 'unavailable',
    isRetryable: true,
    fix: 'Nothing to fix: start the audit again.',
  });
}

function buildReport(
  deps: DataAuditDeps,
  tally: AuditTally,
  options: ResolvedOptions,
  accessSettings: AccessSettings,
  target: DataAuditReport['target'],
  timing: { auditSeconds: number; projectedSeconds: number; durationMs: number; generatedAt: string },
): DataAuditReport {
  const auditedFiles = tally.auditedFiles;
  const scale = options.sample && auditedFiles > 0 ? tally.listedFiles / auditedFiles : 1;
  const clusters = tally.duplicates.clusters();
  const sortedAges = [...tally.ages].sort((a, b) => a - b);
  const median =
    sortedAges.length === 0
      ? null
      : sortedAges.length % 2 === 1
        ? (sortedAges[(sortedAges.length - 1) / 2] as number)
        : Math.round(((sortedAges[sortedAges.length / 2 - 1] as number) + (sortedAges[sortedAges.length / 2] as number)) / 2);
  const { ingest, models, observe } = deps.config;
  const ocrPages = Math.round(tally.ocrPages * scale);
  const workers = Math.max(1, ingest.concurrency);
  // With OCR off in the configuration a sync does not OCR: those files are quarantined (parse.empty), not slow.
  const syncOcrs = ingest.ocr.enabled;
  const ocrSeconds =
    options.ocr || !syncOcrs
      ? { low: 0, high: 0 }
      : {
          low: round2((ocrPages * estimateConstants.ocrSecondsPerPageLow) / workers),
          high: round2((ocrPages * estimateConstants.ocrSecondsPerPageHigh) / workers),
        };
  const measured = timing.projectedSeconds;
  const prices = buildPriceTable(observe.prices);
  const embeddingTokens = Math.round(tally.embeddingTokens * scale);
  let embedding: DataAuditReport['estimate']['embedding'] = null;
  if (models.embedding) {
    const ref = models.embedding.model;
    const colon = ref.indexOf(':');
    const price = priceFor(prices, ref.slice(0, colon), ref.slice(colon + 1));
    const perMillion = price?.inputPerMillion ?? null;
    embedding = {
      model: ref,
      usdPerMillionTokens: perMillion,
      costUsd: perMillion === null ? null : Math.round((embeddingTokens / 1_000_000) * perMillion * 10_000) / 10_000,
    };
  }
  const ocrCostUsd = syncOcrs ? Math.round(ocrPages * prices.ocrPerPage * 10_000) / 10_000 : 0;
  const costUsd =
    embedding && embedding.costUsd === null ? null : Math.round((ocrCostUsd + (embedding?.costUsd ?? 0)) * 10_000) / 10_000;
  const notes = [
    `Time = this audit's measured parse + chunk + PII time (${round2(timing.auditSeconds)} s${scale === 1 ? '' : `, projected to every file: ${round2(timing.projectedSeconds)} s`}) × the store factor ${estimateConstants.storeFactorLow}–${estimateConstants.storeFactorHigh}${options.ocr ? ' (OCR ran in this audit and is included)' : ` + OCR pages × ${estimateConstants.ocrSecondsPerPageLow}–${estimateConstants.ocrSecondsPerPageHigh} s ÷ ${workers} parse workers`}.`,
    models.embedding
      ? `Embedding time depends on the provider and is not included; tokens are estimated with ingestion's chunker (${models.embedding.model}).`
      : 'No embedding model is configured: ingestion is lexical only (no embedding cost); the tokens are what an embedding model would be sent.',
    `OCR cost = pages × observe.prices ocrPerPage (${prices.ocrPerPage} USD, local compute at cloud prices, ${prices.note}).`,
  ];
  if (!syncOcrs && tally.ocrPages > 0)
    notes.push(
      `OCR is disabled (ingest.ocr.enabled = false): a sync would quarantine the ${tally.ocrOnlyFiles} files that have no text without it (parse.empty) and leave the other pages that need it empty; no OCR time or cost is estimated.`,
    );
  if (!options.ocr && tally.ocrPages > 0)
    notes.push(
      'OCR was not run: the text of pages that need OCR is not part of the PII, duplicate and chunk figures (run with --ocr to include it).',
    );
  const formatsTotal = Math.max(auditedFiles, 1);
  const classified = [...tally.sensitivity.values()].reduce((sum, n) => sum + n, 0);
  const listedDocs = tally.documents;
  return {
    version: 1,
    target,
    generatedAt: timing.generatedAt,
    durationMs: timing.durationMs,
    options: {
      staleYears: options.staleYears,
      sample: options.sample ?? null,
      ocr: options.ocr,
      similarity: options.similarity,
      maxTextChars: options.maxTextChars,
    },
    files: tally.listedFiles,
    bytes: tally.listedBytes,
    audited: { files: auditedFiles, bytes: tally.auditedBytes, sampled: Boolean(options.sample), documents: listedDocs },
    documents: listedDocs,
    formats: [...tally.formats.entries()]
      .map(([mediaType, entry]) => ({
        mediaType,
        label: formatLabels[mediaType] ?? mediaType,
        files: entry.files,
        bytes: entry.bytes,
        share: ratio(entry.files, formatsTotal),
        extensionMismatch: entry.mismatch,
      }))
      .sort((a, b) => b.files - a.files || b.bytes - a.bytes || a.mediaType.localeCompare(b.mediaType)),
    encodings: [...tally.encodings.entries()]
      .map(([encoding, entry]) => ({ encoding, documents: entry.documents, guessed: entry.guessed }))
      .sort((a, b) => b.documents - a.documents || a.encoding.localeCompare(b.encoding)),
    ocrShare: ratio(tally.ocrFiles, auditedFiles),
    ocr: {
      files: tally.ocrFiles,
      pages: tally.ocrPages,
      totalPages: tally.totalPages,
      pageShare: ratio(tally.ocrPages, tally.totalPages),
      images: tally.ocrImages,
      pdfs: tally.ocrPdfs,
      ran: options.ocr,
    },
    unparseable: {
      count: tally.unparseableCount,
      share: ratio(tally.unparseableCount, auditedFiles + tally.listingProblems),
      byCode: Object.fromEntries([...tally.unparseableByCode.entries()].sort(([a], [b]) => a.localeCompare(b))),
      files: [...tally.unparseable].sort((a, b) => a.ref.localeCompare(b.ref)),
      truncated: tally.unparseableCount > tally.unparseable.length,
    },
    nearDuplicates: {
      threshold: options.similarity,
      documentsCompared: tally.duplicates.size,
      clusterCount: clusters.length,
      documentsInClusters: clusters.reduce((sum, cluster) => sum + cluster.members.length, 0),
      clusters: clusters.slice(0, maxClusters),
      truncated: clusters.length > maxClusters,
    },
    pii: {
      words: tally.words,
      documentsWithText: tally.documentsWithText,
      documentsWithPii: tally.documentsWithPii,
      shareWithPii: ratio(tally.documentsWithPii, tally.documentsWithText),
      types: [...tally.piiCounts.entries()]
        .map(([type, entry]) => ({
          type,
          count: entry.count,
          per1000Words: tally.words > 0 ? Math.round((entry.count / tally.words) * 1000 * 1000) / 1000 : 0,
          documents: entry.documents,
        }))
        .sort((a, b) => b.count - a.count || a.type.localeCompare(b.type)),
    },
    sensitivity: [...tally.sensitivity.entries()]
      .map(([label, documents]) => ({ label, documents, share: ratio(documents, classified) }))
      .sort((a, b) => b.documents - a.documents || a.label.localeCompare(b.label)),
    staleness: {
      staleYears: options.staleYears,
      asOf: timing.generatedAt,
      buckets: ageBuckets.map((bucket, index) => ({
        label: bucket.label,
        files: tally.ageFiles[index] ?? 0,
        bytes: tally.ageBytes[index] ?? 0,
        share: ratio(tally.ageFiles[index] ?? 0, tally.listedFiles),
      })),
      stale: { files: tally.staleFiles, bytes: tally.staleBytes, share: ratio(tally.staleFiles, tally.listedFiles) },
      oldest: tally.oldest.map((entry) => ({ ref: entry.ref, modifiedAt: new Date(entry.modifiedAt).toISOString() })),
      newestModifiedAt: Number.isFinite(tally.newest) ? new Date(tally.newest).toISOString() : null,
      oldestModifiedAt: Number.isFinite(tally.oldestTime) ? new Date(tally.oldestTime).toISOString() : null,
      medianAgeDays: median,
    },
    permissionCoverage: {
      documents: tally.accessDocuments,
      undecided: tally.undecided,
      undecidedShare: ratio(tally.undecided, tally.accessDocuments),
      operatorOnly: tally.operatorOnly,
      decidedBy: Object.fromEntries([...tally.decidedBy.entries()].sort(([a], [b]) => a.localeCompare(b))),
      principalsPerDocument: principalBuckets.map((bucket, index) => ({ bucket, documents: tally.principalBuckets[index] ?? 0 })),
      distinctPrincipals: tally.principals.size,
      topPrincipals: [...tally.principals.entries()]
        .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
        .slice(0, maxExamples)
        .map(([principal, documents]) => ({ principal, documents })),
      unknownIdentities: tally.unknownIdentities,
      aclMap: {
        present: accessSettings.aclMap !== undefined,
        rules: accessSettings.aclMap?.rules.length ?? 0,
        hasDefault: accessSettings.aclMap?.default !== undefined,
      },
      readableBy: [...(accessSettings.readableBy ?? [])],
      sidecars: tally.sidecars,
      undecidedExamples: [...tally.undecidedExamples].sort(),
    },
    missingMetadata: {
      documents: tally.metadataDocuments,
      title: gap(tally.missing.title, tally.metadataDocuments),
      date: gap(tally.missing.date, tally.metadataDocuments),
      author: gap(tally.missing.author, tally.metadataDocuments),
    },
    estimate: {
      scale: round2(scale),
      documents: Math.round(listedDocs * scale),
      pages: Math.round(tally.totalPages * scale),
      ocrPages,
      chunks: Math.round(tally.chunks * scale),
      embeddingTokens,
      measuredAuditSeconds: round2(timing.auditSeconds),
      projectedAuditSeconds: round2(timing.projectedSeconds),
      seconds: {
        low: round2(measured * estimateConstants.storeFactorLow + ocrSeconds.low),
        high: round2(measured * estimateConstants.storeFactorHigh + ocrSeconds.high),
      },
      ocrSeconds,
      embedding,
      ocrCostUsd,
      costUsd,
      constants: constantSources,
      notes,
    },
  };
}

function gap(entry: { missing: number; examples: string[] }, documents: number): MetadataGap {
  return { missing: entry.missing, share: ratio(entry.missing, documents), examples: [...entry.examples].sort() };
}
