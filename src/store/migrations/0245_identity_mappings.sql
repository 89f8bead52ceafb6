-- Identity mapping across sources (issue 20 item 3, src/govern/identity-mappings, docs/identity-mapping.md):
-- source identities (`ad:S-1-5-21-…`, `ad:corp\claims`, `entra:<object id>`, `legacy:adj`, `sql:role:claims_rw`)
-- mapped to unified principals (`group:claims`, `user:ana@example.com`). Applied to documents' principals at
-- sync and to callers' principals at authentication. Every change is a new version (identity_mapping_versions);
-- edits are governed (`identity.map`). Owned by govern.
CREATE TABLE identity_mappings (
  -- Canonical `system:id`, lower-cased (directories compare SIDs, names and object ids case-insensitively).
  source_identity text PRIMARY KEY,
  system text NOT NULL,
  principals text[] NOT NULL CHECK (cardinality(principals) > 0),
  note text,
  -- The version (identity_mapping_versions.version) that last changed this mapping.
  version bigint NOT NULL,
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Append-only history: one row per change of one source identity (before/after null = absent).
CREATE TABLE identity_mapping_versions (
  version bigserial PRIMARY KEY,
  source_identity text NOT NULL,
  before_principals text[],
  after_principals text[],
  note text,
  actor text NOT NULL,
  reason text,
  change_request_id text,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX identity_mapping_versions_identity_idx ON identity_mapping_versions (source_identity, version);
