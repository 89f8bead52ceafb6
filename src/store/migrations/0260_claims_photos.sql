-- Claims photos: a text-less JPEG/PNG is not an unreadable document but a photo (EXIF and caption read by the
-- claims workflow with readPhotoMetadata), so claim_documents gets a 'photo' status next to indexed/quarantined.
ALTER TABLE claim_documents DROP CONSTRAINT claim_documents_status_check;
ALTER TABLE claim_documents ADD CONSTRAINT claim_documents_status_check
  CHECK (status IN ('pending', 'indexed', 'quarantined', 'photo'));
