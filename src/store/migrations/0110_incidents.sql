-- Incidents (issue 15, item 4): what went wrong with a use case, how bad (sev1 worst .. sev4), where it stands
-- (open → triaged → mitigated → resolved), its timeline (notes, status and severity changes, links, rollbacks)
-- and what it is linked to (traces, feedback, change requests). Owned by the incidents feature; every write
-- also appends to the hash-chained audit log in the same transaction.
CREATE TABLE incidents (
  id text PRIMARY KEY,
  title text NOT NULL,
  severity text NOT NULL CHECK (severity IN ('sev1', 'sev2', 'sev3', 'sev4')),
  status text NOT NULL CHECK (status IN ('open', 'triaged', 'mitigated', 'resolved')),
  -- The affected use case, by name (no foreign key: a deleted use case keeps its incident history).
  use_case text,
  description text NOT NULL DEFAULT '',
  opened_by text NOT NULL,
  opened_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  resolved_at timestamptz,
  resolved_by text,
  -- What happened, why, and what prevents it next time; required to resolve sev1 and sev2.
  post_incident_note text
);
CREATE INDEX incidents_use_case_idx ON incidents (use_case, opened_at DESC);
CREATE INDEX incidents_status_idx ON incidents (status, opened_at DESC);

-- The timeline, append-only by convention (the feature never updates or deletes a row).
CREATE TABLE incident_events (
  seq bigserial PRIMARY KEY,
  incident_id text NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  at timestamptz NOT NULL,
  actor text NOT NULL,
  -- opened | note | status | severity | link | unlink | rollback | resolved
  kind text NOT NULL,
  note text,
  data jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX incident_events_incident_idx ON incident_events (incident_id, seq);

-- Links: ids only. What a linked trace or feedback says is shown through its own feature's access rules.
CREATE TABLE incident_links (
  incident_id text NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('trace', 'feedback', 'change')),
  ref text NOT NULL,
  added_by text NOT NULL,
  added_at timestamptz NOT NULL,
  PRIMARY KEY (incident_id, kind, ref)
);
CREATE INDEX incident_links_ref_idx ON incident_links (kind, ref);
