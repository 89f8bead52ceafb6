import { z } from 'zod';
import { roles } from '../caller.ts';

/**
 * The one configuration schema of the platform.
 *
 * Sources, highest first: CLI flags > environment (`GROUNDWORK_*`, `DATABASE_URL`) > config file
 * (`groundwork.config.json|yaml` or `--config FILE`) > these defaults. The defaults run the embedded store
 * with no configuration at all. Secrets are never values here: a provider names the environment variable
 * that holds its key (`apiKeyEnv`), resolved at the edge by `load-config.ts`.
 *
 * Objects are strict: an unknown key is an error (most often a typo), reported with the rest at start-up.
 */

export const sensitivityLabels = ['public', 'internal', 'confidential', 'restricted'] as const;
export type SensitivityLabel = (typeof sensitivityLabels)[number];

const envVarName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the NAME of an environment variable (e.g. OPENAI_API_KEY), not the secret itself');

export const providerTypes = ['openai', 'azure', 'anthropic', 'bedrock', 'google', 'vertex', 'openai-compatible'] as const;
export type ProviderType = (typeof providerTypes)[number];

export const providerSchema = z.strictObject({
  type: z.enum(providerTypes),
  /** Base URL for OpenAI-compatible endpoints (Ollama, vLLM, LiteLLM) and Azure resource URLs. */
  baseUrl: z.url().optional(),
  /** Name of the environment variable that holds the API key. */
  apiKeyEnv: envVarName.optional(),
  /** Azure resource name, Bedrock/Vertex region, Vertex project, as the provider needs. */
  resourceName: z.string().optional(),
  region: z.string().optional(),
  project: z.string().optional(),
  /** A trusted (local / in-house) endpoint may receive content up to `maxSensitivity` without redaction. */
  trusted: z.boolean().default(false),
  /** Highest sensitivity label this provider may receive. External providers default to `confidential`. */
  maxSensitivity: z.enum(sensitivityLabels).optional(),
  /** Replace detected PII with typed placeholders before sending. Defaults to true for untrusted providers. */
  redactPii: z.boolean().optional(),
  /** Extra headers (values are env var names, never literal secrets). */
  headerEnv: z.record(z.string(), envVarName).default({}),
});
export type ProviderConfig = z.infer<typeof providerSchema>;

/**
 * A sensitivity rule (config `protect.sensitivityRules`): documents whose path matches `match` (globs relative
 * to the source root) and/or whose metadata has every `metadata` key/value get at least `label`;
 * `override: true` pins the label exactly, even below what detected PII would demand.
 */
export const sensitivityRuleSchema = z
  .strictObject({
    match: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    metadata: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.string())])).optional(),
    label: z.enum(sensitivityLabels),
    override: z.boolean().default(false),
    description: z.string().optional(),
  })
  .refine((rule) => rule.match !== undefined || rule.metadata !== undefined, 'a rule needs `match` (path globs) or `metadata`');
export type SensitivityRule = z.infer<typeof sensitivityRuleSchema>;

/**
 * Kinds of governed change (src/govern/changes): the policy names them, each feature registers how to read
 * and apply its own.
 */
export const changeKinds = [
  'prompt.label',
  'model.label',
  'use_case.update',
  'use_case.delete',
  'source.add',
  'source.remove',
  'source.acl',
  'budget.raise',
  'key.grant',
  'criteria.change',
  'rollout.stage',
  'action.class',
  'claims.config',
  'identity.map',
] as const;
export type ChangeKindName = (typeof changeKinds)[number];

const modelRef = z.string().regex(/^[A-Za-z0-9_-]+:.+$/, 'must be "<provider>:<model>", e.g. "openai:gpt-4o-mini"');

/** A duration such as `90s`, `30m`, `24h`, `7d` (monitor windows, freshness SLOs). */
export const durationText = z
  .string()
  .regex(/^\d+(\.\d+)?\s*(s|m|h|d|w)$/, 'a duration such as 30m, 24h or 7d (units s, m, h, d, w)');

