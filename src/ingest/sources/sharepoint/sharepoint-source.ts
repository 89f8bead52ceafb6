/**
 * SharePoint Online / OneDrive for Business through Microsoft Graph: one site, its document libraries (drives),
 * `driveItem` delta queries per drive, item permissions mapped to unified principals.
 *
 * The delta feed names items by id, not by path (a folder rename returns only the folder), so the cursor keeps,
 * per drive, the delta link and a compact map of the items seen (id → parent, name, version, permissions key);
 * paths are rebuilt from it. With it the source reports, on its own, the old paths of moved or renamed files and
 * of files missing after a resync as deletions. A `410 Gone` (expired delta token) restarts the drive's delta from
 * scratch; nothing is reported deleted until that full enumeration is complete (and the sync itself deletes only
 * after the whole listing ended with its checkpoint).
 */
import { GroundworkError, type Logger } from '../../../core/index.ts';
import type { FetchedItem, SidecarMetadata, Source, SourceChange, SourceCursor, SourceItem, SourceProblem } from '../source.ts';
import { badResponse, type GraphClient, parseJson, shortHash } from './graph-client.ts';
import { mapPermissions, type PermissionMapping } from './permissions.ts';

/** Delta request preferences: report permission changes, removed items as deleted, and walk permission gaps. */
export const deltaPrefer = 'deltashowremovedasdeleted, deltatraversepermissiongaps, deltashowsharingchanges';

export interface SharepointSourceOptions {
  readonly client: GraphClient;
  readonly siteUrl?: string | undefined;
  readonly siteId?: string | undefined;
  /** Drive (document library) names or ids; undefined: every document library of the site. */
  readonly drives?: readonly string[] | undefined;
  readonly organizationPrincipal?: string | undefined;
  readonly anonymousLinkPrincipal?: string | undefined;
  readonly maxFileBytes: number;
  readonly logger: Logger;
  /** Permission requests in flight at once (default 8). */
  readonly concurrency?: number;
}

/** [parentId, name, folder 1/0, version, size, modified ms, permissions key] */
type ItemEntry = [string | null, string, 0 | 1, string, number, number, string];

interface DriveState {
  name: string;
  webUrl: string;
  rootId: string | null;
  deltaLink: string;
  items: Record<string, ItemEntry>;
}

interface SharepointCursor {
  v: 1;
  siteId: string;
  drives: Record<string, DriveState>;
}

interface Drive {
  readonly id: string;
  readonly name: string;
  readonly webUrl: string;
}

interface Site {
  readonly id: string;
  readonly name: string;
  readonly webUrl: string;
}

interface KnownItem {
  readonly driveId: string;
  readonly itemId: string;
  readonly size: number;
  readonly sidecar?: SidecarMetadata;
}

type RawItem = {
  id?: unknown;
  name?: unknown;
  root?: unknown;
  folder?: unknown;
  file?: { mimeType?: unknown; hashes?: Record<string, unknown> };
  deleted?: unknown;
  size?: unknown;
  eTag?: unknown;
  cTag?: unknown;
  lastModifiedDateTime?: unknown;
  parentReference?: { id?: unknown };
  package?: unknown;
};

const notFound = (ref: string, why: string) =>
  new GroundworkError('ingest.not_found', `${ref} ${why}`, {
    category: 'not_found',
    fix: 'Nothing to do: it was removed or renamed while the sync ran; the next sync picks up the change.',
  });

function validRef(ref: string): boolean {
  return ref.length > 0 && !ref.startsWith('/') && !ref.split('/').some((part) => part === '..' || part === '.' || part === '');
}

function versionOf(raw: RawItem, size: number, modified: number): string {
  const hashes = raw.file?.hashes ?? {};
  for (const key of ['quickXorHash', 'sha256Hash', 'sha1Hash']) {
    const value = hashes[key];
    if (typeof value === 'string' && value) return `${key}:${value}`;
  }
  if (typeof raw.cTag === 'string' && raw.cTag) return `ctag:${raw.cTag}`;
  if (typeof raw.eTag === 'string' && raw.eTag) return `etag:${raw.eTag}`;
  return `${modified}:${size}`;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  });
  await Promise.all(workers);
  return results;
}

