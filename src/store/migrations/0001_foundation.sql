-- Foundation schema: sources, documents, chunks, sync runs and quarantine.
-- Later features extend it through their own migrations; applied migrations are never edited.

CREATE TABLE sources (
  id text PRIMARY KEY,
  name text NOT NULL UNIQUE,
  type text NOT NULL,
  -- Connector settings (e.g. filesystem path, include/exclude globs, size limit).
  config jsonb NOT NULL DEFAULT '{}',
  -- ACL map: default principals, path rules, identity aliases.
  acl_map jsonb,
  -- Text-search configuration (analyzer) used for this source's lexical index.
  text_config text NOT NULL DEFAULT 'english',
  -- Connector-defined position of the last completed listing.
  cursor jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  last_sync_at timestamptz,
  last_success_at timestamptz
);

CREATE TABLE documents (
  id text PRIMARY KEY,
  source_id text NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
  -- Stable reference inside the source: a relative path, an archive member path, an attachment path.
  source_ref text NOT NULL,
  -- Archive members and e-mail attachments are children of the document that contained them.
  parent_id text REFERENCES documents (id) ON DELETE CASCADE,
  uri text NOT NULL,
  -- The source's version tag (for files: mtime and size); the content hash confirms a change.
  version text,
  content_hash text,
  title text NOT NULL DEFAULT '',
  media_type text NOT NULL DEFAULT 'application/octet-stream',
  size_bytes bigint,
  source_modified_at timestamptz,
  indexed_at timestamptz,
  -- Unified principals allowed to read (`user:…`, `group:…`). Empty = operator-only (deny by default).
  principals text[] NOT NULL DEFAULT '{}',
  principals_determined boolean NOT NULL DEFAULT false,
  sensitivity text NOT NULL DEFAULT 'internal'
    CHECK (sensitivity IN ('public', 'internal', 'confidential', 'restricted')),
  status text NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'indexed', 'quarantined', 'deleted')),
  metadata jsonb NOT NULL DEFAULT '{}',
  warnings jsonb NOT NULL DEFAULT '[]',
  -- Counts of detected PII by entity type, e.g. {"email": 2, "ssn": 1}.
  pii_summary jsonb NOT NULL DEFAULT '{}',
  chunk_count integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (source_id, source_ref)
);
CREATE INDEX documents_source_status_idx ON documents (source_id, status);
CREATE INDEX documents_parent_idx ON documents (parent_id);
CREATE INDEX documents_content_hash_idx ON documents (source_id, content_hash);

CREATE TABLE chunks (
  id text PRIMARY KEY,
  document_id text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  -- Denormalised from the document so filters (ACL, source, sensitivity) need no join at query time.
  source_id text NOT NULL,
  ordinal integer NOT NULL,
  text text NOT NULL,
  section_path text[] NOT NULL DEFAULT '{}',
  page_start integer,
  page_end integer,
  token_count integer NOT NULL,
  content_hash text NOT NULL,
  principals text[] NOT NULL DEFAULT '{}',
  sensitivity text NOT NULL DEFAULT 'internal',
  -- Detected PII spans: [{"type": "email", "start": 10, "end": 27}] (offsets into text, never values).
  pii jsonb NOT NULL DEFAULT '[]',
  embedding vector,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (document_id, ordinal)
);
CREATE INDEX chunks_principals_idx ON chunks USING gin (principals);
CREATE INDEX chunks_source_idx ON chunks (source_id);

CREATE TABLE sync_runs (
  id text PRIMARY KEY,
  source_id text NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
  status text NOT NULL CHECK (status IN ('running', 'succeeded', 'partial', 'failed', 'interrupted')),
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  -- added, updated, deleted, unchanged, quarantined, chunks, …
  counts jsonb NOT NULL DEFAULT '{}',
  error text
);
CREATE INDEX sync_runs_source_idx ON sync_runs (source_id, started_at DESC);

CREATE TABLE quarantine (
  id text PRIMARY KEY,
  source_id text NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
  source_ref text NOT NULL,
  error_code text NOT NULL,
  message text NOT NULL,
  attempts integer NOT NULL DEFAULT 1,
  first_seen_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (source_id, source_ref)
);
