-- What OCR found on each OCRed page of a document (confidence, columns, tables, rotation, low confidence,
-- unreadable), and how many of its pages have low confidence: `groundwork status`, GET /v1/status and the
-- Sources page count them for review; `groundwork documents show` lists them.
ALTER TABLE documents ADD COLUMN ocr_pages jsonb NOT NULL DEFAULT '[]';
ALTER TABLE documents ADD COLUMN ocr_review_pages integer NOT NULL DEFAULT 0;