/** Kinds of monitor (src/monitor, docs/monitoring.md): what metric a monitor evaluates. */
export const monitorKinds = [
  'groundedness',
  'refusal-rate',
  'negative-feedback-rate',
  'low-confidence-rate',
  'no-result-rate',
  'score-drift',
  'stale-citations',
  'pii-in-output',
  'pii-to-provider',
  'cost-per-answer',
  'tokens-per-answer',
  'daily-spend',
  'latency-p95',
  'freshness',
  'update-lag',
  'documents-count',
  'quarantine-rate',
  'review-wrong-rate',
  'review-override-rate',
  'review-ungrounded-rate',
  'action-anomaly',
] as const;
export type MonitorKind = (typeof monitorKinds)[number];

/** One monitor as configured (`monitors:`); API-created monitors take the same fields. */
export const monitorConfigSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, - and _ (at most 63)'),
  kind: z.enum(monitorKinds),
  useCase: z.string().min(1).max(63).optional(),
  source: z.string().min(1).max(200).optional(),
  /** `>0.2`, `<0.5`, `drop>0.3`, `rise>0.5`, `age>24h` (docs/monitoring.md); some kinds have a default. */
  threshold: z.string().min(1).max(50).optional(),
  window: durationText.default('1h'),
  baseline: durationText.optional(),
  every: durationText.default('5m'),
  webhook: z.url().optional(),
  webhookFormat: z.enum(['json', 'slack', 'teams']).default('json'),
  /** Name of the environment variable holding the webhook's HMAC secret (else `monitoring.webhookSecretEnv`). */
  webhookSecretEnv: envVarName.optional(),
  params: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])).default({}),
  onFire: z
    .strictObject({
      incident: z.enum(['sev1', 'sev2', 'sev3', 'sev4']).optional(),
      rollback: z.boolean().optional(),
    })
    .default({}),
  enabled: z.boolean().default(true),
});
export type MonitorConfig = z.infer<typeof monitorConfigSchema>;

/** Classes of action (src/actions, docs/actions.md): `read` runs at once, `propose` needs approval, `auto` runs unattended. */
export const actionClasses = ['read', 'propose', 'auto'] as const;
export type ActionClass = (typeof actionClasses)[number];

/** One input field of a configured action (turned into a zod schema, listed as JSON schema). */
const actionFieldSchema = z.strictObject({
  type: z.enum(['string', 'number', 'integer', 'boolean']),
  description: z.string().max(500).optional(),
  required: z.boolean().default(true),
  maxLength: z.number().int().positive().max(100_000).optional(),
  enum: z.array(z.string().min(1)).min(1).optional(),
  /** `email`: a string field must be an e-mail address. */
  format: z.enum(['email']).optional(),
  minimum: z.number().optional(),
  maximum: z.number().optional(),
});

/** Who may invoke an action: empty lists allow everyone with `actions:propose` (admins always may). */
export const actionAllowSchema = z.strictObject({
  principals: z.array(z.string().min(1)).default([]),
  roles: z.array(z.enum(roles)).default([]),
  useCases: z.array(z.string().min(1)).default([]),
});
export type ActionAllow = z.infer<typeof actionAllowSchema>;

