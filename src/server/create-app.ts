import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { getConnInfo } from '@hono/node-server/conninfo';
import { serveStatic } from '@hono/node-server/serve-static';
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import { type Caller, GroundworkError, newId, toGroundworkError } from '../core/index.ts';
import type { Platform } from '../create-platform.ts';
import { authorize, createOidcVerifier, type OidcVerifier, recordAudit } from '../govern/index.ts';
import { type Authenticator, createAuthenticator } from './authenticator.ts';
import { assertWellFormedText, parseRequestPart, type RouteDefinition } from './define-route.ts';
import { errorBody, httpStatusFor } from './http-errors.ts';
import { HttpMetrics } from './http-metrics.ts';
import { createLoadShedder } from './load-shedder.ts';
import type { McpActionsPort } from './mcp/mcp-actions-port.ts';
import { mcpRoutes } from './mcp/mcp-routes.ts';
import { platformActionsPort } from './mcp/platform-actions.ts';
import { buildOpenApiDocument } from './openapi.ts';
import { createSharedRateLimiter, type RateLimiter } from './rate-limiter.ts';
import { apiRoutes } from './routes/index.ts';

/** Per-request values the middleware chain shares. */
export interface AppVariables {
  requestId: string;
  /** The matched route pattern, for logs and metrics. */
  route: string;
  callerId: string;
  callerRole: string;
}

export type GroundworkHono = Hono<{ Variables: AppVariables }>;

export interface CreateAppOptions {
  readonly authenticator?: Authenticator;
  readonly oidc?: OidcVerifier;
  readonly rateLimiter?: RateLimiter;
  readonly metrics?: HttpMetrics;
  /** Static files served at `/` (the web UI). Default `web/dist` of the package when it exists; `false` = none. */
  readonly webRoot?: string | false;
  /** Extra routes (tests, plugins); registered after the built-in ones. */
  readonly routes?: readonly RouteDefinition[];
  /** Cache of "does any API key exist" (default 5 s). */
  readonly authCacheMs?: number;
  /** Agent actions for the MCP `propose_action` tool (wired by the composition root); absent: none configured. */
  readonly mcpActions?: McpActionsPort;
}

export interface GroundworkApp {
  readonly app: GroundworkHono;
  /** Every route registered, with its declared scope (the OpenAPI document is built from these). */
  readonly routes: readonly RouteDefinition[];
  readonly metrics: HttpMetrics;
  readonly authenticator: Authenticator;
  /**
   * Starts draining: every later response says `Connection: close`, so keep-alive clients reconnect (to
   * another replica) and each busy socket closes once its response is written.
   */
  drain(): void;
  /** Aborts background work (syncs started over the API) and waits for it. */
  close(): Promise<void>;
}

const defaultWebRoot = fileURLToPath(new URL('../../web/dist', import.meta.url));
const requestIdPattern = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Builds the HTTP API over a platform: middleware (request ids, logs, metrics, security headers, CORS, body
 * limit, timeout), then every route from its definition (authenticate → rate limit → authorize → validate →
 * handler), then the static web UI. Errors become one JSON shape with the status chosen in http-errors.ts.
 */
