import nodemailer from 'nodemailer';
import { z } from 'zod';
import {
  type ActionAllow,
  type ActionClass,
  type ActionConfig,
  type Caller,
  type Clock,
  type GroundworkConfig,
  GroundworkError,
  newId,
  type SecretResolver,
} from '../core/index.ts';
import type { Database, Queryable } from '../store/index.ts';

/**
 * The actions registry: an action is a declared tool — name, description, zod input schema (listed as JSON
 * schema), an executor, a class (`read` | `propose` | `auto`) and MCP-style hints. Actions come from the
 * configuration (`actions:` — webhook/HTTP calls and e-mails) and from features, which register built-ins in
 * code with `registerBuiltinAction` (the claims feature's "create a claim note"; `create_note` ships here).
 */

export interface ActionHints {
  readonly readOnly: boolean;
  readonly destructive: boolean;
  readonly idempotent: boolean;
}

/** What an executor receives besides the input. */
export interface ExecutionContext {
  readonly db: Database;
  /** Stable per proposal: a re-run after a crash passes the same key (webhooks: header `Idempotency-Key`). */
  readonly idempotencyKey: string;
  readonly proposalId: string;
  /** The caller whose permissions the action runs with (the proposer, or the user an agent acts for). */
  readonly actor: Caller;
  /** Who approved it (null for `read` / `auto`). */
  readonly approvedBy: string | null;
  readonly useCase: string | null;
  readonly secrets: SecretResolver;
  readonly smtp: GroundworkConfig['agents']['smtp'];
  readonly clock: Clock;
}

export interface ActionDefinition {
  readonly name: string;
  readonly description: string;
  readonly input: z.ZodType;
  readonly class: ActionClass;
  readonly hints: ActionHints;
  /** The input field naming what the action acts on (anomaly monitor: unusual targets). */
  readonly targetField?: string;
  /** Who may invoke it when no stored policy replaces this (default: everyone with actions:propose). */
  readonly allow?: Partial<ActionAllow>;
  readonly source: 'config' | 'builtin';
  /** What it does: e-mail, webhook or a description of the built-in (shown to approvers). */
  readonly executorKind: string;
  /**
   * Checked when the action is proposed or invoked, after the input is validated: may this caller act on this
   * input at all (e.g. the claim it names)? Throws a GroundworkError to refuse (nothing is stored).
   */
  readonly precheck?: (
    context: { readonly db: Database; readonly actor: Caller; readonly clock: Clock },
    input: unknown,
  ) => Promise<void>;
  execute(context: ExecutionContext, input: unknown): Promise<unknown>;
}

export type BuiltinAction = Omit<ActionDefinition, 'source'>;

const builtins = new Map<string, BuiltinAction>();

/**
 * Registers a built-in action (features call it at composition, e.g. the claims feature's claim note). A
 * name registered twice is a programming error.
 */
export function registerBuiltinAction(action: BuiltinAction): void {
  if (builtins.has(action.name)) throw new Error(`action ${action.name} is registered twice`);
  builtins.set(action.name, action);
}

export interface ActionRegistry {
  /** Every action, built-ins first. */
  all(): readonly ActionDefinition[];
  get(name: string): ActionDefinition | undefined;
  /** The action or `actions.unknown_action`. */
  require(name: string): ActionDefinition;
}

export function unknownAction(name: string): GroundworkError {
  return new GroundworkError('actions.unknown_action', `There is no action "${name}" that you may invoke.`, {
    category: 'not_found',
    fix: 'List the actions you may invoke with `groundwork actions list` (GET /v1/actions).',
    details: { action: name },
  });
}

/** The registry of a platform: the built-ins registered so far plus the configured actions. */
export function createActionRegistry(configured: readonly ActionConfig[]): ActionRegistry {
  const byName = new Map<string, ActionDefinition>();
  for (const action of builtins.values()) byName.set(action.name, { ...action, source: 'builtin' });
  for (const config of configured) {
    if (byName.has(config.name)) {
      throw new GroundworkError('actions.duplicate_action', `Two actions are named "${config.name}".`, {
        category: 'usage',
        fix: 'Rename one of the actions in the configuration (`actions:`).',
      });
    }
    byName.set(config.name, configuredAction(config));
  }
  return {
    all: () => [...byName.values()],
    get: (name) => byName.get(name),
    require(name) {
      const found = byName.get(name);
      if (!found) throw unknownAction(name);
      return found;
    },
  };
}

/** The zod schema of a configured action's input fields. */
export function inputSchemaOf(fields: ActionConfig['input']): z.ZodType {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, field] of Object.entries(fields)) {
    let schema: z.ZodType;
    if (field.type === 'boolean') schema = z.boolean();
    else if (field.type === 'string') {
      if (field.enum) schema = z.enum(field.enum as [string, ...string[]]);
      else {
        let s = field.format === 'email' ? z.email() : z.string().min(1);
        s = s.max(field.maxLength ?? 10_000);
        schema = s;
      }
    } else {
      let n = field.type === 'integer' ? z.number().int() : z.number();
      if (field.minimum !== undefined) n = n.min(field.minimum);
      if (field.maximum !== undefined) n = n.max(field.maximum);
      schema = n;
    }
    if (field.description) schema = schema.describe(field.description);
    shape[name] = field.required ? schema : schema.optional();
  }
  return z.strictObject(shape);
}

/** `{{input.field}}` replaced by `encode(value)`; an absent field becomes `encode(null)`. */
export function renderTemplate(template: string, input: unknown, encode: (value: unknown) => string): string {
  const values = (input ?? {}) as Record<string, unknown>;
  return template.replace(/\{\{\s*input\.([A-Za-z0-9_]+)\s*\}\}/g, (_, key: string) => encode(values[key] ?? null));
}