export class SharepointSource implements Source {
  readonly type = 'sharepoint';
  readonly capabilities = { incremental: true, renames: false, contentHash: false, permissions: true } as const;
  private site: Site | undefined;
  private drivesResolved: Drive[] | undefined;
  /** ref → item, filled by the listing so `fetch` needs no path lookup. */
  private readonly known = new Map<string, KnownItem>();
  private readonly concurrency: number;

  private readonly options: SharepointSourceOptions;

  constructor(options: SharepointSourceOptions) {
    this.options = options;
    this.concurrency = options.concurrency ?? 8;
  }

  private get prefixRefs(): boolean {
    return !(this.options.drives && this.options.drives.length === 1);
  }

  private async resolveSite(): Promise<Site> {
    if (this.site) return this.site;
    const { client } = this.options;
    let path: string;
    if (this.options.siteId) path = `/sites/${encodeURIComponent(this.options.siteId)}`;
    else if (this.options.siteUrl) {
      const url = new URL(this.options.siteUrl);
      const serverPath = url.pathname.replace(/\/+$/, '');
      path = serverPath ? `/sites/${url.hostname}:${serverPath}` : `/sites/${url.hostname}`;
    } else throw new Error('siteUrl or siteId is required');
    const json = await client.getJson(path);
    if (typeof json.id !== 'string') throw badResponse(path, 'the site has no id');
    const name =
      (typeof json.name === 'string' && json.name) || (typeof json.displayName === 'string' && json.displayName) || json.id;
    this.site = { id: json.id, name: name.toLowerCase(), webUrl: typeof json.webUrl === 'string' ? json.webUrl : '' };
    return this.site;
  }

  private async resolveDrives(): Promise<Drive[]> {
    if (this.drivesResolved) return this.drivesResolved;
    const site = await this.resolveSite();
    const all: Array<Drive & { driveType: string }> = [];
    let url: string | undefined = `/sites/${encodeURIComponent(site.id)}/drives`;
    while (url) {
      const json = await this.options.client.getJson(url);
      if (!Array.isArray(json.value)) throw badResponse(url, 'no "value" array');
      for (const raw of json.value as Array<Record<string, unknown>>) {
        if (typeof raw.id !== 'string' || typeof raw.name !== 'string') throw badResponse(url, 'a drive without id or name');
        all.push({
          id: raw.id,
          name: raw.name,
          webUrl: typeof raw.webUrl === 'string' ? raw.webUrl : `${site.webUrl}/${raw.name}`,
          driveType: typeof raw.driveType === 'string' ? raw.driveType : 'documentLibrary',
        });
      }
      url = typeof json['@odata.nextLink'] === 'string' ? json['@odata.nextLink'] : undefined;
    }
    let chosen: Drive[];
    if (this.options.drives && this.options.drives.length > 0) {
      chosen = [];
      for (const wanted of this.options.drives) {
        const drive = all.find((d) => d.id === wanted) ?? all.find((d) => d.name.toLowerCase() === wanted.toLowerCase());
        if (!drive) {
          throw new GroundworkError('ingest.source_not_found_remote', `Site ${site.name} has no document library "${wanted}".`, {
            category: 'usage',
            fix: `Use one of: ${all.map((d) => d.name).join(', ') || '(none)'} — or leave drives out to sync every document library.`,
          });
        }
        chosen.push(drive);
      }
    } else chosen = all.filter((d) => d.driveType === 'documentLibrary' || d.driveType === 'business');
    this.drivesResolved = chosen.map(({ id, name, webUrl }) => ({ id, name, webUrl }));
    return this.drivesResolved;
  }

  private mapping(site: Site): PermissionMapping {
    return {
      siteName: site.name,
      organizationPrincipal: this.options.organizationPrincipal,
      anonymousLinkPrincipal: this.options.anonymousLinkPrincipal,
    };
  }

