/**
 * The connector definition: one folder under `src/ingest/sources/<kind>/` exports one `ConnectorDefinition`, and
 * one registration line adds it to the registry. The CLI (`sources add NAME --type KIND --setting key=value…`
 * or `--settings FILE`), the HTTP API and the Sources page are generic over `settingsSchema`.
 *
 * Secrets are never stored: a settings key ending in `Env` (e.g. `secretAccessKeyEnv`, `clientSecretEnv`) holds
 * the NAME of an environment variable, resolved with `deps.secrets` when the source is created.
 */
import type { z } from 'zod';
import type { Clock, Logger, SecretResolver } from '../../core/index.ts';
import type { Source, SourceCapabilities } from './source.ts';

/** How a settings field is shown and entered (the Sources page and `sources add --help` read these). */
export interface ConnectorSettingHint {
  readonly key: string;
  readonly label: string;
  readonly description: string;
  /** `env`: the value is an environment-variable name holding a secret (never the secret itself). */
  readonly kind: 'string' | 'number' | 'boolean' | 'list' | 'env' | 'path' | 'url';
  readonly required: boolean;
  readonly example?: string;
}

export interface ConnectorDeps {
  readonly secrets: SecretResolver;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Injected for tests against loopback fakes; defaults to the global fetch. */
  readonly fetch?: typeof fetch;
  /** Folder paths relative to this (CLI cwd) are made absolute. */
  readonly cwd?: string;
  /**
   * Set when the source is added over the HTTP API (config `sources.allowedRoots`): folders must resolve inside
   * one of these. Absent (the operator's CLI): no restriction.
   */
  readonly allowedRoots?: readonly string[];
  /**
   * Set when the source is added over the HTTP API (config `sources.allowedWebOrigins`): every URL the source
   * would contact on a user-given address (a crawled site, an S3 endpoint) must have one of these origins
   * (`assertAllowedOrigins`). Absent (the operator's CLI): no restriction.
   */
  readonly allowedOrigins?: readonly string[];
  /** Largest item a sync fetches (bytes, config `ingest.maxFileBytes`); larger items fail with `ingest.too_large`. */
  readonly maxFileBytes?: number;
  /** Aborts a listing or fetch in flight (the sync's signal). */
  readonly signal?: AbortSignal;
}

export interface ConnectorDefinition<Settings = Record<string, unknown>> {
  /** The `--type` value and the `sources.type` column, e.g. `filesystem`, `s3`, `sharepoint`, `sql`, `web`. */
  readonly kind: string;
  readonly title: string;
  readonly description: string;
  /** zod schema of the stored settings (strict: unknown keys are a clear error). */
  readonly settingsSchema: z.ZodType<Settings>;
  readonly settingHints: readonly ConnectorSettingHint[];
  /** Declared capabilities (incremental cursor, deletes, permissions, renames); the source reports the same. */
  readonly capabilities: SourceCapabilities & { readonly deletes: boolean };
  /**
   * Checks settings that need more than the schema (a reachable endpoint is NOT checked here; `test` does that).
   * Returns the settings to store (e.g. a path made absolute).
   */
  normalize?(settings: Settings, deps: ConnectorDeps): Promise<Settings> | Settings;
  /** Creates the Source for one sync. Throws a coded GroundworkError for a missing secret. */
  create(settings: Settings, deps: ConnectorDeps): Source | Promise<Source>;
}