/** One action declared in the configuration (`actions:`): a webhook/HTTP call or an e-mail through `agents.smtp`. */
export const actionConfigSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'lower-case letters, digits and _ (at most 63), starting with a letter'),
    description: z.string().min(1).max(1000),
    class: z.enum(actionClasses).default('propose'),
    input: z
      .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,62}$/, 'an input field name such as claimId'), actionFieldSchema)
      .default({}),
    hints: z
      .strictObject({
        readOnly: z.boolean().default(false),
        destructive: z.boolean().default(false),
        idempotent: z.boolean().default(false),
      })
      .prefault({}),
    /** The input field naming what the action acts on (the anomaly monitor's "unusual targets"). */
    targetField: z.string().min(1).optional(),
    executor: z.discriminatedUnion('type', [
      z.strictObject({
        type: z.literal('webhook'),
        url: z.url(),
        method: z.enum(['POST', 'PUT', 'PATCH']).default('POST'),
        /** Body template: `{{input.field}}` is replaced by the JSON-encoded value; default: the input as JSON. */
        body: z.string().max(20_000).optional(),
        /** Header carrying the secret (e.g. Authorization) and the environment variable holding its value. */
        secretHeader: z.string().min(1).default('Authorization'),
        secretEnv: envVarName.optional(),
        timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
      }),
      z.strictObject({
        type: z.literal('email'),
        /** Templates: `{{input.field}}` is replaced by the value as text. */
        to: z.string().min(1).max(500),
        subject: z.string().min(1).max(500),
        text: z.string().min(1).max(20_000),
      }),
    ]),
    allow: actionAllowSchema.prefault({}),
  })
  .superRefine((action, ctx) => {
    if (action.targetField !== undefined && !(action.targetField in action.input)) {
      ctx.addIssue({
        code: 'custom',
        path: ['targetField'],
        message: `must name one of the input fields (${Object.keys(action.input).join(', ') || 'none'})`,
      });
    }
    const templates =
      action.executor.type === 'webhook'
        ? [action.executor.body ?? '']
        : [action.executor.to, action.executor.subject, action.executor.text];
    for (const template of templates) {
      for (const [, field] of template.matchAll(/\{\{\s*input\.([A-Za-z0-9_]+)\s*\}\}/g)) {
        if (!((field as string) in action.input))
          ctx.addIssue({
            code: 'custom',
            path: ['executor'],
            message: `the template names {{input.${field}}}, which is not an input field`,
          });
      }
    }
  });
export type ActionConfig = z.infer<typeof actionConfigSchema>;

/** An agent of one use case (opt-in): tools, step limit and budget per run. */
export const agentConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** `provider:model`; default: the use case's model, else `models.chat`. */
  model: modelRef.optional(),
  maxSteps: z.number().int().min(1).max(50).default(6),
  /** Input + output tokens per run. */
  maxTokens: z.number().int().min(100).max(10_000_000).default(50_000),
  /** USD per run (priced by observe's price table; unpriced models count tokens only). */
  maxCostUsd: z.number().positive().optional(),
  /** Actions the agent may use (default: every action the caller may invoke in the use case). */
  actions: z.array(z.string().min(1)).optional(),
  instructions: z.string().max(20_000).optional(),
});
export type AgentConfig = z.infer<typeof agentConfigSchema>;