  /** The item's principals and sharing flags as a sidecar; undefined when the item is gone (404). */
  private async permissionsSidecar(driveId: string, itemId: string): Promise<SidecarMetadata | undefined> {
    const site = await this.resolveSite();
    const all: unknown[] = [];
    let url: string | undefined = `/drives/${encodeURIComponent(driveId)}/items/${encodeURIComponent(itemId)}/permissions`;
    while (url) {
      const response = await this.options.client.get(url);
      if (response.status === 404) return undefined;
      if (response.status !== 200) throw badResponse(url, `HTTP ${response.status}`);
      const json = parseJson(response.body, url) as { value?: unknown; '@odata.nextLink'?: unknown } | null;
      if (!json || !Array.isArray(json.value)) throw badResponse(url, 'no "value" array');
      all.push(...json.value);
      url = typeof json['@odata.nextLink'] === 'string' ? json['@odata.nextLink'] : undefined;
    }
    const mapped = mapPermissions(all, this.mapping(site));
    if (mapped.unmapped.length > 0)
      this.options.logger.warn('SharePoint identities without a unified principal were ignored', {
        item: itemId,
        count: mapped.unmapped.length,
      });
    return { principals: mapped.principals, ...(mapped.flags.length > 0 ? { sharingFlags: mapped.flags } : {}) };
  }

  /** One drive's delta, page by page until the delta link; a 410 restarts it from scratch (resync). */
  private async readDelta(
    drive: Drive,
    previous: DriveState | undefined,
  ): Promise<{ changed: Map<string, RawItem>; deltaLink: string; resync: boolean }> {
    const { client, logger } = this.options;
    const fresh = `/drives/${encodeURIComponent(drive.id)}/root/delta`;
    let url = previous?.deltaLink ?? fresh;
    let resync = previous === undefined;
    let restarted = false;
    const changed = new Map<string, RawItem>();
    for (;;) {
      const response = await client.get(url, { prefer: deltaPrefer });
      if (response.status === 410) {
        if (restarted) throw badResponse(url, 'a fresh delta enumeration answered 410 Gone');
        restarted = true;
        resync = true;
        changed.clear();
        logger.warn('SharePoint delta token expired (410 Gone): full resync of the drive, nothing deleted until it completes', {
          drive: drive.name,
        });
        url = response.headers.get('location') ?? fresh;
        continue;
      }
      if (response.status === 404) {
        throw new GroundworkError('ingest.source_not_found_remote', `The document library ${drive.name} no longer exists.`, {
          category: 'usage',
          fix: 'Remove it from the drives setting (or leave drives out to sync every document library). Nothing was deleted.',
        });
      }
      if (response.status !== 200) throw badResponse(url, `HTTP ${response.status}`);
      const json = parseJson(response.body, url) as Record<string, unknown> | null;
      if (!json || !Array.isArray(json.value)) throw badResponse(url, 'no "value" array');
      for (const raw of json.value as RawItem[]) {
        if (!raw || typeof raw.id !== 'string') throw badResponse(url, 'an item without an id');
        changed.delete(raw.id); // the last occurrence wins, in feed order
        changed.set(raw.id, raw);
      }
      if (typeof json['@odata.nextLink'] === 'string') {
        url = json['@odata.nextLink'];
        continue;
      }
      if (typeof json['@odata.deltaLink'] === 'string') return { changed, deltaLink: json['@odata.deltaLink'], resync };
      throw badResponse(url, 'neither @odata.nextLink nor @odata.deltaLink');
    }
  }

  private refFor(drive: Drive, path: string): string {
    return this.prefixRefs ? `${drive.name}/${path}` : path;
  }

