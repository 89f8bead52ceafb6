-- Domain vocabulary (issue 20 item 5, src/vocabulary, docs/vocabulary.md): synonyms and acronyms per use case
-- ('' = every use case), applied at query time as query expansion in lexical search. Every change is a new
-- version (vocabulary_versions). Owned by vocabulary.
CREATE TABLE vocabulary_entries (
  use_case text NOT NULL DEFAULT '',
  -- Lower-cased, whitespace collapsed: one entry per term and use case.
  term text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('synonym', 'acronym')),
  expansions text[] NOT NULL CHECK (cardinality(expansions) > 0),
  version bigint NOT NULL,
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (use_case, term)
);

CREATE TABLE vocabulary_versions (
  version bigserial PRIMARY KEY,
  use_case text NOT NULL,
  term text NOT NULL,
  action text NOT NULL CHECK (action IN ('add', 'update', 'remove')),
  before jsonb,
  after jsonb,
  actor text NOT NULL,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX vocabulary_versions_term_idx ON vocabulary_versions (use_case, term, version);
