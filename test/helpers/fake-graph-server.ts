/**
 * A loopback fake of the parts of Microsoft Graph and the Entra ID token endpoint the SharePoint connector uses,
 * answering with the documented shapes (learn.microsoft.com: driveItem delta, permission resource, 410 resync,
 * throttling with Retry-After, InvalidAuthenticationToken). State is built by code; faults are injected per test.
 */
import { createHash, createPublicKey, type KeyObject, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeProtectedHeader, jwtVerify } from 'jose';

export interface FakePermission {
  readonly id?: string;
  readonly roles?: readonly string[];
  readonly link?: { readonly scope: 'anonymous' | 'organization' | 'users'; readonly type?: string };
  readonly grantedToV2?: Record<string, unknown>;
  readonly grantedToIdentitiesV2?: readonly Record<string, unknown>[];
}

interface FakeItem {
  id: string;
  name: string;
  parentId: string | null;
  folder: boolean;
  content: Buffer;
  seq: number;
  sharingSeq: number;
  deleted: boolean;
  modified: Date;
  permissions: FakePermission[];
}

interface FakeDrive {
  id: string;
  name: string;
  rootId: string;
  items: Map<string, FakeItem>;
}

export interface FakeGraphOptions {
  readonly tenantId?: string;
  readonly clientId?: string;
  readonly clientSecret?: string;
  /** PEM public key (SPKI) of the app's certificate, for client assertions. */
  readonly certificatePublicKeyPem?: string;
  readonly certificateThumbprint?: string;
  readonly tokenLifetimeSeconds?: number;
  readonly pageSize?: number;
  readonly drives?: readonly string[];
  /** Leave the root item out of delta responses (as with the deltaExcludeParent header). */
  readonly omitRootFromDelta?: boolean;
}

export interface FakeGraph {
  readonly baseUrl: string;
  readonly graphBaseUrl: string;
  readonly authorityUrl: string;
  readonly siteUrl: string;
  readonly siteId: string;
  readonly tenantId: string;
  readonly clientId: string;
  /** Every request: method, path (with query), whether it carried a bearer token. */
  readonly requests: Array<{ method: string; path: string; authorized: boolean; prefer?: string }>;
  readonly stats: { tokens: number; downloadsWithAuth: number };
  put(drive: string, path: string, content: Uint8Array | string): void;
  remove(drive: string, path: string): void;
  move(drive: string, from: string, to: string): void;
  /** Replaces the explicit permissions of an item (file or folder); descendants inherit them. */
  setPermissions(drive: string, path: string, permissions: readonly FakePermission[]): void;
  /** Every delta token handed out so far answers 410 Gone (resyncRequired) from now on. */
  expireDeltaTokens(): void;
  /** Every access token issued so far is expired from now on (the next Graph call gets 401). */
  expireAccessTokens(): void;
  /** The next `count` Graph calls answer 429 with Retry-After `seconds` (optionally 503). */
  throttleNext(count: number, seconds: number, status?: 429 | 503): void;
  /** The next delta page answers 200 with a body that is not JSON. */
  malformNextDelta(): void;
  /** Graph answers every call with this status (e.g. 500), until cleared with undefined. */
  failAll(status: number | undefined): void;
  close(): Promise<void>;
}

const encoder = new TextEncoder();

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(text);
}

