-- Ingestion pipeline bookkeeping: sidecar versions, run ids on documents, run heartbeats, embedding cache.

-- Version of the document's sidecar (`<file>.meta.json`), so a changed sidecar re-applies metadata.
ALTER TABLE documents ADD COLUMN sidecar_version text;
-- The sync run that last wrote the document (for "what did this run change").
ALTER TABLE documents ADD COLUMN run_id text;
-- Resolved sidecar contents, kept so a metadata-only change can be re-applied without re-parsing.
ALTER TABLE documents ADD COLUMN sidecar jsonb;

-- Who runs a sync (process id and host) and when it last showed signs of life: a run whose process is gone
-- is marked `interrupted` by the next sync of the same source.
ALTER TABLE sync_runs ADD COLUMN pid integer;
ALTER TABLE sync_runs ADD COLUMN host text;
ALTER TABLE sync_runs ADD COLUMN heartbeat_at timestamptz;
ALTER TABLE sync_runs ADD COLUMN trigger text NOT NULL DEFAULT 'cli';

ALTER TABLE quarantine ADD COLUMN run_id text;
CREATE INDEX quarantine_source_code_idx ON quarantine (source_id, error_code);

-- Embeddings keyed by chunk text hash and model, so unchanged text is never embedded twice.
CREATE TABLE embedding_cache (
  content_hash text NOT NULL,
  model text NOT NULL,
  dimensions integer NOT NULL,
  embedding vector NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (content_hash, model, dimensions)
);