export function createApp(platform: Platform, options: CreateAppOptions = {}): GroundworkApp {
  const { config, logger } = platform;
  const metrics = options.metrics ?? new HttpMetrics();
  // The observe feature's registry (retrieval, answers, tokens, cost, queue) follows the HTTP metrics.
  if (!options.metrics) metrics.addSource(() => platform.observe.renderMetrics());
  const oidc = options.oidc ?? (config.auth.oidc ? createOidcVerifier(config.auth.oidc) : undefined);
  const authenticator =
    options.authenticator ??
    createAuthenticator({
      db: platform.db,
      clock: platform.clock,
      changes: platform.changes,
      ...(oidc ? { oidc } : {}),
      ...(options.authCacheMs === undefined ? {} : { cacheMs: options.authCacheMs }),
    });
  // Shared through the database: N processes and replicas enforce one limit per caller, not N.
  const rateLimiter = options.rateLimiter ?? createSharedRateLimiter(platform.db, config.server.rateLimit);
  const running = new Set<Promise<unknown>>();
  const shutdown = new AbortController();
  let draining = false;
  const background = (work: (signal: AbortSignal) => Promise<unknown>) => {
    const task = work(shutdown.signal)
      .catch((error) => logger.error('background work failed', { error }))
      .finally(() => running.delete(task));
    running.add(task);
  };
  // The platform owns the ingestion (parse workers); the app only tracks the syncs it started.
  const ingestionOf = () => platform.ingestion;
  // The MCP `propose_action` tool goes through the actions feature (built on first use; tests may pass a port).
  let mcpActions = options.mcpActions;
  const routes = [
    ...apiRoutes({ metrics, ingestion: ingestionOf, background, draining: () => draining }),
    ...mcpRoutes({ actions: () => (mcpActions ??= platformActionsPort(platform)) }),
    ...(options.routes ?? []),
  ];
  const app: GroundworkHono = new Hono<{ Variables: AppVariables }>();

  app.use('*', async (c, next) => {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && requestIdPattern.test(incoming) ? incoming : newId('req');
    c.set('requestId', requestId);
    c.set('route', 'unmatched');
    const started = performance.now();
    metrics.started();
    try {
      await next();
    } finally {
      if (draining) c.res.headers.set('connection', 'close');
      metrics.finished();
      const seconds = (performance.now() - started) / 1000;
      const route = c.get('route');
      metrics.observe(c.req.method, route, c.res.status, seconds);
      c.res.headers.set('x-request-id', requestId);
      // Never bodies, never headers (Authorization), never query strings (they can hold questions).
      logger.info('http request', {
        method: c.req.method,
        route,
        path: new URL(c.req.url).pathname,
        status: c.res.status,
        durationMs: Math.round(seconds * 10_000) / 10,
        caller: c.get('callerId'),
        requestId,
      });
    }
  });
  app.use('*', secureHeaders({ crossOriginResourcePolicy: 'same-origin' }));
  if (config.server.corsOrigins.length > 0) {
    app.use(
      '/v1/*',
      cors({
        origin: config.server.corsOrigins,
        allowHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
        exposeHeaders: ['X-Request-Id', 'Retry-After'],
        maxAge: 600,
      }),
    );
  }
  // The API's limits: /v1 and the MCP endpoint (/mcp) alike.
  const defaultBodyLimit = bodyLimit({
    maxSize: config.server.bodyLimitBytes,
    onError: () => {
      throw new GroundworkError('request.too_large', `The request body is larger than ${config.server.bodyLimitBytes} bytes.`, {
        category: 'limit',
        fix: 'Send a smaller body, or raise server.bodyLimitBytes.',
      });
    },
  });
  // Claim document uploads (multipart) have their own limit: claims.maxUploadBytes plus the multipart framing.
  const claimUploadLimit = bodyLimit({
    maxSize: config.claims.maxUploadBytes + 64 * 1024,
    onError: () => {
      throw new GroundworkError(
        'claims.too_large',
        `The upload is larger than claims.maxUploadBytes (${config.claims.maxUploadBytes} bytes).`,
        {
          category: 'limit',
          fix: 'Upload a smaller file (split a large scan), or raise claims.maxUploadBytes.',
        },
      );
    },
  });
  const limitBody: MiddlewareHandler = (c, next) =>
    c.req.method === 'POST' && /^\/v1\/claims\/[^/]+\/documents$/.test(c.req.path)
      ? claimUploadLimit(c, next)
      : defaultBodyLimit(c, next);
  let inFlight = 0;
  // On the embedded store requests queue for its one connection by design (one process, one PGlite) and its
  // queries run on this thread: only the concurrency cap sheds there. Congested, a server process admits as
  // many requests as its pool has connections.
  const shedder = createLoadShedder({
    maxConcurrentRequests: config.server.maxConcurrentRequests,
    maxQueueDelayMs: platform.db.mode === 'server' ? config.server.maxQueueDelayMs : 0,
    congestedConcurrency: platform.db.pool.options.max ?? 10,
  });
  const shed: MiddlewareHandler = async (c, next) => {
    const reason = shedder.shouldShed(inFlight);
    if (reason) {
      c.header('Retry-After', '1');
      throw new GroundworkError('server.overloaded', 'The server is handling as many requests as it may; try again shortly.', {
        category: 'unavailable',
        isRetryable: true,
        fix: 'Retry after a second with backoff; operators can add processes or replicas, or raise server.maxConcurrentRequests / server.maxQueueDelayMs.',
        details: reason === 'concurrency' ? { reason } : { reason, queueDelayMs: shedder.queueDelayMs() },
      });
    }
    inFlight += 1;
    const started = performance.now();
    try {
      await next();
    } finally {
      inFlight -= 1;
      shedder.observe(performance.now() - started);
    }
  };
  const limitTime: MiddlewareHandler = async (_c, next) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new GroundworkError('request.timeout', `The request took longer than ${config.server.requestTimeoutMs} ms.`, {
              category: 'unavailable',
              isRetryable: true,
              fix: 'Retry; if it keeps happening, narrow the request or raise server.requestTimeoutMs.',
            }),
          ),
        config.server.requestTimeoutMs,
      );
    });
    try {
      // Streaming responses return their Response at once, so the timeout bounds time-to-first-byte.
      await Promise.race([next(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
  // '/mcp/*' also matches /mcp itself.
  for (const path of ['/v1/*', '/mcp/*']) app.use(path, limitBody, shed, limitTime);

  // Failed authentications per client address: 1/s sustained, bursts of 20 (a mistyped key is not locked out).
  const failedAuthLimiter = createSharedRateLimiter(platform.db, { requestsPerSecond: 1, burst: 20 });
  for (const route of routes) registerRoute(app, route, { platform, authenticator, rateLimiter, failedAuthLimiter });

  app.get('/openapi.json', (c) => {
    c.set('route', '/openapi.json');
    return c.json(buildOpenApiDocument([...routes, openApiRoute]));
  });

  const webRoot = options.webRoot === undefined ? defaultWebRoot : options.webRoot;
  if (webRoot && existsSync(webRoot)) {
    app.use('*', async (c, next) => {
      if (c.req.path.startsWith('/v1/') || c.req.method !== 'GET') return next();
      c.set('route', 'static');
      return serveStatic({ root: webRoot })(c, next);
    });
    // Single-page app: unknown paths outside the API get index.html.
    app.get('*', async (c, next) => {
      if (c.req.path.startsWith('/v1/')) return next();
      return serveStatic({ root: webRoot, path: 'index.html' })(c, next);
    });
  }

  app.notFound((c) => {
    const error = new GroundworkError('route.not_found', `No route ${c.req.method} ${c.req.path}.`, {
      category: 'not_found',
      fix: 'See /openapi.json for the routes of this server.',
    });
    return c.json(errorBody(error, c.get('requestId') ?? newId('req')), 404);
  });
  app.onError(async (thrown, c) => {
    const error =
      thrown instanceof HTTPException
        ? new GroundworkError('request.rejected', thrown.message || 'The request was rejected.', {
            category: thrown.status === 413 ? 'limit' : thrown.status >= 500 ? 'internal' : 'usage',
          })
        : toGroundworkError(thrown);
    const status = httpStatusFor(error);
    const requestId = c.get('requestId') ?? newId('req');
    if (status === 403) {
      // Every denied access is audited: missing scopes and object-level denials (e.g. a use case's audience).
      await auditDenied(
        platform,
        {
          actor: c.get('callerId') ?? 'anonymous',
          role: c.get('callerRole'),
          target: `${c.req.method} ${c.get('route') ?? c.req.path}`,
          error,
        },
        requestId,
      );
    }
    // Shed requests are expected under overload (counted in /metrics); logging each would add to the load.
    if (error.code === 'store.unavailable') logger.warn('request failed', { requestId, code: error.code, error: error.cause });
    else if (status >= 500 && error.code !== 'server.overloaded') {
      logger.error('request failed', { requestId, code: error.code, error: error.cause ?? error });
    }
    if (error.code === 'request.too_large') c.header('connection', 'close');
    // RFC 9110: a 401 names the scheme; MCP clients read it to know a bearer token is expected.
    if (status === 401) c.header('WWW-Authenticate', 'Bearer realm="groundwork"');
    // The database is back within seconds in a failover or restart: tell clients when to try again.
    if (error.code === 'store.unavailable') c.header('Retry-After', '2');
    return c.json(errorBody(error, requestId), status as 400);
  });

  return {
    app,
    routes: [...routes, openApiRoute],
    metrics,
    authenticator,
    drain() {
      draining = true;
    },
    async close() {
      shedder.close();
      shutdown.abort();
      await Promise.allSettled([...running]);
    },
  };
}

/** The document route itself, declared so the "every route declares a scope" check covers it. */
const openApiRoute: RouteDefinition = {
  method: 'get',
  path: '/openapi.json',
  summary: 'This OpenAPI 3.1 document',
  tags: ['system'],
  scope: 'public',
  responses: { 200: { description: 'The OpenAPI document' } },
  handler: () => undefined,
};

interface RouteDependencies {
  readonly platform: Platform;
  readonly authenticator: Authenticator;
  readonly rateLimiter: RateLimiter;
  readonly failedAuthLimiter: RateLimiter;
}

/** The TCP peer (not X-Forwarded-For, which any client can set); `unknown` outside a real server. */
function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function registerRoute(app: GroundworkHono, route: RouteDefinition, deps: RouteDependencies): void {
  if (!route.scope) throw new Error(`Route ${route.method.toUpperCase()} ${route.path} declares no scope`);
  app.on(route.method.toUpperCase(), route.path, async (c) => {
    c.set('route', route.path);
    const requestId = c.get('requestId');
    let caller: Caller | undefined;
    if (route.scope !== 'public') {
      try {
        caller = await deps.authenticator.authenticate(c.req.header('authorization'), c.req.header('host'));
      } catch (error) {
        // Failed authentication costs a lookup: limit it per client address (no caller to key on yet).
        const decision = await deps.failedAuthLimiter.take(`address:${clientAddress(c)}`);
        if (!decision.allowed) {
          c.header('Retry-After', String(decision.retryAfterSeconds));
          throw new GroundworkError('rate_limit.auth_failures', 'Too many failed authentication attempts from this address.', {
            category: 'limit',
            isRetryable: true,
            fix: `Check the API key or token, then retry after ${decision.retryAfterSeconds} s.`,
          });
        }
        throw error;
      }
      c.set('callerId', caller.id);
      const decision = await deps.rateLimiter.take(`caller:${caller.id}`);
      if (!decision.allowed) {
        c.header('Retry-After', String(decision.retryAfterSeconds));
        throw new GroundworkError('rate_limit.exceeded', 'Too many requests for this caller.', {
          category: 'limit',
          isRetryable: true,
          fix: `Retry after ${decision.retryAfterSeconds} s; server.rateLimit sets the per-caller rate.`,
          details: { retryAfterSeconds: decision.retryAfterSeconds },
        });
      }
      c.set('callerRole', caller.role);
      authorize(caller, route.scope); // a denial is audited by the error handler, like object-level denials
    }
    const raw = {
      body: route.request?.body ? await readJson(c) : undefined,
      query: route.request?.query ? c.req.query() : undefined,
      params: route.request?.params ? c.req.param() : undefined,
    };
    // Text no field may hold (NUL, lone surrogates) is reported first, in every part at once.
    assertWellFormedText(raw);
    const body = route.request?.body ? parseRequestPart(route.request.body, raw.body, 'body') : undefined;
    const query = route.request?.query ? parseRequestPart(route.request.query, raw.query, 'query') : undefined;
    const params = route.request?.params ? parseRequestPart(route.request.params, raw.params, 'params') : undefined;
    const effective = caller && route.aclBypass && caller.role === 'admin' ? { ...caller, seesEverything: true } : caller;
    const result = await route.handler({
      caller: effective ?? anonymous,
      platform: deps.platform,
      body,
      query,
      params,
      requestId,
      c,
    });
    if (result instanceof Response) return result;
    return c.json(result ?? null);
  });
}

/** Callers of public routes: no principals, no role beyond viewer; public handlers must not read content. */
const anonymous: Caller = Object.freeze({ id: 'anonymous', role: 'viewer', principals: [], seesEverything: false });

async function readJson(c: Context): Promise<unknown> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/([a-z.+-]*\+)?json\b/i.test(type)) {
    throw new GroundworkError('request.unsupported_media_type', 'The request body must be JSON.', {
      category: 'usage',
      fix: 'Send the body as JSON with `Content-Type: application/json`.',
    });
  }
  try {
    return await c.req.json();
  } catch (error) {
    if (error instanceof GroundworkError) throw error;
    throw new GroundworkError('request.invalid_json', 'The request body is not valid JSON.', {
      category: 'usage',
      fix: 'Send a well-formed JSON document.',
    });
  }
}

/** Denied access is audited (in its own transaction: there is no change to join). Never fails the request. */
async function auditDenied(
  platform: Platform,
  denied: { actor: string; role: string | undefined; target: string; error: GroundworkError },
  requestId: string,
): Promise<void> {
  try {
    await platform.db.transaction((tx) =>
      recordAudit(
        tx,
        {
          actor: denied.actor,
          action: 'access.denied',
          target: denied.target,
          after: { code: denied.error.code, role: denied.role ?? null, ...denied.error.details },
          requestId,
        },
        platform.clock,
      ),
    );
  } catch (error) {
    platform.logger.warn('could not audit a denied request', { requestId, error });
  }
}
