-- Prompt-injection suspicion per chunk: protect's detectInjection, run at ingest on the chunk text.
--
-- injection_spans: instruction-like sentences, [{"category": "instruction_override", "start": 10, "end": 64}]
--   (offsets into text, never the text). NULL = the chunk was written before the detector existed; the next
--   sync of its source fills it in without re-parsing, and answers detect such chunks on the fly until then.
-- injection_suspected: the spans are not empty (for status counts and the partial index).
ALTER TABLE chunks ADD COLUMN injection_spans jsonb;
ALTER TABLE chunks ADD COLUMN injection_suspected boolean NOT NULL DEFAULT false;
CREATE INDEX chunks_injection_suspected_idx ON chunks (source_id) WHERE injection_suspected;
CREATE INDEX chunks_injection_unscanned_idx ON chunks (source_id) WHERE injection_spans IS NULL;
