export { type Caller, callerWithPrincipals, canonicalPrincipal, localOperator, type Role, roles } from './caller.ts';
export { type Clock, fixedClock, systemClock } from './clock.ts';
export {
  type Environment,
  type LoadConfigOptions,
  type LoadedConfig,
  loadConfig,
  type SecretResolver,
} from './config/load-config.ts';
export * from './config/schema.ts';
export { coreErrorCodes } from './error-codes.ts';
export {
  type ErrorCategory,
  type ErrorCodeEntry,
  type ErrorCodeTable,
  GroundworkError,
  type GroundworkErrorOptions,
  isGroundworkError,
  toGroundworkError,
} from './errors.ts';
export { createEventBus, type EventBus, type EventName, type GroundworkEventMap } from './events.ts';
export { type IdGenerator, newId } from './ids.ts';
export { createLogger, type Logger, type LogLevel, redactForLog, silentLogger } from './logger.ts';
export {
  type ActiveSpan,
  createTracer,
  type SpanAttributes,
  type SpanContext,
  type SpanRecord,
  type Tracer,
} from './tracing.ts';
export { groundworkVersion } from './version.ts';
export { malformedText, textProblem } from './well-formed-text.ts';