export const configSchema = z.strictObject({
  /** Embedded store location (PGlite). Ignored when `databaseUrl` is set. */
  dataDir: z.string().min(1).default('./.groundwork'),
  /** Server mode: a PostgreSQL >= 15 with pgvector. */
  databaseUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// connection URL')
    .optional(),
  /**
   * Server mode only: a read replica (streaming standby) of `databaseUrl` for read-only queries that
   * tolerate replication lag — search and reports. Writes, migrations and everything else use `databaseUrl`.
   */
  databaseReadUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// connection URL')
    .optional(),
  log: z
    .strictObject({
      level: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('warn'),
    })
    .prefault({}),
  server: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8787),
      /** Allowed CORS origins; empty means CORS off. */
      corsOrigins: z.array(z.string()).default([]),
      bodyLimitBytes: z.number().int().positive().default(1_048_576),
      requestTimeoutMs: z.number().int().positive().default(60_000),
      /**
       * Requests under /v1 handled at once by this process; more are refused at once with 503 and Retry-After
       * (load shedding) instead of queueing until every request times out.
       */
      maxConcurrentRequests: z.number().int().positive().default(64),
      /**
       * Load shedding on queueing delay, per process (server mode): event-loop lag over this sheds every new
       * /v1 request (503 + Retry-After); a standing queue (even the fastest request of two half-second windows
       * slower than this) admits only the pool's connections' worth at once and sheds the rest, until a
       * request gets through fast again. 0 turns it off (only maxConcurrentRequests sheds).
       */
      maxQueueDelayMs: z.number().int().min(0).default(150),
      /**
       * Per-caller token bucket, shared by every process and replica on the database (one upsert per request):
       * sustained requests per second and burst size; 0 turns it off.
       */
      rateLimit: z
        .strictObject({
          requestsPerSecond: z.number().min(0).default(20),
          burst: z.number().int().positive().default(60),
        })
        .prefault({}),
    })
    .prefault({}),
  /** The CLI as an HTTP client (`--server URL`, `--api-key KEY` or GROUNDWORK_API_KEY). */
  client: z
    .strictObject({
      server: z.url().optional(),
      apiKey: z.string().optional(),
    })
    .prefault({}),
  models: z
    .strictObject({
      providers: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/), providerSchema).default({}),
      /** Default chat model for use cases that name none. Absent: answers are extractive (offline). */
      chat: modelRef.optional(),
      embedding: z
        .strictObject({
          model: modelRef,
          dimensions: z.number().int().positive().max(16000),
          batchSize: z.number().int().positive().max(2048).default(64),
        })
        .optional(),
      rerank: modelRef.optional(),
      /** Judge model for the groundedness of generated answers; absent: the offline lexical/numeric check only. */
      judge: modelRef.optional(),
    })
    .prefault({}),
  /** Sources registered through the HTTP API (the CLI operator on the server is not restricted). */
  sources: z
    .strictObject({
      /**
       * Folders under which sources (and their ACL maps) may be added over the HTTP API; paths must resolve
       * inside one of them after `realpath` (symlinks followed). Empty (the default): the API refuses to add
       * sources, so a builder key cannot index arbitrary server files such as /etc.
       */
      allowedRoots: z.array(z.string().min(1)).default([]),
      /**
       * Environment variables that connectors' `…Env` settings (S3 keys, SQL connection strings) may name when
       * a source is added over the HTTP API. Empty (the default): API-added sources cannot use secrets, so a
       * builder key cannot point a connector at any secret of the server (e.g. DATABASE_URL).
       */
      allowedSecretEnv: z.array(z.string().min(1)).default([]),
      /**
       * Origins (`https://intranet.example.com`) that sources added over the HTTP API may contact: the pages
       * and sitemaps of a web source, a custom S3 endpoint. Empty (the default): the API cannot add web sources
       * nor S3 sources with an endpoint, so a builder key cannot make the server probe internal hosts.
       */
      allowedWebOrigins: z.array(z.string().min(1)).default([]),
    })
    /**
     * Per source (by name): `sources.<name>.freshnessSlo` — the longest the last successful sync may be ago
     * (`24h`, `90m`, `7d`), watched by `freshness` monitors (src/monitor, docs/monitoring.md).
     */
    .catchall(
      // (The array member only types `allowedRoots` beside the index signature; the refinement below refuses
      // an array under any other key, e.g. a misspelt `allowedRoot`.)
      z.union([z.strictObject({ freshnessSlo: durationText.optional() }), z.array(z.string())]),
    )
    .superRefine((value, context) => {
      for (const [key, entry] of Object.entries(value)) {
        if (key !== 'allowedRoots' && key !== 'allowedSecretEnv' && key !== 'allowedWebOrigins' && Array.isArray(entry)) {
          context.addIssue({
            code: 'custom',
            path: [key],
            message: `unknown key "${key}" (sources.<name> takes { freshnessSlo }, and the only list is allowedRoots)`,
          });
        }
      }
    })
    .prefault({}),
  ingest: z
    .strictObject({
      maxFileBytes: z
        .number()
        .int()
        .positive()
        .default(100 * 1024 * 1024),
      /**
       * Most chunks one document (a file, an archive member, an attachment) may have; a document that needs
       * more is quarantined whole with `ingest.too_large`. 10,000 chunks of 350 tokens hold a manual of
       * 4,600 dense (500-word) to 7,600 ordinary (300-word) pages (docs/configuration.md); beyond that a single
       * file is a log or a data dump that would drown every search in near-identical passages.
       */
      maxChunksPerDocument: z.number().int().positive().max(1_000_000).default(10_000),
      /** Longest a file may take without progress: a whole file without pages, the time to a PDF's first page. */
      parseTimeoutMs: z.number().int().positive().default(120_000),
      /**
       * Longest one page of a PDF may take (its text, and OCR when it needs it); a slower page is skipped with a
       * warning and the rest of the document indexed, so a long PDF is not bound by `parseTimeoutMs` as a whole.
       */
      pageTimeoutMs: z.number().int().positive().default(60_000),
      /** Longest any one file may take however steadily it progresses (a cap for huge, slow documents). */
      documentTimeoutMs: z.number().int().positive().default(1_800_000),
      concurrency: z.number().int().positive().max(64).default(2),
      ocr: z
        .strictObject({
          enabled: z.boolean().default(true),
          /** Minimum characters of text on a PDF page before it counts as having a text layer. */
          minPageChars: z.number().int().nonnegative().default(20),
        })
        .prefault({}),
      chunking: z
        .strictObject({
          targetTokens: z.number().int().min(32).max(8192).default(350),
          overlapTokens: z.number().int().min(0).max(2048).default(50),
        })
        .prefault({}),
      zip: z
        .strictObject({
          maxEntries: z.number().int().positive().default(10_000),
          maxTotalBytes: z
            .number()
            .int()
            .positive()
            .default(1024 * 1024 * 1024),
          maxRatio: z.number().positive().default(200),
          maxDepth: z.number().int().nonnegative().default(2),
        })
        .prefault({}),
      /** Extra PII patterns (e.g. policy or claim numbers): name → regular expression source. */
      piiPatterns: z.record(z.string(), z.string()).default({}),
    })
    .prefault({}),
  protect: z
    .strictObject({
      /** Label of documents no rule, sidecar or detected PII says anything about. */
      defaultSensitivity: z.enum(sensitivityLabels).default('internal'),
      sensitivityRules: z.array(sensitivityRuleSchema).default([]),
      /** Minimum label per PII type (built-in or custom pattern name), over the built-in table. */
      piiSensitivity: z.record(z.string(), z.enum(sensitivityLabels)).default({}),
    })
    .prefault({}),
  retrieval: z
    .strictObject({
      k1: z.number().positive().default(0.9),
      b: z.number().min(0).max(1).default(0.4),
      textConfig: z.string().default('english'),
      /** Domain vocabulary: term → equivalent terms/phrases, applied to queries. */
      synonyms: z.record(z.string(), z.array(z.string())).default({}),
      lexicalDepth: z.number().int().positive().default(100),
      vectorDepth: z.number().int().positive().default(100),
      fusion: z.enum(['rrf', 'weighted']).default('rrf'),
      rrfK: z.number().positive().default(60),
      lexicalWeight: z.number().min(0).default(0.5),
      /** BM25 engine: `auto` uses pg_textsearch when present, else portable postings (same analyzer and k1/b). */
      lexicalEngine: z.enum(['auto', 'portable', 'pg_textsearch']).default('auto'),
      /** Vector search is exact (no HNSW) when at most this many chunks are visible to the query. */
      exactVectorBelow: z.number().int().nonnegative().default(1_000),
      /** Candidates sent to the rerank model (hybrid/vector/lexical top results). */
      rerankDepth: z.number().int().positive().max(1000).default(50),
    })
    .prefault({}),
  observe: z
    .strictObject({
      /** How question and answer text are kept in traces. */
      textRetention: z.enum(['keep', 'redact', 'drop']).default('redact'),
      retentionDays: z.number().int().positive().default(90),
      otlpEndpoint: z.url().optional(),
      /** LLMOps tuning: trace buffering, context-window flagging, prices (src/observe). */
      recorder: z
        .strictObject({
          /** Spans held in memory at most; beyond it new spans are dropped and counted. */
          maxBufferedSpans: z.number().int().positive().default(10_000),
          /** Flush when this many spans are buffered, or every `flushIntervalMs`. */
          flushBatchSize: z.number().int().positive().default(500),
          flushIntervalMs: z.number().int().positive().default(1_000),
        })
        .prefault({}),
      /** A request whose context uses more than this share of the model's window is flagged. */
      contextWarnRatio: z.number().gt(0).max(1).default(0.9),
      /** Price overrides in USD; merged over the dated built-in table (src/observe/prices.ts). */
      prices: z
        .strictObject({
          /** Key `provider:model` or `model`. */
          models: z
            .record(
              z.string(),
              z.strictObject({
                inputPerMillion: z.number().min(0).optional(),
                outputPerMillion: z.number().min(0).optional(),
                /** Rerank models: price per search. */
                perSearch: z.number().min(0).optional(),
              }),
            )
            .default({}),
          /** OCR compute estimate per page. */
          ocrPerPage: z.number().min(0).optional(),
        })
        .prefault({}),
    })
    .prefault({}),
  /** Evaluation: bootstrap settings, scheduled runs and drift alerts (src/evaluate, docs/evaluation.md). */
  evaluation: z
    .strictObject({
      /** Paired-bootstrap resamples for run comparisons (seeded, deterministic). */
      bootstrapResamples: z.number().int().min(100).max(100_000).default(2000),
      bootstrapSeed: z.number().int().default(1),
      /** Webhook (POST, JSON) for drift alerts; absent: alerts are only recorded. */
      alertWebhookUrl: z.url().optional(),
      /** Scheduled runs executed by the job queue; a drop beyond `dropThreshold` raises an alert. */
      schedules: z
        .array(
          z.strictObject({
            name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'lower-case letters, digits, - and _'),
            dataset: z.string().min(1),
            /** Cron expression (pg-boss schedule), e.g. "0 3 1 * *" = 03:00 on the 1st of each month. */
            cron: z.string().min(9).default('0 3 1 * *'),
            useCase: z.string().optional(),
            mode: z.enum(['retrieval', 'answer']).default('retrieval'),
            /** Metrics to watch, e.g. ["ndcg@10", "recall@10"]. */
            metrics: z.array(z.string()).default(['ndcg@10', 'recall@10', 'precision@5']),
            /** Absolute drop (in metric units) that raises an alert. */
            dropThreshold: z.number().positive().default(0.05),
          }),
        )
        .default([]),
    })
    .prefault({}),
  /**
   * Background work on the job queue (src/jobs, src/worker.ts, docs/operations.md "Workers"): per job type
   * concurrency and retries, heartbeats, maintenance and shutdown of `groundwork worker`.
   */
  jobs: z
    .strictObject({
      /**
       * Per job type (`sync-source`, `evaluation-scheduled-run`, …) overrides of the defaults in
       * src/jobs/contracts.ts. Retry settings are read by the process that enqueues, the rest by workers.
       */
      types: z
        .record(
          z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a job type such as sync-source'),
          z.strictObject({
            /** Jobs of this type one worker process runs at once. */
            concurrency: z.number().int().min(1).max(64).optional(),
            /** Attempts after the first before the job goes to the dead letters. */
            retryLimit: z.number().int().min(0).max(100).optional(),
            /** Seconds before the first retry; doubled per attempt (with jitter) when retryBackoff. */
            retryDelaySeconds: z.number().int().min(0).max(86_400).optional(),
            retryBackoff: z.boolean().optional(),
            /** A job whose worker sent no heartbeat for this long is failed and retried (min 10). */
            heartbeatSeconds: z.number().int().min(10).max(3600).optional(),
            /** Longest a job may run before it is failed and retried. */
            expireInSeconds: z.number().int().min(1).max(86_400).optional(),
          }),
        )
        .default({}),
      /** How often an idle worker looks for jobs (seconds). */
      pollingIntervalSeconds: z.number().min(0.5).max(60).default(2),
      /**
       * How often workers run queue maintenance (seconds): jobs of dead workers (missed heartbeats) and
       * expired jobs are failed and retried. Any one worker does it; the others skip the pass.
       */
      maintenanceIntervalSeconds: z.number().int().min(1).max(3600).default(30),
      /** How often workers look for due schedules (seconds, 1–45); a schedule fires once per occurrence. */
      cronIntervalSeconds: z.number().int().min(1).max(45).default(30),
      /** SIGTERM: stop fetching, let running jobs finish this long, then release them for a retry. */
      shutdownTimeoutSeconds: z.number().int().min(1).max(3600).default(30),
      /**
       * Whether `groundwork serve` also consumes the queue in its own process. `auto`: on the embedded
       * store only (one process holds it, so no separate worker can); server mode runs `groundwork worker`.
       */
      serveWorker: z.enum(['auto', 'on', 'off']).default('auto'),
    })
    .prefault({}),
  auth: z
    .strictObject({
      oidc: z
        .strictObject({
          issuer: z.url(),
          audience: z.string(),
          jwksUrl: z.url().optional(),
          principalsClaim: z.string().default('groups'),
          principalPrefix: z.string().default('group:'),
          /** Claim naming the user (mapped to `user:<value>`); falls back to `sub`. */
          userClaim: z.string().default('email'),
          /** Claim holding role names or groups; mapped to Groundwork roles through `roleMapping`. */
          rolesClaim: z.string().default('roles'),
          /** Claim value → Groundwork role; the most privileged match wins. */
          roleMapping: z.record(z.string(), z.enum(roles)).default({}),
          /** Role of a verified token whose claims match no mapping. */
          defaultRole: z.enum(roles).default('viewer'),
          clientId: z.string().optional(),
        })
        .optional(),
    })
    .prefault({}),
  /**
   * Four-eyes change requests (docs/governance.md): which changes need approval, by how many distinct people,
   * how long a request stays open, and how the local CLI operator is treated.
   */
  /** Monitors from the configuration (reconciled into the monitors table at each evaluation). */
  monitors: z.array(monitorConfigSchema).default([]),
  /** Monitor evaluation and alert notifications (src/monitor, docs/monitoring.md). */
  monitoring: z
    .strictObject({
      /** Cron (UTC) of the `monitors-evaluate` job: evaluates every due monitor. */
      schedule: z.string().min(9).default('* * * * *'),
      /** Default HMAC secret of webhooks, by environment variable name. */
      webhookSecretEnv: envVarName.optional(),
      /** Timeout of one webhook POST. */
      webhookTimeoutMs: z.number().int().min(100).max(60_000).default(10_000),
      /**
       * SSRF guard: webhooks to loopback, private, link-local and unique-local addresses are refused unless
       * this is true (tests and single-machine installs with a local receiver).
       */
      allowPrivateWebhooks: z.boolean().default(false),
      /** If non-empty, webhook hosts must be one of these (exact host names, or `*.example.com`). */
      webhookAllowedHosts: z.array(z.string().min(1)).default([]),
      /** Days of evaluation history kept per monitor (sparklines, the reference of drop>/rise>); older rows are pruned. */
      historyDays: z.number().int().min(1).max(3650).default(30),
      /** Use cases whose policy allows monitors with `onFire.rollback` to roll production labels back automatically. */
      autoRollbackUseCases: z.array(z.string().min(1)).default([]),
    })
    .prefault({}),
  governance: z
    .strictObject({
      /** Kinds of change that become a change request instead of taking effect (remove one to let it through). */
      governedKinds: z.array(z.enum(changeKinds)).default([...changeKinds]),
      /** Distinct approvers (never the author) a request needs; a use case may ask for more, never fewer. */
      requiredApprovals: z.number().int().min(1).max(10).default(1),
      /** Per-kind override of `requiredApprovals`. */
      requiredApprovalsByKind: z.partialRecord(z.enum(changeKinds), z.number().int().min(1).max(10)).default({}),
      /** Moving these labels of a prompt or model configuration is governed; other labels move directly. */
      protectedLabels: z.array(z.string().min(1)).default(['production']),
      /** Hours until an undecided request expires (and can no longer be approved). Default 7 days. */
      requestTtlHours: z.number().positive().max(8760).default(168),
      /**
       * The unauthenticated local operator (the CLI on the machine, a loopback server before any key exists)
       * already owns the database: `direct` applies its changes at once with an audit record flagged
       * `direct: true`; `request` makes it file change requests like everyone else.
       */
      localOperator: z.enum(['direct', 'request']).default('direct'),
      /** Label moves of these kinds need `evalRunId`: a finished evaluation run that passed (off by default). */
      requireEvalRunFor: z.array(z.enum(['prompt.label', 'model.label'])).default([]),
    })
    .prefault({}),
  /**
   * The human review queue (src/review, docs/review.md): which share of production answers is sampled for
   * review, per stratum, and per use case overrides. Decided from a hash of the trace id (reproducible).
   */
  review: z
    .strictObject({
      /** Share of ordinary answers sampled (0–1). */
      sampleRate: z.number().min(0).max(1).default(0.05),
      /** Share of answers with confidence below `lowConfidenceBelow`. */
      lowConfidenceRate: z.number().min(0).max(1).default(0.5),
      lowConfidenceBelow: z.number().min(0).max(1).default(0.5),
      /** Share of refused answers. */
      refusedRate: z.number().min(0).max(1).default(0.2),
      /** Share of answers that got negative feedback (sampled when the feedback arrives). */
      negativeFeedbackRate: z.number().min(0).max(1).default(1),
      /** How long `review next` holds an item for the reviewer who claimed it. */
      leaseMinutes: z.number().positive().max(1440).default(15),
      /** Per use case overrides of the rates above. */
      useCases: z
        .record(
          z.string(),
          z.strictObject({
            sampleRate: z.number().min(0).max(1).optional(),
            lowConfidenceRate: z.number().min(0).max(1).optional(),
            lowConfidenceBelow: z.number().min(0).max(1).optional(),
            refusedRate: z.number().min(0).max(1).optional(),
            negativeFeedbackRate: z.number().min(0).max(1).optional(),
          }),
        )
        .default({}),
    })
    .prefault({}),
  /** The claims workflow (src/claims, docs/claims.md): who sees claims, upload limit, where claim files live. */
  claims: z
    .strictObject({
      /** The group every claim document is readable by (plus the assigned adjuster `user:<adjuster>`). */
      group: z.string().min(1).default('group:claims'),
      /** Principals of senior adjusters: see every claim, decide senior-review claims, accept any claim. */
      seniorPrincipals: z.array(z.string().min(1)).default(['group:claims-senior']),
      /** Principals of the special investigations unit: see and decide SIU referrals, record fraud outcomes. */
      siuPrincipals: z.array(z.string().min(1)).default(['group:siu']),
      /** Largest document upload (POST /v1/claims/:id/documents), bytes. */
      maxUploadBytes: z
        .number()
        .int()
        .positive()
        .default(20 * 1024 * 1024),
      /** Folder of the claims-documents source (one folder per claim); default `<dataDir>/claims-documents`. */
      documentsDir: z.string().min(1).optional(),
      /** Sources holding policy documents (policy terms are searched only there); empty: every other source. */
      policySources: z.array(z.string().min(1)).default([]),
    })
    .prefault({}),
  /** Phased rollout (docs/rollout.md). */
  rollout: z
    .strictObject({
      /** Refuse a stage expansion (at approval/apply time) unless all the use case's success criteria are on track. */
      requireCriteriaOnTrack: z.boolean().default(false),
    })
    .prefault({}),
  /** Actions agents may propose or take (src/actions, docs/actions.md). */
  actions: z.array(actionConfigSchema).default([]),
  /** Agents per use case, proposals and graduation (src/actions, docs/actions.md). */
  agents: z
    .strictObject({
      /** Hours until an undecided proposal expires. */
      proposalTtlHours: z.number().positive().max(8760).default(72),
      /** The record an action needs before it may graduate to `auto`. */
      graduation: z
        .strictObject({
          minApproved: z.number().int().min(0).default(50),
          maxEdits: z.number().int().min(0).default(0),
          maxDenials: z.number().int().min(0).default(0),
        })
        .prefault({}),
      /** SMTP for `email` executors (nodemailer). */
      smtp: z
        .strictObject({
          host: z.string().min(1),
          port: z.number().int().min(1).max(65535).default(587),
          secure: z.boolean().default(false),
          userEnv: envVarName.optional(),
          passwordEnv: envVarName.optional(),
          from: z.string().min(3),
        })
        .optional(),
      useCases: z.record(z.string().min(1), agentConfigSchema).default({}),
    })
    .prefault({}),
});

export type GroundworkConfig = z.infer<typeof configSchema>;
/** Input shape (before defaults), as written in files. */
export type GroundworkConfigInput = z.input<typeof configSchema>;
