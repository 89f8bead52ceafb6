/**
 * The Source port: where documents come from (a folder, a share, a DMS export, later SharePoint or S3).
 *
 * A source only lists and fetches. It does not hash, diff, retry, parse or schedule: the sync does. It is
 * deliberately small so a new connector is a few hundred lines and passes `source.contract.ts`.
 */

/** What a connector can do; the sync plans around it. */
export interface SourceCapabilities {
  /**
   * True: `listChanges(cursor)` returns only what changed since `cursor`, deletions included.
   * False: every listing is a full snapshot; anything absent from it was deleted.
   */
  readonly incremental: boolean;
  /** The source reports renames itself (`previousRef`); otherwise the sync detects them by content hash. */
  readonly renames: boolean;
  /** The source provides a trustworthy content hash in listings (saves fetching to confirm a change). */
  readonly contentHash: boolean;
  /** The source provides permissions (principals) per item. */
  readonly permissions: boolean;
}

/** One item (file) as listed. Sizes in bytes; `version` changes whenever the content may have changed. */
export interface SourceItem {
  /** Stable reference inside the source: a relative path with `/` separators (never `..`, never absolute). */
  readonly ref: string;
  /** Cheap change tag (files: `mtimeMs:size`). Equal version = unchanged, without reading the content. */
  readonly version: string;
  readonly sizeBytes: number;
  readonly modifiedAt: Date;
  /** A human-openable location (file:// URL, web URL). */
  readonly uri: string;
  readonly mediaType?: string;
  /** Version of the item's metadata sidecar, when it has one; a change re-applies metadata. */
  readonly sidecarVersion?: string;
  /** Content hash from the source, when `capabilities.contentHash`. */
  readonly contentHash?: string;
  /** Principals from the source itself, when `capabilities.permissions`. */
  readonly principals?: readonly string[];
  /** Set by sources with `capabilities.renames` when this item was renamed from another ref. */
  readonly previousRef?: string;
}

/** One entry of a listing. `checkpoint` is the last entry of a complete listing. */
export type SourceChange =
  | { readonly kind: 'upsert'; readonly item: SourceItem }
  | { readonly kind: 'delete'; readonly ref: string }
  | { readonly kind: 'checkpoint'; readonly cursor: SourceCursor };

/** Connector-defined position (JSON-serialisable), stored on the source after a completed sync. */
export type SourceCursor = Readonly<Record<string, unknown>>;

/**
 * Metadata from a sidecar (`<file>.meta.json` on file systems): any keys; the well-known ones are
 * `title`, `author`, `tags`, `principals` (`[]` = operator-only), `sensitivity`.
 */
export type SidecarMetadata = Readonly<Record<string, unknown>>;

/** The content of one item. */
export interface FetchedItem {
  readonly bytes: Uint8Array;
  readonly sidecar?: SidecarMetadata;
}

/**
 * An entry that a listing could not turn into an item (an unreadable folder, a symbolic link that is not
 * followed, a named pipe). A value, not an exception: the sync quarantines it under `ref` and goes on; it is
 * reported again at every listing for as long as it is there.
 */
export interface SourceProblem {
  readonly ref: string;
  /** Stable code, e.g. `ingest.unreadable`, `ingest.symlink_loop`. */
  readonly code: string;
  /** What is wrong with the entry. */
  readonly message: string;
  /** What to do about it (shown with the quarantine entry). */
  readonly fix?: string;
}

export interface Source {
  /** Connector type, e.g. `filesystem`. */
  readonly type: string;
  readonly capabilities: SourceCapabilities;
  /**
   * Lists changes since `cursor` (undefined = everything). Streams: never holds the whole listing's
   * content in memory. Ends with one `checkpoint`. Every entry of the source is either listed, reported to
   * `onProblem` (with a code and a fix), or left out on purpose by the source's own include/exclude rules.
   */
  listChanges(cursor: SourceCursor | undefined, onProblem: (problem: SourceProblem) => void): AsyncIterable<SourceChange>;
  /**
   * Reads one item. Throws a GroundworkError (`ingest.too_large`, `ingest.not_found`, `ingest.unreadable`,
   * `ingest.bad_sidecar`) for that item only; the sync quarantines it.
   */
  fetch(ref: string): Promise<FetchedItem>;
  /** Reads only an item's sidecar (a metadata-only change). */
  fetchSidecar(ref: string): Promise<SidecarMetadata | undefined>;
  /** Releases connections (a database pool, HTTP keep-alive sockets); the sync calls it when the run ends. */
  close?(): Promise<void>;
}
