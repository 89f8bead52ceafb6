-- Feedback users can see (issue 16, item 5): a lifecycle on feedback, its history, notices to the reporter,
-- a capability card per use case and its per-user dismissal.

-- The use case of the rated answer (copied from the trace when the feedback is recorded, so the owner inbox
-- filters without reading traces), and the lifecycle: open → planned → fixed | wont_fix, with the owner's note.
ALTER TABLE feedback ADD COLUMN use_case text;
ALTER TABLE feedback ADD COLUMN status text NOT NULL DEFAULT 'open'
  CHECK (status IN ('open', 'planned', 'fixed', 'wont_fix'));
ALTER TABLE feedback ADD COLUMN status_note text CHECK (length(status_note) <= 2000);
ALTER TABLE feedback ADD COLUMN status_by text;
ALTER TABLE feedback ADD COLUMN status_at timestamptz;
UPDATE feedback f SET use_case = t.use_case FROM traces t WHERE t.id = f.trace_id;
CREATE INDEX feedback_use_case_idx ON feedback (use_case, status, created_at DESC);
CREATE INDEX feedback_caller_idx ON feedback (caller_id, created_at DESC);

-- Every status change of a feedback entry. A change to fixed or wont_fix is a notice to the reporter until
-- they mark it seen (`seen_at`).
CREATE TABLE feedback_status_history (
  id text PRIMARY KEY,
  feedback_id text NOT NULL REFERENCES feedback (id) ON DELETE CASCADE,
  from_status text NOT NULL,
  to_status text NOT NULL,
  note text CHECK (length(note) <= 2000),
  actor text NOT NULL,
  at timestamptz NOT NULL,
  seen_at timestamptz
);
CREATE INDEX feedback_status_history_feedback_idx ON feedback_status_history (feedback_id, at);

-- The capability card ("what this assistant can and cannot do"): {canDo, cannotDo, verifyWhen}; null = derived.
ALTER TABLE use_cases ADD COLUMN card jsonb;

-- Who dismissed a use case's card (so it follows the user across browsers).
CREATE TABLE use_case_card_seen (
  use_case text NOT NULL,
  user_id text NOT NULL,
  seen_at timestamptz NOT NULL,
  PRIMARY KEY (use_case, user_id)
);