  private async *listDrive(
    drive: Drive,
    previous: DriveState | undefined,
    out: { state: DriveState },
  ): AsyncGenerator<SourceChange> {
    const { changed, deltaLink, resync } = await this.readDelta(drive, previous);
    const old = previous?.items ?? {};
    const next: Record<string, ItemEntry> = resync ? {} : { ...old };
    let rootId = previous?.rootId ?? null;
    const touched = new Set<string>();
    for (const raw of changed.values()) {
      const id = raw.id as string;
      if (raw.root) {
        rootId = id;
        continue;
      }
      if (raw.deleted) {
        delete next[id];
        continue;
      }
      const modified = typeof raw.lastModifiedDateTime === 'string' ? Date.parse(raw.lastModifiedDateTime) : 0;
      const size = typeof raw.size === 'number' ? raw.size : 0;
      const isFolder = raw.folder || raw.package ? 1 : 0;
      const name = typeof raw.name === 'string' ? raw.name : (old[id]?.[1] ?? id);
      const parent = typeof raw.parentReference?.id === 'string' ? raw.parentReference.id : (old[id]?.[0] ?? null);
      next[id] = [
        parent,
        name,
        isFolder,
        isFolder ? '' : versionOf(raw, size, Number.isFinite(modified) ? modified : 0),
        size,
        Number.isFinite(modified) ? modified : 0,
        old[id]?.[6] ?? '',
      ];
      if (!isFolder) touched.add(id);
    }
    const paths = (items: Record<string, ItemEntry>, root: string | null) => {
      const memo = new Map<string, string | undefined>();
      const pathOf = (id: string, depth = 0): string | undefined => {
        if (memo.has(id)) return memo.get(id);
        const entry = items[id];
        let result: string | undefined;
        if (entry && depth < 512 && !entry[1].includes('/')) {
          const parent = entry[0];
          if (parent === null || parent === root) result = entry[1];
          else {
            const up = pathOf(parent, depth + 1);
            result = up === undefined ? undefined : `${up}/${entry[1]}`;
          }
        }
        memo.set(id, result);
        return result;
      };
      return pathOf;
    };
    if (rootId === null) {
      // The feed did not include the root (deltaExcludeParent-like answers): ask for it, or every top-level item
      // would look like an orphan.
      const root = await this.options.client.getJson(`/drives/${encodeURIComponent(drive.id)}/root`);
      if (typeof root.id !== 'string') throw badResponse(`/drives/${drive.id}/root`, 'the root has no id');
      rootId = root.id;
    }
    const oldPath = paths(old, previous?.rootId ?? null);
    const newPath = paths(next, rootId);
    // Files to (re-)list: changed by the feed, moved with a folder, or never given permissions.
    const toList: Array<{ id: string; ref: string }> = [];
    for (const [id, entry] of Object.entries(next)) {
      if (entry[2] === 1) continue;
      const path = newPath(id);
      if (path === undefined) {
        delete next[id]; // an orphan whose folder went: gone
        continue;
      }
      const ref = this.refFor(drive, path);
      const before = old[id] && oldPath(id);
      if (touched.has(id) || entry[6] === '' || before === undefined || this.refFor(drive, before) !== ref)
        toList.push({ id, ref });
      else this.known.set(ref, { driveId: drive.id, itemId: id, size: entry[4] });
    }
    const listed = new Set<string>();
    for (let start = 0; start < toList.length; start += 64) {
      const batch = toList.slice(start, start + 64);
      const sidecars = await mapLimit(batch, this.concurrency, ({ id }) => this.permissionsSidecar(drive.id, id));
      for (const [index, { id, ref }] of batch.entries()) {
        const sidecar = sidecars[index];
        const entry = next[id] as ItemEntry;
        if (!sidecar) {
          delete next[id]; // gone since the feed was read
          continue;
        }
        entry[6] = shortHash(JSON.stringify(sidecar));
        this.known.set(ref, { driveId: drive.id, itemId: id, size: entry[4], sidecar });
        listed.add(ref);
        const item: SourceItem = {
          ref,
          version: entry[3],
          sizeBytes: entry[4],
          modifiedAt: new Date(entry[5]),
          uri: `${drive.webUrl.replace(/\/+$/, '')}/${ref
            .split('/')
            .slice(this.prefixRefs ? 1 : 0)
            .map(encodeURIComponent)
            .join('/')}`,
          sidecarVersion: entry[6],
          principals: sidecar.principals as string[],
        };
        yield { kind: 'upsert', item };
      }
    }
    // Old paths no longer there (deleted, moved, renamed, or missing from a completed resync).
    for (const [id, entry] of Object.entries(old)) {
      if (entry[2] === 1) continue;
      const before = oldPath(id);
      if (before === undefined) continue;
      const ref = this.refFor(drive, before);
      const now = next[id] ? newPath(id) : undefined;
      if ((now === undefined || this.refFor(drive, now) !== ref) && !listed.has(ref)) yield { kind: 'delete', ref };
    }
    out.state = { name: drive.name, webUrl: drive.webUrl, rootId, deltaLink, items: next };
  }

