-- Claims workflow (src/claims, docs/claims.md): claims and their documents (the documents themselves are
-- ingest's, in the `claims-documents` source, with the claim's ACL), versioned assessments, versioned claims
-- configuration, adjuster reviews and field edits, SIU outcomes, and imported claims history.
CREATE TABLE claims (
  id text PRIMARY KEY,
  claim_number text NOT NULL UNIQUE,
  policy_number text,
  line_of_business text NOT NULL DEFAULT 'auto',
  loss_date date,
  reported_date date,
  region text,
  damage_type text,
  claimant_name text,
  -- Policy facts from outside the documents (effective/expiry dates, coverage increase, cancellation notice).
  policy jsonb NOT NULL DEFAULT '{}',
  status text NOT NULL DEFAULT 'open'
    CHECK (status IN ('open', 'needs_information', 'assessed', 'decided', 'closed')),
  assigned_adjuster text,
  tier text CHECK (tier IN ('fast_track', 'standard', 'senior_review', 'siu_referral')),
  outcome text CHECK (outcome IN ('covered', 'not_covered', 'needs_information')),
  -- What is missing (field names, document types, quarantined files) while status is needs_information.
  missing jsonb NOT NULL DEFAULT '[]',
  latest_assessment_id text,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  assigned_at timestamptz,
  first_document_at timestamptz,
  determined_at timestamptz,
  decided_at timestamptz
);
CREATE INDEX claims_queue_idx ON claims (tier, assigned_adjuster, status);

-- One row per file of a claim; document_id is ingest's document once indexed (null while quarantined).
CREATE TABLE claim_documents (
  claim_id text NOT NULL REFERENCES claims (id) ON DELETE CASCADE,
  source_ref text NOT NULL,
  file_name text NOT NULL,
  document_id text,
  -- photo: a text-less JPEG/PNG/TIFF read by the claims workflow (EXIF, caption), not an unreadable document.
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'indexed', 'quarantined', 'photo')),
  error_code text,
  error_message text,
  size_bytes bigint,
  added_by text NOT NULL,
  added_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (claim_id, source_ref)
);
CREATE INDEX claim_documents_document_idx ON claim_documents (document_id);

-- Versioned claims configuration (ClaimsConfig as JSON); the highest version is current.
CREATE TABLE claim_config_versions (
  version integer PRIMARY KEY,
  config jsonb NOT NULL,
  comment text,
  created_by text NOT NULL,
  change_id text,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Every `claims process` run stores a new assessment (version 1, 2, … per claim).
CREATE TABLE claim_assessments (
  id text PRIMARY KEY,
  claim_id text NOT NULL REFERENCES claims (id) ON DELETE CASCADE,
  version integer NOT NULL,
  config_version integer NOT NULL,
  prompt_version integer,
  assessment jsonb NOT NULL,
  tier text NOT NULL,
  outcome text NOT NULL,
  confidence double precision NOT NULL,
  fraud_score double precision NOT NULL,
  usage jsonb,
  cost_usd double precision NOT NULL DEFAULT 0,
  ocr_pages integer NOT NULL DEFAULT 0,
  duration_ms integer NOT NULL DEFAULT 0,
  trace_id text,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (claim_id, version)
);

-- The adjuster's decision on an assessment: accept, edit fields, or override the outcome (reason code).
CREATE TABLE claim_reviews (
  id text PRIMARY KEY,
  claim_id text NOT NULL REFERENCES claims (id) ON DELETE CASCADE,
  assessment_id text NOT NULL,
  action text NOT NULL CHECK (action IN ('accept', 'edit', 'override')),
  assessed_outcome text NOT NULL,
  outcome text NOT NULL,
  tier text NOT NULL,
  reason_code text,
  comment text,
  -- Accepted as assessed: no edit, no override.
  unchanged boolean NOT NULL,
  reviewer text NOT NULL,
  candidate_id text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX claim_reviews_claim_idx ON claim_reviews (claim_id, created_at);
CREATE INDEX claim_reviews_time_idx ON claim_reviews (created_at);

CREATE TABLE claim_field_edits (
  id text PRIMARY KEY,
  review_id text NOT NULL REFERENCES claim_reviews (id) ON DELETE CASCADE,
  claim_id text NOT NULL REFERENCES claims (id) ON DELETE CASCADE,
  field text NOT NULL,
  before_value jsonb,
  after_value jsonb,
  edited_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- SIU (or adjuster) outcome of a fraud flag: the ground truth of fraud-flag precision.
CREATE TABLE claim_siu_outcomes (
  claim_id text PRIMARY KEY REFERENCES claims (id) ON DELETE CASCADE,
  outcome text NOT NULL CHECK (outcome IN ('fraud_confirmed', 'not_fraud')),
  flagged boolean NOT NULL,
  comment text,
  recorded_by text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);

-- Imported claims history (CSV import or SQL insert): the comparison data of the fraud indicators.
CREATE TABLE claim_history (
  claim_number text PRIMARY KEY,
  policy_number text NOT NULL,
  line_of_business text NOT NULL DEFAULT 'auto',
  loss_date date NOT NULL,
  region text,
  damage_type text,
  amount double precision,
  claimant_name text,
  vehicle_vin text,
  address text,
  outcome text,
  imported_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX claim_history_policy_idx ON claim_history (policy_number);