function graphError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}) {
  send(
    res,
    status,
    { error: { code, message, innerError: { 'request-id': randomUUID(), date: new Date().toISOString() } } },
    headers,
  );
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startFakeGraph(options: FakeGraphOptions = {}): Promise<FakeGraph> {
  const tenantId = options.tenantId ?? '11111111-2222-3333-4444-555555555555';
  const clientId = options.clientId ?? 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
  const pageSize = options.pageSize ?? 3;
  const siteId = 'contoso.sharepoint.com,6f2b0c3e-0000-4000-8000-000000000001,9d3e0000-0000-4000-8000-000000000002';
  const tokens = new Map<string, number>();
  let seq = 0;
  let expiredBefore = 0;
  let throttle = { count: 0, seconds: 0, status: 429 };
  let malformDelta = false;
  let failStatus: number | undefined;
  const sessions = new Map<string, { items: Array<Record<string, unknown>>; token: number }>();
  const publicKey: KeyObject | undefined = options.certificatePublicKeyPem
    ? createPublicKey(options.certificatePublicKeyPem)
    : undefined;
  const requests: FakeGraph['requests'] = [];
  const stats = { tokens: 0, downloadsWithAuth: 0 };

  const drives = new Map<string, FakeDrive>();
  for (const [index, name] of (options.drives ?? ['Documents']).entries()) {
    const id = `b!drive${index}`;
    const rootId = `root-${index}`;
    const items = new Map<string, FakeItem>();
    items.set(rootId, {
      id: rootId,
      name: 'root',
      parentId: null,
      folder: true,
      content: Buffer.alloc(0),
      seq: ++seq,
      sharingSeq: 0,
      deleted: false,
      modified: new Date(),
      permissions: [],
    });
    drives.set(name, { id, name, rootId, items });
  }
  const driveById = (id: string) => [...drives.values()].find((d) => d.id === id);
  const driveByName = (name: string) => {
    const drive = drives.get(name);
    if (!drive) throw new Error(`no drive ${name}`);
    return drive;
  };
  const childByName = (drive: FakeDrive, parentId: string, name: string) =>
    [...drive.items.values()].find((item) => !item.deleted && item.parentId === parentId && item.name === name);
  const lookup = (drive: FakeDrive, path: string): FakeItem | undefined => {
    let current = drive.items.get(drive.rootId) as FakeItem;
    for (const part of path.split('/').filter(Boolean)) {
      const next = childByName(drive, current.id, part);
      if (!next) return undefined;
      current = next;
    }
    return current;
  };
  const ensureFolder = (drive: FakeDrive, parts: string[]): FakeItem => {
    let current = drive.items.get(drive.rootId) as FakeItem;
    for (const part of parts) {
      let next = childByName(drive, current.id, part);
      if (!next) {
        next = {
          id: `item-${randomUUID().slice(0, 8)}`,
          name: part,
          parentId: current.id,
          folder: true,
          content: Buffer.alloc(0),
          seq: ++seq,
          sharingSeq: 0,
          deleted: false,
          modified: new Date(),
          permissions: [],
        };
        drive.items.set(next.id, next);
      }
      current = next;
    }
    return current;
  };
  const descendants = (drive: FakeDrive, id: string): FakeItem[] => {
    const out: FakeItem[] = [];
    for (const item of drive.items.values()) {
      if (item.deleted) continue;
      let parent = item.parentId;
      while (parent) {
        if (parent === id) {
          out.push(item);
          break;
        }
        parent = drive.items.get(parent)?.parentId ?? null;
      }
    }
    return out;
  };
  const ancestors = (drive: FakeDrive, item: FakeItem): FakeItem[] => {
    const out: FakeItem[] = [];
    let parent = item.parentId;
    while (parent) {
      const p = drive.items.get(parent);
      if (!p) break;
      out.push(p);
      parent = p.parentId;
    }
    return out;
  };
  const quickXor = (content: Buffer) => createHash('sha1').update(content).digest('base64');
  const itemJson = (drive: FakeDrive, item: FakeItem, sharingChanged = false): Record<string, unknown> => {
    if (item.deleted)
      return { id: item.id, deleted: { state: 'deleted' }, parentReference: { driveId: drive.id, driveType: 'documentLibrary' } };
    const base: Record<string, unknown> = {
      '@odata.type': '#microsoft.graph.driveItem',
      id: item.id,
      name: item.name,
      eTag: `"{${item.id}},${item.seq}"`,
      lastModifiedDateTime: item.modified.toISOString(),
      size: item.content.length,
      parentReference: item.parentId
        ? { driveId: drive.id, driveType: 'documentLibrary', id: item.parentId }
        : { driveId: drive.id },
      webUrl: `${baseUrl}/sites/claims/${encodeURIComponent(drive.name)}/${item.name}`,
    };
    if (item.id === drive.rootId) base.root = {};
    if (item.folder)
      base.folder = { childCount: [...drive.items.values()].filter((c) => c.parentId === item.id && !c.deleted).length };
    else base.file = { mimeType: 'application/octet-stream', hashes: { quickXorHash: quickXor(item.content) } };
    if (sharingChanged) base['@microsoft.graph.sharedChanged'] = 'True';
    return base;
  };

  let baseUrl = '';
  const authorized = (req: IncomingMessage): 'ok' | 'missing' | 'expired' => {
    const header = req.headers.authorization;
    if (!header?.startsWith('Bearer ')) return 'missing';
    const expires = tokens.get(header.slice(7));
    if (expires === undefined || expires < Date.now()) return 'expired';
    return 'ok';
  };

  async function token(req: IncomingMessage, res: ServerResponse, tenant: string): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    if (tenant !== tenantId)
      return send(res, 400, { error: 'invalid_request', error_description: `AADSTS90002: Tenant '${tenant}' not found.` });
    if (form.get('grant_type') !== 'client_credentials' || form.get('client_id') !== clientId)
      return send(res, 400, {
        error: 'unauthorized_client',
        error_description: `AADSTS700016: Application with identifier '${form.get('client_id')}' was not found in the directory.`,
      });
    const assertion = form.get('client_assertion');
    if (assertion) {
      if (!publicKey)
        return send(res, 401, {
          error: 'invalid_client',
          error_description: 'AADSTS700027: Client assertion contains an invalid signature.',
        });
      try {
        const header = decodeProtectedHeader(assertion);
        const thumbprint = Buffer.from(options.certificateThumbprint ?? '', 'hex').toString('base64url');
        if (header.x5t !== thumbprint) throw new Error('x5t');
        await jwtVerify(assertion, publicKey, {
          issuer: clientId,
          subject: clientId,
          audience: `${baseUrl}/${tenantId}/oauth2/v2.0/token`,
        });
      } catch {
        return send(res, 401, {
          error: 'invalid_client',
          error_description: 'AADSTS700027: Client assertion contains an invalid signature.',
        });
      }
    } else if (!options.clientSecret || form.get('client_secret') !== options.clientSecret) {
      return send(res, 401, {
        error: 'invalid_client',
        error_description: `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
      });
    }
    const value = `eyJ0eXAiOiJKV1Qi.${randomUUID()}.sig`;
    const lifetime = options.tokenLifetimeSeconds ?? 3599;
    tokens.set(value, Date.now() + lifetime * 1000);
    stats.tokens += 1;
    send(res, 200, { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: value });
  }

  function delta(req: IncomingMessage, res: ServerResponse, drive: FakeDrive, url: URL): void {
    if (malformDelta) {
      malformDelta = false;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"value": [ {"id": "x", "name": ');
      return;
    }
    const prefer = String(req.headers.prefer ?? '');
    const sharing = prefer.includes('deltashowsharingchanges');
    const sessionId = url.searchParams.get('session');
    let session = sessionId ? sessions.get(sessionId) : undefined;
    if (!session) {
      const tokenParam = url.searchParams.get('token');
      const since = tokenParam === null ? undefined : Number(tokenParam);
      if (since !== undefined && (!Number.isFinite(since) || since < expiredBefore)) {
        graphError(
          res,
          410,
          'resyncChangesApplyDifferences',
          "Resync required. Replace any local items with the server's version (including deletes) if you're sure that the service was up to date with your local changes when you last sync'd.",
          {
            location: `${baseUrl}/v1.0/drives/${drive.id}/root/delta`,
          },
        );
        return;
      }
      const items: Array<Record<string, unknown>> = [];
      for (const item of drive.items.values()) {
        if (options.omitRootFromDelta && item.id === drive.rootId) continue;
        if (since === undefined) {
          if (!item.deleted) items.push(itemJson(drive, item));
        } else if (item.seq > since) items.push(itemJson(drive, item));
        else if (sharing && item.sharingSeq > since) items.push(itemJson(drive, item, true));
      }
      session = { items, token: seq };
    }
    const page = Number(url.searchParams.get('page') ?? '0');
    const slice = session.items.slice(page * pageSize, (page + 1) * pageSize);
    const more = (page + 1) * pageSize < session.items.length;
    const body: Record<string, unknown> = { '@odata.context': `${baseUrl}/v1.0/$metadata#Collection(driveItem)`, value: slice };
    if (more) {
      const id = sessionId ?? randomUUID();
      sessions.set(id, session);
      body['@odata.nextLink'] = `${baseUrl}/v1.0/drives/${drive.id}/root/delta?session=${id}&page=${page + 1}`;
    } else body['@odata.deltaLink'] = `${baseUrl}/v1.0/drives/${drive.id}/root/delta?token=${session.token}`;
    send(res, 200, body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', baseUrl);
    const path = decodeURIComponent(url.pathname);
    requests.push({
      method: req.method ?? 'GET',
      path: `${url.pathname}${url.search}`,
      authorized: Boolean(req.headers.authorization),
      ...(req.headers.prefer ? { prefer: String(req.headers.prefer) } : {}),
    });
    const tokenMatch = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(path);
    if (req.method === 'POST' && tokenMatch) return token(req, res, tokenMatch[1] as string);
    const download = /^\/download\/([^/]+)\/([^/]+)$/.exec(path);
    if (download) {
      if (req.headers.authorization) stats.downloadsWithAuth += 1;
      const drive = driveById(download[1] as string);
      const item = drive?.items.get(download[2] as string);
      if (!item || item.deleted) return graphError(res, 404, 'itemNotFound', 'The resource could not be found.');
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(item.content.length) });
      res.end(item.content);
      return;
    }
    if (!path.startsWith('/v1.0/')) return graphError(res, 404, 'BadRequest', 'Unsupported path.');
    if (failStatus) return graphError(res, failStatus, 'generalException', 'An unexpected error occurred.');
    if (throttle.count > 0) {
      throttle.count -= 1;
      return graphError(
        res,
        throttle.status,
        throttle.status === 429 ? 'activityLimitReached' : 'serviceNotAvailable',
        'The request has been throttled.',
        { 'retry-after': String(throttle.seconds) },
      );
    }
    const auth = authorized(req);
    if (auth !== 'ok')
      return graphError(
        res,
        401,
        'InvalidAuthenticationToken',
        auth === 'expired' ? 'Access token has expired or is not yet valid.' : 'Access token is empty.',
      );
    const graphPath = path.slice('/v1.0'.length);
    if (graphPath === `/sites/${siteId}` || /^\/sites\/[^/]+:\/sites\/claims$/.test(graphPath))
      return send(res, 200, { id: siteId, name: 'claims', displayName: 'Claims', webUrl: `${baseUrl}/sites/claims` });
    if (graphPath === `/sites/${siteId}/drives`)
      return send(res, 200, {
        value: [...drives.values()].map((d) => ({
          id: d.id,
          name: d.name,
          driveType: 'documentLibrary',
          webUrl: `${baseUrl}/sites/claims/${encodeURIComponent(d.name)}`,
        })),
      });
    const driveMatch = /^\/drives\/([^/]+)(\/.*)$/.exec(graphPath);
    const drive = driveMatch ? driveById(driveMatch[1] as string) : undefined;
    if (!driveMatch || !drive) return graphError(res, 404, 'itemNotFound', 'The resource could not be found.');
    const rest = driveMatch[2] as string;
    if (rest === '/root/delta') return delta(req, res, drive, url);
    if (rest === '/root') return send(res, 200, itemJson(drive, drive.items.get(drive.rootId) as FakeItem));
    const byPath = /^\/root:\/(.+)$/.exec(rest);
    if (byPath) {
      const item = lookup(drive, byPath[1] as string);
      if (!item) return graphError(res, 404, 'itemNotFound', 'The resource could not be found.');
      return send(res, 200, itemJson(drive, item));
    }
    const itemMatch = /^\/items\/([^/]+)\/(permissions|content)$/.exec(rest);
    const item = itemMatch ? drive.items.get(itemMatch[1] as string) : undefined;
    if (!itemMatch || !item || item.deleted) return graphError(res, 404, 'itemNotFound', 'The resource could not be found.');
    if (itemMatch[2] === 'content') {
      res.writeHead(302, { location: `${baseUrl}/download/${drive.id}/${item.id}?tempauth=${randomUUID()}` });
      res.end();
      return;
    }
    const value: Array<Record<string, unknown>> = item.permissions.map((p, i) => ({
      id: p.id ?? `perm-${item.id}-${i}`,
      roles: p.roles ?? ['read'],
      ...p,
    }));
    for (const ancestor of ancestors(drive, item))
      for (const [i, p] of ancestor.permissions.entries())
        value.push({
          id: p.id ?? `perm-${ancestor.id}-${i}`,
          roles: p.roles ?? ['read'],
          ...p,
          inheritedFrom: { driveId: drive.id, id: ancestor.id },
        });
    send(res, 200, { value });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => graphError(res, 500, 'generalException', String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    baseUrl,
    graphBaseUrl: `${baseUrl}/v1.0`,
    authorityUrl: baseUrl,
    siteUrl: 'https://contoso.sharepoint.com/sites/claims',
    siteId,
    tenantId,
    clientId,
    requests,
    stats,
    put(driveName, path, content) {
      const drive = driveByName(driveName);
      const parts = path.split('/');
      const name = parts.pop() as string;
      const folder = ensureFolder(drive, parts);
      const bytes = Buffer.from(typeof content === 'string' ? encoder.encode(content) : content);
      const existing = childByName(drive, folder.id, name);
      if (existing) {
        existing.content = bytes;
        existing.seq = ++seq;
        existing.modified = new Date();
        return;
      }
      const id = `item-${randomUUID().slice(0, 8)}`;
      drive.items.set(id, {
        id,
        name,
        parentId: folder.id,
        folder: false,
        content: bytes,
        seq: ++seq,
        sharingSeq: 0,
        deleted: false,
        modified: new Date(),
        permissions: [],
      });
    },
    remove(driveName, path) {
      const drive = driveByName(driveName);
      const item = lookup(drive, path);
      if (!item) throw new Error(`no item ${path}`);
      for (const child of [item, ...descendants(drive, item.id)]) {
        child.deleted = true;
        child.seq = ++seq;
      }
    },
    move(driveName, from, to) {
      const drive = driveByName(driveName);
      const item = lookup(drive, from);
      if (!item) throw new Error(`no item ${from}`);
      const parts = to.split('/');
      item.name = parts.pop() as string;
      item.parentId = ensureFolder(drive, parts).id;
      item.seq = ++seq; // descendants are NOT returned by delta: clients track by id
    },
    setPermissions(driveName, path, permissions) {
      const drive = driveByName(driveName);
      const item = path === '' ? drive.items.get(drive.rootId) : lookup(drive, path);
      if (!item) throw new Error(`no item ${path}`);
      item.permissions = [...permissions];
      const stamp = ++seq;
      for (const affected of [item, ...descendants(drive, item.id)]) affected.sharingSeq = stamp;
    },
    expireDeltaTokens() {
      expiredBefore = seq + 1;
      seq += 1;
    },
    expireAccessTokens() {
      for (const key of tokens.keys()) tokens.set(key, 0);
    },
    throttleNext(count, seconds, status = 429) {
      throttle = { count, seconds, status };
    },
    malformNextDelta() {
      malformDelta = true;
    },
    failAll(status) {
      failStatus = status;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Graph permission fixtures in the documented shapes. */
export const permissionFixtures = {
  user: (email: string, displayName = email): FakePermission => ({
    roles: ['read'],
    grantedToV2: {
      user: { id: randomUUID(), displayName },
      siteUser: { id: '7', displayName, loginName: `i:0#.f|membership|${email}` },
    },
  }),
  entraGroup: (id: string, displayName: string): FakePermission => ({
    roles: ['read'],
    grantedToV2: { group: { id, displayName } },
  }),
  siteGroup: (displayName: string): FakePermission => ({
    roles: ['write'],
    grantedToV2: { siteGroup: { id: '3', displayName, loginName: displayName } },
  }),
  organizationLink: (): FakePermission => ({ roles: ['read'], link: { scope: 'organization', type: 'view' } }),
  anonymousLink: (): FakePermission => ({ roles: ['read'], link: { scope: 'anonymous', type: 'view' } }),
  usersLink: (emails: readonly string[]): FakePermission => ({
    roles: ['read'],
    link: { scope: 'users', type: 'view' },
    grantedToIdentitiesV2: emails.map((email) => ({ user: { id: randomUUID(), displayName: email, email } })),
  }),
};
