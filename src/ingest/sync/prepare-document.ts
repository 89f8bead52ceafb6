import { createHash } from 'node:crypto';
import type { SensitivityLabel, SensitivityRule } from '../../core/index.ts';
import { GroundworkError, isGroundworkError, toGroundworkError } from '../../core/index.ts';
import {
  type AclMap,
  type CompiledPiiPatterns,
  countPii,
  deriveSensitivity,
  detectInjection,
  detectPii,
  type IdentityMappingLookup,
  type InjectionSpan,
  type PiiSpan,
  resolveDocumentAccess,
} from '../../protect/index.ts';
import type { ChunkDraft } from '../chunking/index.ts';
import type { ParsedDocument, ParsedPage, ParsedSection, ParseInput, ParseLimits, ParseWarning } from '../parsers/index.ts';
import type { SidecarMetadata } from '../sources/source.ts';

/**
 * Parses one file (in isolation, with the per-file timeout). Failures throw `parse.*` GroundworkErrors (and
 * `ingest.too_large`). May take `input.bytes` away (a worker pool transfers them instead of copying): callers
 * read what they need of the bytes before.
 */
export type ParseFn = (input: ParseInput) => Promise<ParsedDocument>;
/** Splits sections into chunks. Pure. Throws `ingest.too_large` when more than `maxChunks` would be needed. */
export type ChunkFn = (
  document: { readonly title: string; readonly sections: readonly ParsedSection[] },
  options: { readonly targetTokens: number; readonly overlapTokens: number; readonly maxChunks?: number },
) => readonly ChunkDraft[];

/** Everything needed to turn bytes into index rows; fixed for a run. */
export interface PrepareContext {
  readonly parse: ParseFn;
  readonly chunk: ChunkFn;
  readonly limits: ParseLimits;
  /** Chunk sizes, and the most chunks one document may have (`ingest.maxChunksPerDocument`). */
  readonly chunking: { readonly targetTokens: number; readonly overlapTokens: number; readonly maxChunks: number };
  readonly aclMap: AclMap | undefined;
  /** The source's principals for documents nothing else decides (`--readable-by`). */
  readonly readableBy?: readonly string[] | undefined;
  /** The identity mappings in force for this run (govern's `loadIdentityMappings`). */
  readonly identityMappings?: IdentityMappingLookup | undefined;
  readonly piiPatterns: CompiledPiiPatterns | undefined;
  readonly sensitivityRules: readonly SensitivityRule[];
  readonly defaultSensitivity: SensitivityLabel;
  readonly piiSensitivity: Readonly<Record<string, SensitivityLabel>>;
  /** Called after each successful parse (events, counters). */
  readonly onParsed?: (info: { ref: string; document: ParsedDocument; bytes: number; durationMs: number }) => void;
}

export interface PreparedChunk extends ChunkDraft {
  readonly pii: readonly PiiSpan[];
  /** Instruction-like sentences (prompt injection suspected); empty for ordinary text. */
  readonly injection: readonly InjectionSpan[];
}

/** A parsed, chunked, classified document ready to be written, with its children. */
export interface PreparedDocument {
  readonly ref: string;
  readonly contentHash: string;
  readonly sizeBytes: number;
  readonly title: string;
  readonly mediaType: string;
  readonly metadata: Record<string, unknown>;
  readonly warnings: readonly ParseWarning[];
  readonly principals: readonly string[];
  readonly principalsDetermined: boolean;
  readonly sensitivity: SensitivityLabel;
  readonly piiSummary: Record<string, number>;
  readonly chunks: readonly PreparedChunk[];
  readonly children: readonly PreparedDocument[];
  /** Children that could not be parsed: quarantined by ref, the parent is still indexed. */
  readonly childFailures: readonly { readonly ref: string; readonly code: string; readonly message: string }[];
  readonly pages: number;
  readonly ocrPages: number;
  /** Per OCRed page: confidence and layout (stored as `documents.ocr_pages`). */
  readonly ocrPageInfo: readonly ParsedPage[];
}

export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Separator between a container's ref and a member's path: `archive.zip!/folder/member.pdf`. */
export const childSeparator = '!/';

/** Sidecar keys that are not plain metadata. */
const sidecarControlKeys = new Set(['principals', 'title']);

