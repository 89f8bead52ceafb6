-- Ingestion: what produced a document's index entries, and which file version a quarantine entry is about.

-- Fingerprint of the settings that shape a document's chunks and access (ACL map, chunking, PII patterns,
-- sensitivity rules, embedding model). A document indexed under another fingerprint is processed again even
-- when its file did not change, so a changed ACL map or rule reaches every document on the next sync.
ALTER TABLE documents ADD COLUMN pipeline_fingerprint text;

-- The file version that failed: an unchanged quarantined file is not re-attempted on every sync (a file that
-- hangs the parser would cost the parse timeout each time); `groundwork quarantine retry` clears it.
ALTER TABLE quarantine ADD COLUMN version text;
