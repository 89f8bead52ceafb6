/**
 * The HTTP API (an edge): Hono app over the platform, routes per feature, auth, errors → HTTP status in one
 * place, OpenAPI, health/readiness/metrics, rate limits and hardening.
 */
export { type Authenticator, assertBindAllowed, createAuthenticator, isLoopbackHost } from './authenticator.ts';
export { type AppVariables, type CreateAppOptions, createApp, type GroundworkApp, type GroundworkHono } from './create-app.ts';
export { defineRoute, type HttpMethod, type RouteContext, type RouteDefinition, type RouteSpec } from './define-route.ts';
export { type ErrorBody, errorBody, httpStatusFor } from './http-errors.ts';
export { HttpMetrics, type MetricsSource } from './http-metrics.ts';
export { actionsPortFrom, type McpAction, type McpActionsPort } from './mcp/mcp-actions-port.ts';
export { type CreateMcpServerOptions, createMcpServer } from './mcp/mcp-server.ts';
export { platformActionsPort } from './mcp/platform-actions.ts';
export { buildOpenApiDocument } from './openapi.ts';
export { assertPortFree, isPortFree, portInUseError } from './port-check.ts';
export {
  createRateLimiter,
  createSharedRateLimiter,
  type RateLimitDecision,
  type RateLimiter,
} from './rate-limiter.ts';
export { feedbackViews } from './routes/feedback-routes.ts';
export { type RunningServer, startServer } from './start-server.ts';