function sidecarPrincipals(sidecar: SidecarMetadata | undefined): readonly string[] | undefined {
  const value = sidecar?.principals;
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/**
 * Parses, chunks and classifies one file and (recursively) its children. Throws the parse error of the
 * file itself (the caller quarantines it); a child's failure is recorded in `childFailures` instead.
 */
export async function prepareDocument(
  context: PrepareContext,
  input: {
    readonly ref: string;
    readonly bytes: Uint8Array;
    readonly sidecar?: SidecarMetadata | undefined;
    readonly depth?: number;
    readonly inheritedPrincipals?: readonly string[];
    /** Path used for ACL rules and sensitivity rules (children: the parent path + `/member`). */
    readonly aclPath?: string;
    readonly mediaType?: string;
  },
): Promise<PreparedDocument> {
  const depth = input.depth ?? 0;
  // Before parsing: the parse function may move the bytes to its worker thread.
  const contentHash = sha256(input.bytes);
  const sizeBytes = input.bytes.byteLength;
  const started = performance.now();
  const parsed = await context.parse({
    bytes: input.bytes,
    fileName: input.ref,
    limits: context.limits,
    depth,
    ...(input.mediaType ? { mediaType: input.mediaType } : {}),
  });
  context.onParsed?.({
    ref: input.ref,
    document: parsed,
    bytes: sizeBytes,
    durationMs: performance.now() - started,
  });

  const aclPath = input.aclPath ?? input.ref;
  const access = resolveDocumentAccess({
    aclMap: context.aclMap,
    path: aclPath,
    sidecarPrincipals: sidecarPrincipals(input.sidecar),
    inheritedPrincipals: input.inheritedPrincipals,
    readableBy: context.readableBy,
    identityMappings: context.identityMappings,
  });
  const metadata: Record<string, unknown> = { ...parsed.metadata };
  for (const [key, value] of Object.entries(input.sidecar ?? {})) {
    if (!sidecarControlKeys.has(key)) metadata[key] = value;
  }
  const sidecarTitle =
    typeof input.sidecar?.title === 'string' && input.sidecar.title.trim() ? input.sidecar.title.trim() : undefined;

  const title = sidecarTitle ?? parsed.title;
  // Over the chunk limit the document is refused whole (the caller quarantines it), before any PII scan.
  let drafts: readonly ChunkDraft[];
  try {
    drafts = context.chunk({ title, sections: parsed.sections }, context.chunking);
  } catch (error) {
    if (!isGroundworkError(error) || error.code !== 'ingest.too_large') throw error;
    throw new GroundworkError(error.code, `${input.ref}: ${error.message}`, {
      category: error.category,
      fix: error.fix,
      details: error.details,
      cause: error,
    });
  }
  const chunks: PreparedChunk[] = drafts.map((draft) => ({
    ...draft,
    pii: detectPii(draft.text, { customPatterns: context.piiPatterns }),
    injection: detectInjection(draft.text),
  }));
  // Each occurrence once: a chunk's overlap repeats the end of the previous chunk (its spans are still stored
  // on the chunk, for redaction; they are not counted again in the document's summary).
  const piiSummary = countPii(
    chunks.flatMap((chunk) =>
      chunk.pii.filter((span) => span.start < chunk.contextLength || span.start >= chunk.contextLength + chunk.overlapLength),
    ),
  );
  const sensitivity = deriveSensitivity({
    piiCounts: piiSummary,
    path: aclPath,
    metadata,
    rules: context.sensitivityRules,
    defaultLabel: context.defaultSensitivity,
    piiSensitivity: context.piiSensitivity,
  });

  const children: PreparedDocument[] = [];
  const childFailures: { ref: string; code: string; message: string }[] = [];
  for (const child of parsed.children) {
    const ref = `${input.ref}${childSeparator}${child.path}`;
    try {
      const prepared = await prepareDocument(context, {
        ref,
        bytes: child.bytes,
        depth: depth + 1,
        inheritedPrincipals: access.principals,
        aclPath: `${aclPath}/${child.path}`,
        ...(child.mediaType ? { mediaType: child.mediaType } : {}),
      });
      children.push(prepared);
      childFailures.push(...prepared.childFailures);
    } catch (error) {
      const failure = isGroundworkError(error) ? error : toGroundworkError(error);
      childFailures.push({
        ref,
        code: failure.code,
        message: failure.fix ? `${failure.message} ${failure.fix}` : failure.message,
      });
    }
  }

  return {
    ref: input.ref,
    contentHash,
    sizeBytes,
    title,
    mediaType: parsed.mediaType,
    metadata,
    warnings: parsed.warnings,
    principals: access.principals,
    principalsDetermined: access.determined,
    sensitivity: sensitivity.label,
    piiSummary,
    chunks,
    children,
    childFailures,
    pages: parsed.stats.pages,
    ocrPages: parsed.stats.ocrPages,
    ocrPageInfo: parsed.pages ?? [],
  };
}
