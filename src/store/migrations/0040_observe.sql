-- Observability: traces and spans recorded from `span-end` events, budgets per use case and their events.
-- Traces keep ids and scores of retrieved chunks, never chunk text; question/answer text per retention policy.

CREATE TABLE traces (
  id text PRIMARY KEY,
  -- search | answer | sync | evaluation | ingest (from `groundwork.operation`, else the root span name).
  operation text NOT NULL,
  name text NOT NULL,
  caller_id text,
  caller_sees_everything boolean NOT NULL DEFAULT false,
  use_case text,
  prompt_version text,
  model text,
  provider text,
  started_at timestamptz NOT NULL,
  ended_at timestamptz NOT NULL,
  duration_ms double precision NOT NULL,
  status text NOT NULL CHECK (status IN ('ok', 'error')),
  -- answered | refused | error | ok (non-answer operations) | blocked (budget)
  outcome text NOT NULL,
  error_code text,
  -- Sums over the trace's spans (kept current when late spans arrive).
  input_tokens bigint NOT NULL DEFAULT 0,
  output_tokens bigint NOT NULL DEFAULT 0,
  embedding_tokens bigint NOT NULL DEFAULT 0,
  cost_usd double precision NOT NULL DEFAULT 0,
  confidence double precision,
  context_near_limit boolean NOT NULL DEFAULT false,
  -- Stored per `observe.textRetention` (keep / redact / drop): NULL when dropped.
  question text,
  answer text,
  text_retention text NOT NULL DEFAULT 'drop',
  -- Root span attributes without question/answer text.
  attributes jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX traces_started_idx ON traces (started_at DESC);
CREATE INDEX traces_use_case_idx ON traces (use_case, started_at DESC);
CREATE INDEX traces_caller_idx ON traces (caller_id, started_at DESC);

CREATE TABLE spans (
  trace_id text NOT NULL,
  span_id text NOT NULL,
  parent_span_id text,
  name text NOT NULL,
  started_at timestamptz NOT NULL,
  ended_at timestamptz NOT NULL,
  duration_ms double precision NOT NULL,
  status text NOT NULL CHECK (status IN ('ok', 'error')),
  error_code text,
  error_message text,
  model text,
  provider text,
  input_tokens bigint NOT NULL DEFAULT 0,
  output_tokens bigint NOT NULL DEFAULT 0,
  embedding_tokens bigint NOT NULL DEFAULT 0,
  cost_usd double precision NOT NULL DEFAULT 0,
  context_near_limit boolean NOT NULL DEFAULT false,
  attributes jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (trace_id, span_id)
);
CREATE INDEX spans_started_idx ON spans (started_at);

-- Budgets per use case in US dollars; NULL means no limit for that period.
CREATE TABLE budgets (
  use_case text PRIMARY KEY,
  daily_usd double precision CHECK (daily_usd IS NULL OR daily_usd >= 0),
  monthly_usd double precision CHECK (monthly_usd IS NULL OR monthly_usd >= 0),
  warn_ratio double precision NOT NULL DEFAULT 0.8 CHECK (warn_ratio > 0 AND warn_ratio <= 1),
  block boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text NOT NULL
);

-- One row per (use case, kind, period): a budget warns or blocks once per day/month, not per request.
CREATE TABLE budget_events (
  id text PRIMARY KEY,
  use_case text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('warned', 'blocked')),
  -- `day:2026-11-25` or `month:2026-11`
  period text NOT NULL,
  spent_usd double precision NOT NULL,
  limit_usd double precision NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (use_case, kind, period)
);