  async *listChanges(
    cursor: SourceCursor | undefined,
    _onProblem: (problem: SourceProblem) => void,
  ): AsyncIterable<SourceChange> {
    const site = await this.resolveSite();
    const drives = await this.resolveDrives();
    const stored = cursor as Partial<SharepointCursor> | undefined;
    // A cursor of another site (siteUrl changed) is not reused: a full enumeration.
    const previous = stored?.v === 1 && stored.siteId === site.id && stored.drives ? (stored as SharepointCursor) : undefined;
    const state: Record<string, DriveState> = {};
    for (const drive of drives) {
      const out = { state: undefined as unknown as DriveState };
      yield* this.listDrive(drive, previous?.drives[drive.id], out);
      state[drive.id] = out.state;
    }
    // Libraries no longer synced (removed from the settings or from the site): their documents go.
    for (const [driveId, old] of Object.entries(previous?.drives ?? {})) {
      if (state[driveId]) continue;
      const gone: Drive = { id: driveId, name: old.name, webUrl: old.webUrl };
      for (const [id, entry] of Object.entries(old.items)) {
        if (entry[2] === 1) continue;
        const names: string[] = [];
        let current: ItemEntry | undefined = entry;
        for (let depth = 0; current && depth < 512; depth++) {
          names.unshift(current[1]);
          current = current[0] && current[0] !== old.rootId ? old.items[current[0]] : undefined;
        }
        if (id) yield { kind: 'delete', ref: this.refFor(gone, names.join('/')) };
      }
    }
    const next: SharepointCursor = { v: 1, siteId: site.id, drives: state };
    yield { kind: 'checkpoint', cursor: next as unknown as SourceCursor };
  }

  /** The item behind a ref, by the listing or by path lookup. @throws `ingest.not_found`. */
  private async locate(ref: string): Promise<KnownItem> {
    if (!validRef(ref)) throw notFound(ref, 'is not a path inside the site.');
    const known = this.known.get(ref);
    if (known) return known;
    const drives = await this.resolveDrives();
    const parts = ref.split('/');
    const drive = this.prefixRefs ? drives.find((d) => d.name === parts[0]) : drives[0];
    const path = (this.prefixRefs ? parts.slice(1) : parts).map(encodeURIComponent).join('/');
    if (!drive || path === '') throw notFound(ref, 'is not in a synced document library.');
    const response = await this.options.client.get(`/drives/${encodeURIComponent(drive.id)}/root:/${path}`);
    if (response.status === 404) throw notFound(ref, 'no longer exists in SharePoint.');
    if (response.status !== 200) throw badResponse(`/drives/${drive.id}/root:/…`, `HTTP ${response.status}`);
    const raw = parseJson(response.body, `/drives/${drive.id}/root:/…`) as RawItem | null;
    if (!raw || typeof raw.id !== 'string') throw badResponse(`/drives/${drive.id}/root:/…`, 'an item without an id');
    if (raw.folder) throw notFound(ref, 'is a folder.');
    const item: KnownItem = { driveId: drive.id, itemId: raw.id, size: typeof raw.size === 'number' ? raw.size : 0 };
    this.known.set(ref, item);
    return item;
  }

  async fetch(ref: string): Promise<FetchedItem> {
    const item = await this.locate(ref);
    if (item.size > this.options.maxFileBytes) {
      throw new GroundworkError(
        'ingest.too_large',
        `${ref} is ${item.size} bytes, over the limit of ${this.options.maxFileBytes}.`,
        {
          category: 'limit',
          fix: 'Raise ingest.maxFileBytes, or leave the file out of the document library.',
        },
      );
    }
    const sidecar = item.sidecar ?? (await this.permissionsSidecar(item.driveId, item.itemId));
    if (!sidecar) throw notFound(ref, 'no longer exists in SharePoint.');
    const contentUrl = `/drives/${encodeURIComponent(item.driveId)}/items/${encodeURIComponent(item.itemId)}/content`;
    let response = await this.options.client.get(contentUrl);
    if (response.status >= 300 && response.status < 400) {
      const location = response.headers.get('location');
      if (!location) throw badResponse(contentUrl, `a ${response.status} redirect without a Location`);
      // The download URL is pre-authenticated and short-lived: no bearer token is sent to it.
      response = await this.options.client.download(new URL(location, this.options.client.url(contentUrl)).toString());
    }
    if (response.status === 404) throw notFound(ref, 'no longer exists in SharePoint.');
    if (response.status !== 200) throw badResponse(contentUrl, `HTTP ${response.status}`);
    return { bytes: response.body, sidecar };
  }

  async fetchSidecar(ref: string): Promise<SidecarMetadata | undefined> {
    const item = await this.locate(ref);
    return item.sidecar ?? (await this.permissionsSidecar(item.driveId, item.itemId));
  }
}
