-- Evaluation: versioned datasets of cases, runs with their configuration snapshot, per-case results
-- (with the principals each case was asked as, so viewers only see cases they could have asked),
-- run labels, production candidates, and drift alerts of scheduled runs.

CREATE TABLE eval_datasets (
  id text PRIMARY KEY,
  name text NOT NULL,
  -- 1, 2, 3 … per name: a new import of the same name is a new version; runs reference the version.
  version integer NOT NULL,
  description text NOT NULL DEFAULT '',
  -- jsonl | csv | beir | candidates
  origin text NOT NULL,
  case_count integer NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (name, version)
);

CREATE TABLE eval_cases (
  id text PRIMARY KEY,
  dataset_id text NOT NULL REFERENCES eval_datasets (id) ON DELETE CASCADE,
  ordinal integer NOT NULL,
  -- The case's id in its source file (BEIR query id, JSONL "id"), for reports.
  external_id text NOT NULL,
  question text NOT NULL,
  reference_answer text,
  -- Resolved Groundwork document ids (references by source path are resolved at import).
  relevant_document_ids text[] NOT NULL DEFAULT '{}',
  -- Graded relevance per document id (BEIR qrels); absent ids count 1.
  relevance jsonb NOT NULL DEFAULT '{}',
  relevant_chunk_ids text[] NOT NULL DEFAULT '{}',
  relevant_pages integer[] NOT NULL DEFAULT '{}',
  expect_refusal boolean NOT NULL DEFAULT false,
  tags text[] NOT NULL DEFAULT '{}',
  -- The principals to ask as; empty = as an operator who sees everything.
  principals text[] NOT NULL DEFAULT '{}',
  UNIQUE (dataset_id, ordinal)
);

CREATE TABLE eval_runs (
  id text PRIMARY KEY,
  dataset_id text NOT NULL REFERENCES eval_datasets (id) ON DELETE CASCADE,
  status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
  -- retrieval | answer
  mode text NOT NULL,
  use_case text,
  -- Use case settings, prompt version, model, retrieval settings, k, repeat.
  config jsonb NOT NULL,
  -- Document and chunk counts and a fingerprint over document ids and content hashes.
  index_state jsonb NOT NULL,
  -- Aggregates: metric → { mean, n, std, min, max }.
  metrics jsonb NOT NULL DEFAULT '{}',
  labels text[] NOT NULL DEFAULT '{}',
  -- Set for runs started by a schedule (drift tracking compares consecutive runs of one schedule).
  schedule_name text,
  trace_id text,
  case_count integer NOT NULL DEFAULT 0,
  error text,
  created_by text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX eval_runs_started_idx ON eval_runs (started_at DESC);
CREATE INDEX eval_runs_schedule_idx ON eval_runs (schedule_name, started_at DESC);
CREATE INDEX eval_runs_labels_idx ON eval_runs USING gin (labels);

CREATE TABLE eval_case_results (
  run_id text NOT NULL REFERENCES eval_runs (id) ON DELETE CASCADE,
  case_id text NOT NULL REFERENCES eval_cases (id) ON DELETE CASCADE,
  -- 0 … repeat-1: generative cases may be sampled several times.
  sample integer NOT NULL DEFAULT 0,
  -- Copied from the case: a viewer sees this row only when it holds all of them (or sees everything).
  principals text[] NOT NULL DEFAULT '{}',
  -- metric → value; absent = not applicable to this case.
  metrics jsonb NOT NULL DEFAULT '{}',
  -- Ranked document ids returned (at most 100).
  retrieved_document_ids text[] NOT NULL DEFAULT '{}',
  answer text,
  citations jsonb NOT NULL DEFAULT '[]',
  refused boolean,
  latency_ms double precision NOT NULL,
  cost_usd double precision,
  trace_id text,
  error text,
  PRIMARY KEY (run_id, case_id, sample)
);
CREATE INDEX eval_case_results_principals_idx ON eval_case_results USING gin (principals);

-- Traces with negative feedback become candidate cases; a human accepts (into a dataset) or rejects them.
CREATE TABLE eval_candidates (
  id text PRIMARY KEY,
  -- One candidate per trace and feedback.
  feedback_id text NOT NULL UNIQUE,
  trace_id text NOT NULL,
  question text,
  answer text,
  category text,
  comment text,
  principals text[] NOT NULL DEFAULT '{}',
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected')),
  dataset_id text REFERENCES eval_datasets (id) ON DELETE SET NULL,
  decided_by text,
  decided_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX eval_candidates_status_idx ON eval_candidates (status, created_at DESC);

-- A metric of a scheduled run dropped beyond the threshold versus the schedule's previous run.
CREATE TABLE eval_alerts (
  id text PRIMARY KEY,
  schedule_name text NOT NULL,
  run_id text NOT NULL REFERENCES eval_runs (id) ON DELETE CASCADE,
  previous_run_id text NOT NULL,
  metric text NOT NULL,
  previous_value double precision NOT NULL,
  current_value double precision NOT NULL,
  drop_amount double precision NOT NULL,
  -- pending | delivered | failed | none (no webhook configured)
  delivery text NOT NULL DEFAULT 'none',
  delivery_error text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX eval_alerts_created_idx ON eval_alerts (created_at DESC);
