-- groundwork:requires 0170
-- (A contract step: older code reads eval_candidates.feedback_id as always set; review candidates have none.)
-- The human review queue (src/review, docs/review.md): a deterministic sample of production answers per use
-- case, stratified (low confidence, refused, negative feedback), claimed with a lease and graded by reviewers.
-- Stores ids and the grade only: question, answer and passages are read from the trace when shown, with the
-- reviewer's access checked then.
CREATE TABLE review_items (
  id text PRIMARY KEY,
  trace_id text NOT NULL UNIQUE,
  use_case text NOT NULL,
  -- Who asked: a reviewer never grades their own answer.
  asker_id text NOT NULL,
  stratum text NOT NULL CHECK (stratum IN ('base', 'refused', 'low-confidence', 'negative-feedback')),
  confidence double precision,
  refused boolean NOT NULL DEFAULT false,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'graded')),
  claimed_by text,
  lease_until timestamptz,
  verdict text CHECK (verdict IN ('correct', 'partially', 'wrong')),
  grounded boolean,
  corrected_answer text,
  reason text,
  overridden boolean,
  graded_by text,
  graded_at timestamptz,
  candidate_id text,
  sampled_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX review_items_queue_idx ON review_items (use_case, status, sampled_at);
CREATE INDEX review_items_graded_idx ON review_items (use_case, graded_at) WHERE status = 'graded';

-- A graded review can become an evaluation candidate (evaluate's table): candidates from reviews have no
-- feedback, name their review and carry the reviewer's corrected answer as the expected answer.
ALTER TABLE eval_candidates ALTER COLUMN feedback_id DROP NOT NULL;
ALTER TABLE eval_candidates ADD COLUMN review_id text UNIQUE;
ALTER TABLE eval_candidates ADD COLUMN expected_answer text;
