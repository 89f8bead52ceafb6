-- Agent actions under human approval (src/actions, docs/actions.md): durable proposals with their state machine
-- proposed → approved | denied | expired → executing → executed | failed, the stored invocation policy, class
-- overrides from graduation (governed), anomaly pauses of auto-execution, and the notes of the built-in
-- `create_note` action. Every transition is also an entry in the audit chain.
CREATE TABLE action_proposals (
  id text PRIMARY KEY,
  action text NOT NULL,
  -- The class it was invoked under (read / propose / auto); `auto` rows paused by the anomaly monitor are `propose`.
  action_class text NOT NULL CHECK (action_class IN ('read', 'propose', 'auto')),
  use_case text,
  -- The value of the action's target field (what it acts on): the anomaly monitor's "unusual targets".
  target text,
  status text NOT NULL CHECK (status IN ('proposed', 'approved', 'denied', 'expired', 'executing', 'executed', 'failed')),
  input jsonb NOT NULL,
  original_input jsonb NOT NULL,
  -- sha256 of the canonical JSON of the current input: what an approval is bound to.
  input_hash text NOT NULL,
  edits jsonb NOT NULL DEFAULT '[]'::jsonb,
  reasoning text,
  -- [{documentId, chunkId?}]: shown to approvers only where they may read the document now.
  evidence jsonb NOT NULL DEFAULT '[]'::jsonb,
  -- Who proposed (an agent is `agent:<use case>`), the caller whose permissions it acts with, on whose behalf.
  proposer_id text NOT NULL,
  actor jsonb NOT NULL,
  on_behalf_of text,
  trace_id text,
  approved_by text,
  approver jsonb,
  -- sha256 over (proposal id, action, input hash): the single-use approval.
  approval_hash text,
  decided_at timestamptz,
  denied_by text,
  decision_note text,
  idempotency_key text NOT NULL UNIQUE,
  attempts integer NOT NULL DEFAULT 0,
  result jsonb,
  error_code text,
  error_message text,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  executing_at timestamptz,
  finished_at timestamptz
);
CREATE INDEX action_proposals_status_idx ON action_proposals (status, created_at);
CREATE INDEX action_proposals_action_idx ON action_proposals (action, created_at);
CREATE INDEX action_proposals_proposer_idx ON action_proposals (proposer_id, action, created_at);

-- Stored policy: who may invoke an action (replaces the configured `allow` of that action).
CREATE TABLE action_policies (
  action text PRIMARY KEY,
  allow jsonb NOT NULL,
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The class an action graduated to (the governed `action.class` change), over its declared class.
CREATE TABLE action_class_overrides (
  action text PRIMARY KEY,
  action_class text NOT NULL CHECK (action_class IN ('read', 'propose', 'auto')),
  changed_by text NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT now()
);

-- Auto-execution paused by the anomaly monitor (shared by every process): `auto` invocations become proposals.
CREATE TABLE action_pauses (
  action text PRIMARY KEY,
  reason text NOT NULL,
  alert_id text,
  details jsonb NOT NULL DEFAULT '{}'::jsonb,
  paused_at timestamptz NOT NULL DEFAULT now()
);

-- Notes of the built-in `create_note` action (one per idempotency key: a re-run writes nothing twice).
CREATE TABLE action_notes (
  id text PRIMARY KEY,
  use_case text NOT NULL,
  text text NOT NULL,
  author text NOT NULL,
  idempotency_key text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);