const asText = (value: unknown) => (value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value));

export function executorFailed(action: string, message: string, details: Record<string, unknown> = {}): GroundworkError {
  return new GroundworkError('actions.executor_failed', `Action "${action}" failed: ${message}`, {
    category: 'unavailable',
    isRetryable: true,
    fix: 'Fix the receiving system, then retry it: `groundwork actions retry ID` (POST /v1/proposals/:id/retry).',
    details,
  });
}

function configuredAction(config: ActionConfig): ActionDefinition {
  const executor = config.executor;
  const base = {
    name: config.name,
    description: config.description,
    input: inputSchemaOf(config.input),
    class: config.class,
    hints: config.hints,
    ...(config.targetField ? { targetField: config.targetField } : {}),
    allow: config.allow,
    source: 'config' as const,
  };
  if (executor.type === 'webhook') {
    return {
      ...base,
      executorKind: `webhook ${executor.method} ${new URL(executor.url).host}`,
      async execute(context, input) {
        const body = executor.body ? renderTemplate(executor.body, input, (v) => JSON.stringify(v)) : JSON.stringify(input);
        const headers: Record<string, string> = {
          'content-type': 'application/json',
          'idempotency-key': context.idempotencyKey,
          'x-groundwork-proposal': context.proposalId,
        };
        if (executor.secretEnv) {
          const secret = context.secrets(executor.secretEnv);
          if (secret) headers[executor.secretHeader.toLowerCase()] = secret;
        }
        let response: Response;
        try {
          response = await fetch(executor.url, {
            method: executor.method,
            headers,
            body,
            redirect: 'error',
            signal: AbortSignal.timeout(executor.timeoutMs),
          });
        } catch (error) {
          throw executorFailed(config.name, `the webhook could not be reached (${(error as Error).message})`);
        }
        const text = (await response.text().catch(() => '')).slice(0, 4000);
        if (!response.ok)
          throw executorFailed(config.name, `the webhook answered ${response.status}`, { status: response.status });
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : null;
        } catch {}
        return { status: response.status, body: parsed };
      },
    };
  }
  return {
    ...base,
    executorKind: 'email',
    async execute(context, input) {
      const smtp = context.smtp;
      if (!smtp) {
        throw new GroundworkError(
          'actions.smtp_not_configured',
          `Action "${config.name}" sends e-mail but agents.smtp is not configured.`,
          {
            category: 'unavailable',
            fix: 'Configure agents.smtp (host, port, from; userEnv/passwordEnv name the credentials).',
          },
        );
      }
      const user = smtp.userEnv ? context.secrets(smtp.userEnv) : undefined;
      const pass = smtp.passwordEnv ? context.secrets(smtp.passwordEnv) : undefined;
      const transport = nodemailer.createTransport({
        host: smtp.host,
        port: smtp.port,
        secure: smtp.secure,
        ...(user ? { auth: { user, pass: pass ?? '' } } : {}),
        ignoreTLS: !smtp.secure && smtp.host === '127.0.0.1',
        connectionTimeout: 10_000,
      });
      try {
        // The Message-ID derives from the idempotency key: a re-send after a crash is recognisably the same message.
        const sent = await transport.sendMail({
          from: smtp.from,
          to: renderTemplate(executor.to, input, asText),
          subject: renderTemplate(executor.subject, input, asText),
          text: renderTemplate(executor.text, input, asText),
          messageId: `<${context.idempotencyKey}@groundwork.actions>`,
          headers: { 'Idempotency-Key': context.idempotencyKey },
        });
        return { messageId: sent.messageId, accepted: sent.accepted.map(String) };
      } catch (error) {
        throw executorFailed(config.name, `the e-mail could not be sent (${(error as Error).message})`);
      } finally {
        transport.close();
      }
    },
  };
}

/** The notes `create_note` stored on a use case, newest first. */
export async function listNotes(
  db: Queryable,
  useCase: string,
): Promise<Array<{ id: string; text: string; author: string; createdAt: Date }>> {
  const { rows } = await db.query<{ id: string; text: string; author: string; created_at: Date }>(
    'SELECT id, text, author, created_at FROM action_notes WHERE use_case = $1 ORDER BY created_at DESC, id DESC',
    [useCase],
  );
  return rows.map((r) => ({ id: r.id, text: r.text, author: r.author, createdAt: r.created_at }));
}

/** The built-in `create_note`: a harmless action that stores a note on a use case (idempotent by key). */
registerBuiltinAction({
  name: 'create_note',
  description: 'Store a short note on a use case (for its owners to read). Harmless: it changes nothing else.',
  input: z.strictObject({
    useCase: z.string().min(1).max(128).describe('the use case the note is about'),
    text: z.string().min(1).max(2000).describe('the note'),
  }),
  class: 'propose',
  hints: { readOnly: false, destructive: false, idempotent: true },
  targetField: 'useCase',
  executorKind: 'built-in: stores a note on the use case',
  async execute(context, input) {
    const { useCase, text } = input as { useCase: string; text: string };
    const { rows } = await context.db.query<{ id: string }>(
      `INSERT INTO action_notes (id, use_case, text, author, idempotency_key) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (idempotency_key) DO UPDATE SET idempotency_key = EXCLUDED.idempotency_key RETURNING id`,
      [newId('note'), useCase, text, context.actor.id, context.idempotencyKey],
    );
    return { noteId: rows[0]?.id };
  },
});
