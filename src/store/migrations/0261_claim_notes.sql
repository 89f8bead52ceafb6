-- Claim notes and tier changes (the claims built-in actions create_claim_note / set_claim_tier, issue 19):
-- each stored once per idempotency key (the action proposal's), with its author and, for tier changes, the
-- approver and the reason.
CREATE TABLE claim_notes (
  id text PRIMARY KEY,
  claim_id text NOT NULL REFERENCES claims (id) ON DELETE CASCADE,
  note text NOT NULL,
  author text NOT NULL,
  idempotency_key text UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX claim_notes_claim_idx ON claim_notes (claim_id, created_at);

CREATE TABLE claim_tier_changes (
  id text PRIMARY KEY,
  claim_id text NOT NULL REFERENCES claims (id) ON DELETE CASCADE,
  tier_before text,
  tier_after text NOT NULL CHECK (tier_after IN ('fast_track', 'standard', 'senior_review', 'siu_referral')),
  reason text NOT NULL,
  actor text NOT NULL,
  approved_by text,
  idempotency_key text UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX claim_tier_changes_claim_idx ON claim_tier_changes (claim_id, created_at);
