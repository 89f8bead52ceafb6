-- groundwork:requires 0140
-- (A contract step: code before it writes use-case status `production`, which this renames to `general`.)
-- Phased rollout (src/rollout, docs/rollout.md). The stage lives in ONE place, use_cases.status:
-- draft → pilot (named cohorts) → limited (cohorts + a sticky percentage) → general, plus retired.
-- `production` (migration 0100) is what `general` is now called.
ALTER TABLE use_cases DROP CONSTRAINT IF EXISTS use_cases_status_check;
UPDATE use_cases SET status = 'general' WHERE status = 'production';
ALTER TABLE use_cases
  ADD CONSTRAINT use_cases_status_check CHECK (status IN ('draft', 'pilot', 'limited', 'general', 'retired'));

-- Rollout settings of a use case (owned by src/rollout): who is in the pilot/limited audience and the kill switch.
CREATE TABLE rollout_settings (
  use_case text PRIMARY KEY REFERENCES use_cases (name) ON DELETE CASCADE,
  cohorts text[] NOT NULL DEFAULT '{}',
  -- Share of the audience (0–100, fractions allowed) admitted in `limited`, by a salted hash of the user id.
  percent double precision NOT NULL DEFAULT 0 CHECK (percent >= 0 AND percent <= 100),
  -- Per use case, fixed at creation: the sticky buckets never move (raising the percent never removes anyone).
  salt text NOT NULL,
  killed boolean NOT NULL DEFAULT false,
  kill_message text,
  killed_by text,
  killed_at timestamptz,
  updated_by text,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- One row, bumped by every rollout write: each process polls it (at most every second) as the safety net when
-- a LISTEN/NOTIFY invalidation is lost.
CREATE TABLE rollout_version (
  id integer PRIMARY KEY CHECK (id = 1),
  version bigint NOT NULL
);
INSERT INTO rollout_version (id, version) VALUES (1, 0);
