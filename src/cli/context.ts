import type { Command } from 'commander';
import {
  type Environment,
  type GroundworkError,
  isGroundworkError,
  type LoadedConfig,
  loadConfig,
  toGroundworkError,
} from '../core/index.ts';
import { type CreatePlatformOptions, createPlatform, type Platform } from '../create-platform.ts';
import { ApiClient } from './api-client.ts';
import { exitCodeFor, exitCodes } from './exit-codes.ts';
import { Output } from './output.ts';

/** Global flags every command accepts. */
export interface GlobalOptions {
  dataDir?: string;
  databaseUrl?: string;
  config?: string;
  json?: boolean;
  quiet?: boolean;
  /** `--server URL`: use the HTTP API instead of the store. */
  server?: string;
  apiKey?: string;
}

export interface CliIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly env: Environment;
  readonly cwd: string;
}

/** What a command's action receives: its output channel, and the config and platform on demand. */
export interface CommandContext {
  readonly output: Output;
  readonly globals: GlobalOptions;
  readonly io: CliIo;
  config(): LoadedConfig;
  /** Opens the store (applying migrations) once per command; closed when the command ends. */
  platform(options?: CreatePlatformOptions): Promise<Platform>;
  /**
   * The HTTP client when `--server URL` (or `client.server` / GROUNDWORK_SERVER_URL) is given, else
   * undefined: commands branch on it — `const api = context.api(); if (api) … else … platform()`.
   */
  api(): ApiClient | undefined;
}

/** A command action returns its exit code (default 0). */
export type CommandAction<A extends unknown[]> = (context: CommandContext, ...args: A) => Promise<number | undefined>;

export class CliRuntime {
  exitCode: number = exitCodes.ok;
  readonly io: CliIo;
  constructor(io: CliIo) {
    this.io = io;
  }

  /** Wraps a command action: builds its context, maps errors to messages and exit codes, closes resources. */
  action<A extends unknown[]>(run: CommandAction<A>): (...args: unknown[]) => Promise<void> {
    return async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const globals = command.optsWithGlobals() as GlobalOptions;
      const output = new Output({
        json: Boolean(globals.json),
        quiet: Boolean(globals.quiet),
        stdout: this.io.stdout,
        stderr: this.io.stderr,
      });
      let loaded: LoadedConfig | undefined;
      let platform: Promise<Platform> | undefined;
      const context: CommandContext = {
        output,
        globals,
        io: this.io,
        config: () => {
          loaded ??= loadConfig({
            env: this.io.env,
            cwd: this.io.cwd,
            configFile: globals.config,
            flags: {
              dataDir: globals.dataDir,
              databaseUrl: globals.databaseUrl,
              client: { server: globals.server, apiKey: globals.apiKey },
            },
          });
          return loaded;
        },
        platform: (options) => {
          platform ??= createPlatform(context.config(), options);
          return platform;
        },
        api: () => {
          const { client } = context.config().config;
          return client.server ? new ApiClient(client.server, client.apiKey) : undefined;
        },
      };
      try {
        this.exitCode = (await run(context, ...(args.slice(0, -1) as A))) ?? exitCodes.ok;
      } catch (error) {
        this.exitCode = reportError(output, toGroundworkError(error));
      } finally {
        if (platform) await (await platform.catch(() => undefined))?.close().catch(() => {});
      }
    };
  }
}

export function reportError(output: Output, error: GroundworkError): number {
  if (output.json) output.result({ error: error.toJSON() }, () => '');
  output.error(`${error.toHuman()}${isGroundworkError(error) && error.code ? `\n(code: ${error.code})` : ''}`);
  if (error.code === 'internal.unexpected' && error.cause instanceof Error && error.cause.stack) {
    output.error(error.cause.stack);
  }
  return exitCodeFor(error);
}
