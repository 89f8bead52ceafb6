/**
 * An S3-compatible bucket (AWS S3, MinIO, Ceph …) as a source, through `@aws-sdk/client-s3`.
 *
 * Listings are full snapshots (ListObjectsV2, every page): the sync compares versions (the ETag) with the
 * store, so an unchanged object is never downloaded, and an object absent from a COMPLETE listing is deleted.
 * A listing that fails on any page throws (a coded source failure) before its checkpoint: the sync deletes
 * nothing then.
 *
 * Permissions, first found wins: the `principals` of a `<key>.meta.json` sidecar object, the object tag
 * `groundwork-principals` (`principalsTag`; principals separated by commas or spaces — AWS allows no commas
 * in tag values), then the source's ACL map by ref and `readableBy`. Tag and sidecar changes do not change an
 * object's ETag, so they make up the item's `sidecarVersion`: a revoked tag is applied at the next sync.
 */
import { createHash } from 'node:crypto';
import {
  GetObjectCommand,
  GetObjectTaggingCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import picomatch from 'picomatch';
import { GroundworkError, isGroundworkError } from '../../../core/index.ts';
import type { FetchedItem, SidecarMetadata, Source, SourceChange, SourceItem, SourceProblem } from '../source.ts';
import { isNetworkError, type SourceRetryOptions, sourceFailure, withSourceRetry } from '../source-errors.ts';

export const s3SidecarSuffix = '.meta.json';

export interface S3SourceConfig {
  readonly bucket: string;
  /** Key prefix; refs are keys with the prefix removed. */
  readonly prefix?: string;
  readonly endpoint?: string;
  readonly region?: string;
  readonly forcePathStyle?: boolean;
  /** Static credentials (resolved from the `…Env` settings); absent: the SDK's default chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
  readonly include?: readonly string[];
  readonly exclude?: readonly string[];
  /** Tag holding principals; undefined with `readTags: false`. */
  readonly principalsTag?: string;
  /** Read each object's tags at every listing (one request per object): permissions from tags. Default true. */
  readonly readTags?: boolean;
  readonly maxFileBytes: number;
  /** Parallel tag requests per listing page (default 16). */
  readonly tagConcurrency?: number;
  readonly pageSize?: number;
  readonly retry?: SourceRetryOptions;
  readonly signal?: AbortSignal;
  /** Per-request timeout in ms (default 30 s). */
  readonly requestTimeoutMs?: number;
}

type S3Error = Error & { $metadata?: { httpStatusCode?: number }; Code?: string; $retryable?: unknown };

/** Maps an SDK failure onto the shared source-failure codes. */
export function mapS3Error(error: unknown, what: string): GroundworkError {
  if (isGroundworkError(error)) return error;
  const failure = error as S3Error;
  const name = failure?.name ?? 'Error';
  const status = failure?.$metadata?.httpStatusCode;
  const detail = status ? `${name}, HTTP ${status}` : name;
  if (
    [
      'InvalidAccessKeyId',
      'SignatureDoesNotMatch',
      'AccessDenied',
      'ExpiredToken',
      'InvalidToken',
      'CredentialsProviderError',
    ].includes(name)
  )
    return sourceFailure('auth', { what, detail, cause: error });
  if (name === 'NoSuchBucket')
    return sourceFailure('unreachable', {
      what,
      detail,
      cause: error,
      fix: 'Check the bucket name and the endpoint/region in the source settings.',
    });
  if (
    ['SlowDown', 'Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException'].includes(name) ||
    status === 429 ||
    status === 503
  )
    return sourceFailure('throttled', { what, detail, cause: error });
  if (status === 401 || status === 403) return sourceFailure('auth', { what, detail, cause: error });
  if (isNetworkError(error) || (status !== undefined && status >= 500) || name === 'TimeoutError' || name === 'RequestTimeout')
    return sourceFailure('unreachable', { what, detail, cause: error });
  // A 2xx (or no status at all) whose body did not deserialize, or an unknown error shape from a proxy.
  return sourceFailure('bad_response', {
    what,
    detail: failure?.message ? `${name}: ${failure.message.slice(0, 200)}` : detail,
    cause: error,
  });
}

function unsafeRef(ref: string): boolean {
  return ref === '' || ref.startsWith('/') || ref.split('/').some((part) => part === '' || part === '..' || part === '.');
}

function notFound(ref: string, cause?: unknown): GroundworkError {
  return new GroundworkError('ingest.not_found', `${ref} is not in the bucket (any more).`, {
    category: 'not_found',
    fix: 'Nothing to do: the next sync notices it is gone.',
    cause,
  });
}

/** Principals from a tag value: `group:a,user:b` or `group:a user:b` (AWS tag values allow no commas). */
export function principalsFromTag(value: string): string[] {
  return value
    .split(/[\s,+]+/)
    .map((part) => part.trim())
    .filter(Boolean);
}

export function createS3Source(config: S3SourceConfig): Source {
  const prefix = config.prefix ?? '';
  const include = config.include && config.include.length > 0 ? picomatch([...config.include], { dot: true }) : undefined;
  const exclude = config.exclude && config.exclude.length > 0 ? picomatch([...config.exclude], { dot: true }) : undefined;
  const wanted = (ref: string) => (!include || include(ref)) && !exclude?.(ref);
  const readTags = config.readTags !== false && Boolean(config.principalsTag);
  const clientConfig: S3ClientConfig = {
    region: config.region ?? 'us-east-1',
    forcePathStyle: config.forcePathStyle ?? false,
    // Our own retries (withSourceRetry) give coded errors and honour the abort signal; the SDK's would hide them.
    maxAttempts: 1,
    requestHandler: { requestTimeout: config.requestTimeoutMs ?? 30_000, connectionTimeout: 10_000 },
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.credentials ? { credentials: { ...config.credentials } } : {}),
  };
  const client = new S3Client(clientConfig);
  const where = `S3 bucket "${config.bucket}"`;
  const call = <T>(operation: string, run: () => Promise<T>): Promise<T> =>
    withSourceRetry(
      async () => {
        try {
          return await run();
        } catch (error) {
          throw mapS3Error(error, `${where} (${operation})`);
        }
      },
      { ...(config.signal ? { signal: config.signal } : {}), ...config.retry },
    );

  async function tagsHash(key: string): Promise<{ principals?: string[]; hash: string }> {
    const out = await call('GetObjectTagging', () =>
      client.send(new GetObjectTaggingCommand({ Bucket: config.bucket, Key: key }), { abortSignal: config.signal }),
    );
    const tag = out.TagSet?.find((entry) => entry.Key === config.principalsTag);
    if (!tag || tag.Value === undefined) return { hash: 'none' };
    const principals = principalsFromTag(tag.Value);
    return { principals, hash: createHash('sha256').update(principals.join('\n')).digest('hex').slice(0, 16) };
  }

  async function getObject(key: string, ref: string): Promise<Uint8Array | undefined> {
    const missing = Symbol('missing');
    const out = await call('GetObject', async () => {
      try {
        return await client.send(new GetObjectCommand({ Bucket: config.bucket, Key: key }), { abortSignal: config.signal });
      } catch (error) {
        // Not a failure of the source: the object is gone (the next listing sees it). Never retried.
        const failure = error as S3Error;
        if (failure?.name === 'NoSuchKey' || failure?.$metadata?.httpStatusCode === 404) return missing;
        throw error;
      }
    });
    if (out === missing) return undefined;
    if (out.ContentLength !== undefined && out.ContentLength > config.maxFileBytes) {
      (out.Body as { destroy?: () => void } | undefined)?.destroy?.();
      throw tooLarge(ref, out.ContentLength, config.maxFileBytes);
    }
    const bytes = out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
    if (bytes.byteLength > config.maxFileBytes) throw tooLarge(ref, bytes.byteLength, config.maxFileBytes);
    return bytes;
  }

  /** Keys that had a sidecar object in the last complete listing (undefined before one): saves a GET per item. */
  let knownSidecars: Set<string> | undefined;
  /** Principals from the tags read by the current listing (the same observation as the item's sidecarVersion). */
  const listedTags = new Map<string, string[] | undefined>();

  async function readSidecar(ref: string): Promise<SidecarMetadata | undefined> {
    if (knownSidecars && !knownSidecars.has(`${prefix}${ref}`)) return undefined;
    const bytes = await getObject(`${prefix}${ref}${s3SidecarSuffix}`, `${ref}${s3SidecarSuffix}`);
    if (!bytes) return undefined;
    try {
      const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
      if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
      return value as SidecarMetadata;
    } catch (error) {
      throw new GroundworkError(
        'ingest.bad_sidecar',
        `${ref}${s3SidecarSuffix} is not a JSON object: ${(error as Error).message}.`,
        {
          category: 'usage',
          fix: 'Correct the sidecar object (a JSON object with keys such as title, author, tags, principals, sensitivity) or remove it.',
        },
      );
    }
  }

  async function metadataOf(ref: string): Promise<SidecarMetadata | undefined> {
    const sidecar = await readSidecar(ref);
    if (sidecar && Array.isArray(sidecar.principals)) return sidecar;
    if (!readTags) return sidecar;
    const key = `${prefix}${ref}`;
    const { principals } = listedTags.has(key) ? { principals: listedTags.get(key) } : await tagsHash(key);
    if (!principals) return sidecar;
    return { ...(sidecar ?? {}), principals };
  }

  async function* listChanges(_cursor: unknown, onProblem: (problem: SourceProblem) => void): AsyncGenerator<SourceChange> {
    const listedAt = new Date().toISOString();
    let token: string | undefined;
    /** Items waiting for their sidecar key (which sorts after them) to pass. */
    let pending: Array<{ key: string; ref: string; etag: string; size: number; modifiedAt: Date }> = [];
    const sidecarEtags = new Map<string, string>();
    const sidecarKeys = new Set<string>();
    // Items are emitted only once their sidecar's place in key order has passed, so for every emitted item this
    // set already says whether it has a sidecar object.
    knownSidecars = sidecarKeys;
    listedTags.clear();
    const emit = async function* (batch: typeof pending) {
      const tagHashes = readTags ? await mapLimited(batch, config.tagConcurrency ?? 16, (entry) => tagsHash(entry.key)) : [];
      for (const [index, entry] of batch.entries()) {
        const sidecarEtag = sidecarEtags.get(entry.key);
        sidecarEtags.delete(entry.key);
        const tags = tagHashes[index]?.hash;
        if (readTags) listedTags.set(entry.key, tagHashes[index]?.principals);
        const parts = [
          sidecarEtag ? `meta:${sidecarEtag}` : undefined,
          tags && tags !== 'none' ? `tags:${tags}` : undefined,
        ].filter((part): part is string => part !== undefined);
        const item: SourceItem = {
          ref: entry.ref,
          version: entry.etag,
          sizeBytes: entry.size,
          modifiedAt: entry.modifiedAt,
          uri: `s3://${config.bucket}/${entry.key}`,
          ...(parts.length > 0 ? { sidecarVersion: parts.join('|') } : {}),
        };
        yield { kind: 'upsert', item } satisfies SourceChange;
      }
    };
    do {
      const page: ListObjectsV2CommandOutput = await call('ListObjectsV2', () =>
        client.send(
          new ListObjectsV2Command({
            Bucket: config.bucket,
            ...(prefix ? { Prefix: prefix } : {}),
            ...(token ? { ContinuationToken: token } : {}),
            ...(config.pageSize ? { MaxKeys: config.pageSize } : {}),
          }),
          { abortSignal: config.signal },
        ),
      );
      if (page.IsTruncated && !page.NextContinuationToken) {
        throw sourceFailure('bad_response', {
          what: `${where} (ListObjectsV2)`,
          detail: 'a truncated page without NextContinuationToken',
        });
      }
      for (const object of page.Contents ?? []) {
        const key = object.Key;
        if (!key || !key.startsWith(prefix) || key.endsWith('/')) continue; // folder markers are not documents
        if (object.ETag === undefined || object.LastModified === undefined) {
          throw sourceFailure('bad_response', {
            what: `${where} (ListObjectsV2)`,
            detail: `object ${key} without ETag or LastModified`,
          });
        }
        // Items whose sidecar would sort before this key cannot get one any more: emit them.
        const ready = pending.filter((entry) => `${entry.key}${s3SidecarSuffix}` < key);
        if (ready.length > 0) {
          pending = pending.filter((entry) => `${entry.key}${s3SidecarSuffix}` >= key);
          yield* emit(ready);
        }
        const ref = key.slice(prefix.length);
        if (key.endsWith(s3SidecarSuffix)) {
          sidecarEtags.set(key.slice(0, -s3SidecarSuffix.length), object.ETag.replaceAll('"', ''));
          sidecarKeys.add(key.slice(0, -s3SidecarSuffix.length));
          continue;
        }
        if (unsafeRef(ref)) {
          const problem = new GroundworkError(
            'ingest.unsafe_ref',
            `The object key ${key} has an empty, "." or ".." path segment and cannot be indexed safely.`,
            { category: 'usage', fix: 'Rename the object (no "//", "/./" or "/../" in keys, no leading "/"), or exclude it.' },
          );
          onProblem({
            ref: ref || key,
            code: problem.code,
            message: problem.message,
            ...(problem.fix ? { fix: problem.fix } : {}),
          });
          continue;
        }
        if (!wanted(ref)) continue;
        pending.push({
          key,
          ref,
          etag: object.ETag.replaceAll('"', ''),
          size: object.Size ?? 0,
          modifiedAt: object.LastModified,
        });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    yield* emit(pending);
    yield { kind: 'checkpoint', cursor: { listedAt } };
  }

  return {
    type: 's3',
    capabilities: { incremental: false, renames: false, contentHash: false, permissions: true },
    listChanges,
    async fetch(ref: string): Promise<FetchedItem> {
      if (unsafeRef(ref)) throw notFound(ref);
      const bytes = await getObject(`${prefix}${ref}`, ref);
      if (!bytes) throw notFound(ref);
      const sidecar = await metadataOf(ref);
      return sidecar ? { bytes, sidecar } : { bytes };
    },
    fetchSidecar: (ref: string) => metadataOf(ref),
    async close() {
      client.destroy();
    },
  };
}

function tooLarge(ref: string, size: number, max: number): GroundworkError {
  return new GroundworkError('ingest.too_large', `${ref} is ${size} bytes, more than ingest.maxFileBytes (${max}).`, {
    category: 'limit',
    fix: 'Raise ingest.maxFileBytes, or exclude the object from the source (--setting exclude=…).',
  });
}

async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      out[index] = await work(items[index] as T);
    }
  });
  await Promise.all(runners);
  return out;
}
