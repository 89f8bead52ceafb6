-- Adoption: named cohorts of principals, and usage rollups fed by answer / feedback / review events.
-- Reports read only the rollups (usage_users, usage_daily), never traces. `simulated` rows come from the
-- seeded simulator (src/adoption/simulate.ts) and are excluded from reports unless asked for.

CREATE TABLE cohorts (
  name text PRIMARY KEY,
  principals text[] NOT NULL,
  description text,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- One row per answer (or abandoned stream): what feedback, retries and reviews later attach to. No text.
CREATE TABLE usage_answers (
  trace_id text PRIMARY KEY,
  use_case text NOT NULL,
  user_id text NOT NULL,
  at timestamptz NOT NULL,
  day date NOT NULL,
  refused boolean NOT NULL,
  abandoned boolean NOT NULL,
  retried boolean NOT NULL DEFAULT false,
  -- 1, -1 or null (no feedback yet)
  rating smallint,
  -- null: not reviewed; true: a reviewer overrode the answer
  overridden boolean
);
CREATE INDEX usage_answers_user ON usage_answers (use_case, user_id, at);

-- Per use case and user: first exposure (first answer), first successful answer, principals for named cohorts,
-- and the last question (hashed) for retry detection.
CREATE TABLE usage_users (
  simulated boolean NOT NULL DEFAULT false,
  use_case text NOT NULL,
  user_id text NOT NULL,
  principals text[] NOT NULL DEFAULT '{}',
  first_at timestamptz NOT NULL,
  first_success_at timestamptz,
  last_question_hash text,
  last_trace_id text,
  last_at timestamptz,
  PRIMARY KEY (simulated, use_case, user_id)
);
CREATE INDEX usage_users_principals ON usage_users USING gin (principals);

-- Per use case, user and UTC day: counters. A row exists only for a day the user asked at least once.
CREATE TABLE usage_daily (
  simulated boolean NOT NULL DEFAULT false,
  use_case text NOT NULL,
  user_id text NOT NULL,
  day date NOT NULL,
  answers integer NOT NULL DEFAULT 0,
  refused integer NOT NULL DEFAULT 0,
  abandoned integer NOT NULL DEFAULT 0,
  retried integer NOT NULL DEFAULT 0,
  rated integer NOT NULL DEFAULT 0,
  negative integer NOT NULL DEFAULT 0,
  -- answers not completed: negative feedback, retried or abandoned (each answer counted once)
  failed integer NOT NULL DEFAULT 0,
  reviewed integer NOT NULL DEFAULT 0,
  overridden integer NOT NULL DEFAULT 0,
  PRIMARY KEY (simulated, use_case, user_id, day)
);
CREATE INDEX usage_daily_day ON usage_daily (use_case, day);
