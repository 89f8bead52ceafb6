-- Monitors and alerts (issue 17): monitors watch production metrics over a sliding window; a monitor that
-- fires opens one alert (firing → acknowledged → resolved; at most one open alert per monitor), whose webhook
-- notifications are delivered by `monitor-webhook` jobs. Owned by the monitor feature (src/monitor).

CREATE TABLE monitors (
  id text PRIMARY KEY,
  name text NOT NULL UNIQUE,
  kind text NOT NULL,
  -- What it watches: a use case, a source, or neither (platform-wide, e.g. daily spend of every use case).
  use_case text,
  source text,
  -- The threshold expression as written (`>0.2`, `drop>0.3`, `age>24h`).
  threshold text NOT NULL,
  window_seconds integer NOT NULL CHECK (window_seconds > 0),
  -- Baseline window for kinds compared with their own past (score-drift, cost-per-answer); null: 7 × window.
  baseline_seconds integer CHECK (baseline_seconds IS NULL OR baseline_seconds > 0),
  -- Seconds between evaluations (a monitor is due when its last evaluation is older).
  every_seconds integer NOT NULL DEFAULT 300 CHECK (every_seconds > 0),
  params jsonb NOT NULL DEFAULT '{}'::jsonb,
  webhook_url text,
  webhook_format text NOT NULL DEFAULT 'json' CHECK (webhook_format IN ('json', 'slack', 'teams')),
  -- A secret: never logged, never returned by the API (only whether one is set).
  webhook_secret text,
  -- Name of an environment variable holding the secret (configured monitors).
  webhook_secret_env text,
  -- {"incident": "sev2", "rollback": true}
  on_fire jsonb NOT NULL DEFAULT '{}'::jsonb,
  origin text NOT NULL DEFAULT 'api' CHECK (origin IN ('api', 'config')),
  enabled boolean NOT NULL DEFAULT true,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  last_evaluated_at timestamptz,
  last_value double precision,
  -- ok | firing | no_data | error
  last_state text,
  last_error text,
  -- Webhook health: ok | failing (null: nothing sent yet).
  webhook_status text,
  webhook_error text,
  webhook_failed_at timestamptz
);
CREATE INDEX monitors_use_case_idx ON monitors (use_case);

-- Every evaluation's value (sparklines, the reference value of `drop>` / `rise>`).
CREATE TABLE monitor_evaluations (
  seq bigserial PRIMARY KEY,
  monitor_id text NOT NULL REFERENCES monitors (id) ON DELETE CASCADE,
  at timestamptz NOT NULL,
  value double precision,
  reference double precision,
  state text NOT NULL CHECK (state IN ('ok', 'firing', 'no_data', 'error')),
  sample integer NOT NULL DEFAULT 0,
  details jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX monitor_evaluations_monitor_idx ON monitor_evaluations (monitor_id, at DESC);

CREATE TABLE alerts (
  id text PRIMARY KEY,
  monitor_id text NOT NULL REFERENCES monitors (id) ON DELETE CASCADE,
  monitor_name text NOT NULL,
  kind text NOT NULL,
  use_case text,
  source text,
  status text NOT NULL CHECK (status IN ('firing', 'acknowledged', 'resolved')),
  value double precision,
  reference double precision,
  threshold text NOT NULL,
  window_seconds integer NOT NULL,
  -- The data behind the alert (counts, sample size, the worst value while open).
  data jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- Example traces (ids only; shown through observe's trace access for each reader).
  example_traces text[] NOT NULL DEFAULT '{}',
  fired_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  acknowledged_at timestamptz,
  acknowledged_by text,
  resolved_at timestamptz,
  resolved_by text,
  -- auto: the monitor was healthy again; manual: someone resolved it
  resolution text CHECK (resolution IS NULL OR resolution IN ('auto', 'manual')),
  note text,
  incident_id text
);
-- Deduplication: one open (firing or acknowledged) alert per monitor.
CREATE UNIQUE INDEX alerts_one_open_idx ON alerts (monitor_id) WHERE status <> 'resolved';
CREATE INDEX alerts_status_idx ON alerts (status, fired_at DESC);

-- Webhook notifications, one per alert event; delivered (and retried with backoff) by `monitor-webhook` jobs.
CREATE TABLE alert_deliveries (
  id text PRIMARY KEY,
  alert_id text NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
  monitor_id text NOT NULL REFERENCES monitors (id) ON DELETE CASCADE,
  event text NOT NULL CHECK (event IN ('fired', 'resolved')),
  status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failing')),
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  last_status integer,
  created_at timestamptz NOT NULL,
  delivered_at timestamptz
);
CREATE INDEX alert_deliveries_alert_idx ON alert_deliveries (alert_id, created_at);
