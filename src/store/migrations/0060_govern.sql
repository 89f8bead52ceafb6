-- Governance: API keys, the tamper-evident audit log, and feedback on answers.

CREATE TABLE api_keys (
  id text PRIMARY KEY,
  name text NOT NULL,
  -- Public, non-secret part of the token (`gw_<lookup>_…`), shown in lists so a leaked key can be recognised.
  lookup text NOT NULL UNIQUE,
  -- sha256 (hex) of the whole token; the token itself is shown once and never stored.
  secret_hash text NOT NULL,
  role text NOT NULL CHECK (role IN ('viewer', 'user', 'reviewer', 'builder', 'admin')),
  principals text[] NOT NULL DEFAULT '{}',
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  revoked_at timestamptz,
  revoked_by text,
  last_used_at timestamptz
);

-- Append-only audit log with a hash chain: every entry carries the hash of the previous one.
CREATE TABLE audit_log (
  seq bigint PRIMARY KEY,
  id text NOT NULL UNIQUE,
  at timestamptz NOT NULL,
  actor text NOT NULL,
  action text NOT NULL,
  target text,
  before jsonb,
  after jsonb,
  request_id text,
  prev_hash text NOT NULL,
  hash text NOT NULL
);
CREATE INDEX audit_log_action_idx ON audit_log (action, seq);
CREATE INDEX audit_log_actor_idx ON audit_log (actor, seq);

-- The chain head: one row, locked FOR UPDATE by every append, so appends are serialised across processes.
CREATE TABLE audit_head (
  id integer PRIMARY KEY CHECK (id = 1),
  seq bigint NOT NULL,
  hash text NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, repeat('0', 64));

CREATE FUNCTION audit_log_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_reject_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_reject_change();

-- Feedback on answers. `trace_id` references a trace recorded by observe (no foreign key: traces may be
-- pruned by retention while feedback is kept for evaluation datasets).
CREATE TABLE feedback (
  id text PRIMARY KEY,
  trace_id text NOT NULL,
  caller_id text NOT NULL,
  rating smallint NOT NULL CHECK (rating IN (-1, 1)),
  category text CHECK (category IN ('wrong', 'incomplete', 'outdated', 'unhelpful', 'citation', 'harmful', 'other')),
  comment text CHECK (length(comment) <= 4000),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (trace_id, caller_id)
);
CREATE INDEX feedback_created_idx ON feedback (created_at DESC);
