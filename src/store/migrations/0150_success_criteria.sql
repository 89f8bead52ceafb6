-- Adoption, issue 16 items 1 and 4: success criteria per use case, their measurements, cached per-period
-- snapshots of the computed usage metrics, and program-health reviews (src/adoption/criteria.ts, health.ts).

-- A success criterion: what success of a use case means, defined before launch. `source` follows the metric:
-- usage (a metric computed from the usage rollups), eval (`eval:<metric>` of the use case's evaluation runs)
-- or manual (`manual:<name>`, values recorded with a date). Changes go through change requests past draft.
CREATE TABLE success_criteria (
  use_case text NOT NULL,
  id text NOT NULL,
  metric text NOT NULL,
  source text NOT NULL CHECK (source IN ('usage', 'eval', 'manual')),
  unit text,
  baseline double precision,
  target double precision NOT NULL,
  direction text NOT NULL CHECK (direction IN ('up', 'down')),
  owner text,
  cadence text NOT NULL CHECK (cadence IN ('daily', 'weekly', 'monthly')),
  -- The day the target is due (optional): after it a criterion not met is missed.
  due date,
  description text,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (use_case, id)
);

-- Manually recorded values of `manual:` criteria, one per criterion and day (recording a day again replaces it).
CREATE TABLE criteria_measurements (
  use_case text NOT NULL,
  criterion_id text NOT NULL,
  day date NOT NULL,
  value double precision NOT NULL,
  note text,
  recorded_by text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (use_case, criterion_id, day),
  FOREIGN KEY (use_case, criterion_id) REFERENCES success_criteria (use_case, id) ON DELETE CASCADE
);

-- The computed usage metrics of a use case at the end of a complete cadence period, snapshotted the first time
-- criteria are evaluated after the period ended (so progress lines do not recompute old periods).
CREATE TABLE usage_metric_snapshots (
  simulated boolean NOT NULL,
  use_case text NOT NULL,
  cadence text NOT NULL,
  period_start date NOT NULL,
  period_end date NOT NULL,
  metrics jsonb NOT NULL,
  computed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (simulated, use_case, cadence, period_start)
);

-- Program-health reviews: the decision taken on a use case, with the flags it was taken on.
CREATE TABLE use_case_reviews (
  id text PRIMARY KEY,
  use_case text NOT NULL,
  decision text NOT NULL CHECK (decision IN ('continue', 'fix', 'pivot', 'stop')),
  notes text NOT NULL DEFAULT '',
  flags jsonb NOT NULL DEFAULT '[]',
  reviewer text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX use_case_reviews_use_case ON use_case_reviews (use_case, created_at DESC);
