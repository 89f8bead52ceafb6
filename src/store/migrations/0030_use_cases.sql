-- Use cases (src/answer): named answering configurations — sources, retrieval settings, prompt, model,
-- generation settings, refusal threshold and who may use them. `default` exists out of the box.
CREATE TABLE use_cases (
  name text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
  description text NOT NULL DEFAULT '',
  -- Source ids or names it may search; empty = all sources.
  sources text[] NOT NULL DEFAULT '{}',
  -- {k, mode, synonyms, filters}; absent keys use the retriever's defaults.
  retrieval jsonb NOT NULL DEFAULT '{}',
  -- Inline instructions (NULL = built-in); prompt_ref is reserved for versioned prompts (name, label production).
  prompt text,
  prompt_ref text,
  -- "provider:model", 'extractive', or NULL = models.chat (extractive when none is configured).
  model text,
  temperature real NOT NULL DEFAULT 0 CHECK (temperature >= 0 AND temperature <= 2),
  max_output_tokens integer NOT NULL DEFAULT 800 CHECK (max_output_tokens > 0),
  context_window integer NOT NULL DEFAULT 16000 CHECK (context_window > 0),
  style text NOT NULL DEFAULT 'concise' CHECK (style IN ('concise', 'detailed', 'bullets')),
  -- NULL = the calibrated default (docs/answers.md).
  refusal_threshold real CHECK (refusal_threshold IS NULL OR (refusal_threshold >= 0 AND refusal_threshold <= 1)),
  -- Principals allowed to ask through it; empty = everyone.
  principals text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO use_cases (name, description)
VALUES ('default', 'All sources the caller can read; the configured chat model, or extractive answers when none is configured.');
