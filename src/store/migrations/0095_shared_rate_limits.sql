-- Per-caller rate limits shared by every API process and replica on this database (issue 14): one token
-- bucket per key, taken in one atomic upsert per request. UNLOGGED: no WAL for a counter that may be lost
-- on a crash (after one, every bucket starts full again, which only forgives a burst); nothing to replicate.
CREATE UNLOGGED TABLE rate_limit_buckets (
  key text PRIMARY KEY,
  tokens double precision NOT NULL,
  updated_at timestamptz NOT NULL,
  -- Whether the last take was allowed (RETURNING cannot see the value before the update).
  allowed boolean NOT NULL
);
CREATE INDEX rate_limit_buckets_updated_at ON rate_limit_buckets (updated_at);
