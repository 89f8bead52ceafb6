-- Governance (src/govern/changes): change requests with four-eyes approval, and use-case ownership.

-- A governed change held for approval (or applied at once as an emergency, awaiting retrospective approval).
-- `before`/`after` are JSON snapshots of the target; `content_hash` = sha256 over (kind, target, before,
-- after) and every approval is bound to it. Rows are never deleted: the audit log references them by id.
CREATE TABLE change_requests (
  id text PRIMARY KEY,
  kind text NOT NULL,
  target text NOT NULL,
  -- Use cases the change affects (their approvers may approve it; their change log lists it).
  use_cases text[] NOT NULL DEFAULT '{}',
  before jsonb,
  after jsonb,
  content_hash text NOT NULL,
  -- Caller.id of the author and every identity that counts as the author (its keys' creators).
  author text NOT NULL,
  author_identities text[] NOT NULL DEFAULT '{}',
  reason text,
  eval_run_id text,
  status text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'withdrawn', 'expired', 'applied')),
  emergency boolean NOT NULL DEFAULT false,
  required_approvals integer NOT NULL CHECK (required_approvals >= 1),
  -- Principals (besides admins) who may approve: the affected use cases' approvers at request time.
  eligible_approvers text[] NOT NULL DEFAULT '{}',
  -- [{actor, identities, at, comment}] and [{actor, at, comment}].
  approvals jsonb NOT NULL DEFAULT '[]',
  rejections jsonb NOT NULL DEFAULT '[]',
  stale_reason text,
  -- What applying returned (e.g. the label move), for the author and the change log.
  result jsonb,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  decided_at timestamptz,
  applied_at timestamptz
);
CREATE INDEX change_requests_status_idx ON change_requests (status, created_at DESC);
CREATE INDEX change_requests_use_cases_idx ON change_requests USING gin (use_cases);
CREATE INDEX change_requests_target_idx ON change_requests (kind, target);

-- Use-case ownership and lifecycle. Existing use cases were already answering questions before governance
-- existed, so they start as `production` (governed); new ones start as `draft`.
ALTER TABLE use_cases
  ADD COLUMN owner text,
  ADD COLUMN approvers text[] NOT NULL DEFAULT '{}',
  ADD COLUMN on_call text,
  ADD COLUMN status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'pilot', 'production', 'retired')),
  -- Per use case policy overrides: {"requiredApprovals": 2}.
  ADD COLUMN governance jsonb NOT NULL DEFAULT '{}';
UPDATE use_cases SET status = 'production';

-- API keys granting admin or builder can be requested: the key exists from the request on (its token is
-- shown to the requester once) but authenticates only after the request is approved.
ALTER TABLE api_keys ADD COLUMN pending_change text;
