-- Prompt and model-configuration versions: immutable versions, movable labels, and a history of every change.
-- `kind` separates prompts (a template) from model configurations (provider, model, parameters).

CREATE TABLE prompt_versions (
  kind text NOT NULL CHECK (kind IN ('prompt', 'model')),
  name text NOT NULL,
  version integer NOT NULL CHECK (version > 0),
  -- prompt: {"template": "...", "variables": ["question", "context"]}
  -- model:  {"provider": "openai", "model": "gpt-4o-mini", "parameters": {"temperature": 0}}
  body jsonb NOT NULL,
  content_hash text NOT NULL,
  message text NOT NULL,
  author text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (kind, name, version)
);

CREATE TABLE prompt_labels (
  kind text NOT NULL,
  name text NOT NULL,
  label text NOT NULL,
  version integer NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text NOT NULL,
  PRIMARY KEY (kind, name, label),
  FOREIGN KEY (kind, name, version) REFERENCES prompt_versions (kind, name, version)
);

-- Who changed what, when and why: version created, label moved, rolled back. Rollback reads label history here.
CREATE TABLE prompt_events (
  seq bigserial PRIMARY KEY,
  kind text NOT NULL,
  name text NOT NULL,
  action text NOT NULL CHECK (action IN ('create', 'label', 'rollback')),
  label text,
  from_version integer,
  to_version integer,
  actor text NOT NULL,
  reason text,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX prompt_events_name_idx ON prompt_events (kind, name, seq);
