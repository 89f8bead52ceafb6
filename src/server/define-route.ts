import type { Context } from 'hono';
import { z } from 'zod';
import { type Caller, GroundworkError, malformedText } from '../core/index.ts';
import type { Platform } from '../create-platform.ts';
import type { Scope } from '../govern/index.ts';

/**
 * One route definition both validates requests and documents them: the same zod schemas are used to parse
 * the body, query and path parameters and to generate the OpenAPI document. Every route must declare the
 * `scope` it needs (`'public'` for health and discovery endpoints); the app authorises before the handler.
 */
export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteResponse {
  readonly description: string;
  readonly schema?: z.ZodType;
  /** Default `application/json`. */
  readonly contentType?: string;
}

export interface RouteContext<B, Q, P> {
  /** The authenticated caller, as features should see it (with `seesEverything` only on bypass routes). */
  readonly caller: Caller;
  readonly platform: Platform;
  readonly body: B;
  readonly query: Q;
  readonly params: P;
  readonly requestId: string;
  readonly c: Context;
}

type Infer<T> = T extends z.ZodType ? z.output<T> : undefined;

export interface RouteSpec<B extends z.ZodType | undefined, Q extends z.ZodType | undefined, P extends z.ZodType | undefined> {
  readonly method: HttpMethod;
  /** Hono path syntax: `/v1/keys/:id`. */
  readonly path: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  readonly scope: Scope | 'public';
  /**
   * Admins reach every document on this route (`seesEverything`): for operator views (quarantine, document
   * ACL explanations, all traces). Never set on search or answer routes.
   */
  readonly aclBypass?: boolean;
  readonly request?: { readonly body?: B; readonly query?: Q; readonly params?: P };
  readonly responses: Readonly<Record<number, RouteResponse>>;
  /** Returns a Response, or a JSON-serialisable value sent with status 200. */
  readonly handler: (context: RouteContext<Infer<B>, Infer<Q>, Infer<P>>) => Promise<unknown> | unknown;
}

/** A route as the app registers it (generics erased). */
export interface RouteDefinition {
  readonly method: HttpMethod;
  readonly path: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  readonly scope: Scope | 'public';
  readonly aclBypass?: boolean;
  readonly request?: { readonly body?: z.ZodType; readonly query?: z.ZodType; readonly params?: z.ZodType };
  readonly responses: Readonly<Record<number, RouteResponse>>;
  readonly handler: (context: RouteContext<unknown, unknown, unknown>) => Promise<unknown> | unknown;
}

export function defineRoute<
  B extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  P extends z.ZodType | undefined = undefined,
>(spec: RouteSpec<B, Q, P>): RouteDefinition {
  return spec as unknown as RouteDefinition;
}

/**
 * No field of any route may carry text PostgreSQL cannot store or that is not Unicode: checked over every part
 * of the request before any schema. @throws `request.invalid` naming each bad field.
 */
export function assertWellFormedText(parts: { body?: unknown; query?: unknown; params?: unknown }): void {
  const issues = (['body', 'query', 'params'] as const).flatMap((part) => malformedText(parts[part], [part]));
  if (issues.length > 0) throw invalidRequest(issues);
}

/** Parses `input` with `schema`, or throws `request.invalid` naming each bad field (malformed text first). */
export function parseRequestPart(schema: z.ZodType, input: unknown, part: 'body' | 'query' | 'params'): unknown {
  const malformed = malformedText(input, [part]);
  if (malformed.length > 0) throw invalidRequest(malformed);
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    path: [part, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  throw invalidRequest(issues);
}

function invalidRequest(issues: readonly { path: string; message: string }[]): GroundworkError {
  return new GroundworkError(
    'request.invalid',
    `The request is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}.`,
    {
      category: 'usage',
      fix: 'Correct the fields listed; /openapi.json describes every request.',
      details: { issues },
    },
  );
}

/** Common schemas shared by routes. */
export const paging = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'Stable error code, `area.problem`.' }),
      message: z.string(),
      fix: z.string().optional(),
      requestId: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .meta({ id: 'Error' });
