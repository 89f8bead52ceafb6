import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../define-route.ts';

const authConfigSchema = z
  .object({
    apiKeys: z.literal(true),
    oidc: z.object({ issuer: z.string(), clientId: z.string(), audience: z.string(), scopes: z.array(z.string()) }).nullable(),
  })
  .meta({ id: 'AuthConfig' });

/**
 * Public sign-in settings for the web UI: API keys always; OIDC (authorization code + PKCE, a public client)
 * only when an issuer and a client id are configured. Nothing secret: the same values any login page shows.
 */
export function authConfigRoutes(): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/auth/config',
      summary: 'Public sign-in settings: API keys, and the OIDC issuer and client id when configured',
      tags: ['auth'],
      scope: 'public',
      responses: { 200: { description: 'Sign-in settings', schema: authConfigSchema } },
      handler: ({ platform }) => {
        const oidc = platform.config.auth.oidc;
        return {
          apiKeys: true as const,
          oidc:
            oidc?.clientId !== undefined
              ? { issuer: oidc.issuer, clientId: oidc.clientId, audience: oidc.audience, scopes: ['openid', 'profile', 'email'] }
              : null,
        };
      },
    }),
  ];
}
