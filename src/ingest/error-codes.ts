import type { ErrorCodeTable } from '../core/index.ts';

/** The error codes the ingest feature throws (registered in src/error-codes.ts, documented in docs/errors.md). */
export const ingestErrorCodes = {
  'chunking.file_missing': {
    category: 'usage',
    description: '… is not a readable file.',
    fix: 'Pass the path of a document (PDF, DOCX, HTML, Markdown, text, e-mail, spreadsheet …).',
  },
  'chunking.invalid_options': {
    category: 'usage',
    description:
      'Chunk sizes targetTokens=…, overlapTokens=… cannot work: the target must be an integer of at least 16 and the overlap at most half of it.',
    fix: 'Set ingest.chunking.overlapTokens to at most half of ingest.chunking.targetTokens (e.g. 350 and 50).',
  },
  'documents.not_found': {
    category: 'not_found',
    description: 'There is no document … that you may read.',
    fix: 'List the documents you may read with `groundwork documents list` or GET /v1/documents.',
  },
  'ingest.aborted': {
    category: 'unavailable',
    retryable: true,
    description: 'The sync was stopped before it finished.',
    fix: 'Run the sync again: it continues where this one stopped (finished documents are not processed again).',
  },
  'ingest.acl_map_unreadable': {
    category: 'usage',
    description: 'The ACL map … cannot be read.',
    fix: 'Check the path given with --acl-map (JSON or YAML), or re-add the source without it.',
  },
  'ingest.bad_sidecar': {
    category: 'usage',
    description: 'A metadata sidecar file is not a JSON object.',
    fix: 'Correct the sidecar (a JSON object with keys such as title, author, tags, principals, sensitivity) or remove it.',
  },
  'ingest.embedding_dimensions': {
    category: 'usage',
    description: 'The embedding model returned vectors of another size than models.embedding.dimensions.',
    fix: 'Set models.embedding.dimensions to … (or ask the model for …).',
  },
  'ingest.embedding_failed': {
    category: 'unavailable',
    retryable: true,
    description: 'The embedding model … failed.',
    fix: 'Check the provider key and endpoint in models.providers (groundwork doctor), then run the sync again; unchanged text is served from the cache.',
  },
  'ingest.invalid_readable_by': {
    category: 'usage',
    description: 'The --readable-by list holds something that is not a unified principal.',
    fix: 'List unified principals separated by commas, e.g. --readable-by group:staff,user:ann@example.com.',
  },
  'ingest.invalid_source': {
    category: 'usage',
    description: 'Unknown source type "…".',
    fix: 'Use one of: ….',
  },
  'ingest.listing_incomplete': {
    category: 'unavailable',
    retryable: true,
    description: 'The listing of source … ended early.',
    fix: 'Run the sync again; nothing was deleted.',
  },
  'ingest.not_a_file': {
    category: 'usage',
    description: '… is …, not a regular file; it is never read (reading a pipe or a device can block forever).',
    fix: 'Move it out of the source folder, or exclude it from the source (--exclude).',
  },
  'ingest.not_found': {
    category: 'not_found',
    description: '… no longer exists in the source.',
    fix: 'Nothing to do: it was removed or renamed while the sync ran; the next sync picks up the change.',
  },
  'ingest.path_not_allowed': {
    category: 'forbidden',
    description: 'The source path is outside the folders this server may read (ingest.allowedRoots).',
  },
  'ingest.quarantine_not_found': {
    category: 'not_found',
    description: 'No quarantine entry has the id ….',
    fix: 'List entries with `groundwork quarantine list`.',
  },
  'ingest.source_exists': {
    category: 'conflict',
    description: 'The source "…" has another path.',
    fix: 'Choose another --source name, or sync that source with `groundwork sync NAME`.',
  },
  'ingest.source_not_found': {
    category: 'not_found',
    description: 'There is no source named "…".',
    fix: 'List sources with `groundwork sources list`.',
  },
  'ingest.source_unavailable': {
    category: 'unavailable',
    retryable: true,
    description: 'The source folder … cannot be read.',
    fix: 'Check that the folder exists and is mounted, and that Groundwork may read it; or change the source path.',
  },
  'ingest.symlink_broken': {
    category: 'not_found',
    description: '… is a symbolic link whose target does not exist.',
    fix: 'Restore the target or remove the link (or exclude it from the source); the next sync picks up the change.',
  },
  'ingest.symlink_inside_root': {
    category: 'usage',
    description:
      '… is a symbolic link to the … … in the same source; links are not followed, so its content is indexed once, under …, with the permissions of that path.',
    fix: "Nothing is missing if … is included in the source. Exclude the link (--exclude '…') to silence this, or replace it with a copy if the content must also be readable under …'s permissions.",
  },
  'ingest.symlink_loop': {
    category: 'usage',
    description:
      '… is a symbolic link that loops (it points to itself, to its own folder or to a folder above it, or links form a circle); it is not followed.',
    fix: 'Nothing under it is missing: its target is indexed where it really is. Remove the link, or exclude it from the source (--exclude).',
  },
  'ingest.symlink_outside_root': {
    category: 'forbidden',
    description: '… is a symbolic link that points outside the source folder; it is never read.',
    fix: 'Links out of the source root are never followed. Copy the target into the source, or add its folder as its own source; or exclude the link.',
  },
  'ingest.sync_running': {
    category: 'conflict',
    retryable: true,
    description: 'Source … is already being synced.',
    fix: 'Wait for that run to finish (groundwork status shows it), then sync again.',
  },
  'ingest.too_large': {
    category: 'limit',
    status: 413,
    description: 'The document needs more than … chunks (ingest.maxChunksPerDocument); it was not indexed.',
    fix: 'Split the file into smaller documents, exclude it from the source (logs and data dumps rarely belong in search), or raise ingest.maxChunksPerDocument; then run `groundwork quarantine retry --all`.',
  },
  'ingest.unreadable': {
    category: 'unavailable',
    retryable: true,
    description: 'A file or folder of the source cannot be read.',
    fix: 'Give the Groundwork process read permission on the file (or exclude it), then run `groundwork quarantine retry`.',
  },
  'parse.aborted': {
    category: 'unavailable',
    retryable: true,
    description: 'Parsing was cancelled.',
    fix: 'Nothing to fix: the run was cancelled. Start it again to parse the file.',
  },
  'parse.corrupt': {
    category: 'usage',
    description: 'The file is damaged or not what its type says.',
    fix: 'Open the file in its usual application; if it opens, re-save or re-export it. Otherwise replace it with a good copy.',
  },
  'parse.crashed': {
    category: 'internal',
    description: 'The parser crashed on this file.',
    fix: 'The file is probably malformed or too large for the parser memory limit: re-export it, split it, or exclude it. Report it if it opens fine elsewhere.',
  },
  'parse.empty': {
    category: 'usage',
    description: 'The file has no text to index (empty, or only images with OCR off).',
  },
  'parse.encrypted': {
    category: 'usage',
    description: 'The file is password-protected or encrypted.',
    fix: 'Export an unprotected copy (remove the password / encryption) and put it in the source, or exclude the file.',
  },
  'parse.ocr_unavailable': {
    category: 'unavailable',
    description: 'The OCR engine could not start.',
    fix: 'Check that tesseract.js and @tesseract.js-data/eng are installed (npm ci), or disable OCR with ingest.ocr.enabled = false.',
  },
  'parse.timeout': {
    category: 'limit',
    retryable: true,
    description: 'Parsing took longer than the per-file time limit and was stopped.',
    fix: 'Retry when the machine is less busy, raise …, or split the file (very large or OCR-heavy files are slow).',
  },
  'parse.unsupported_type': {
    category: 'usage',
    description: 'Files of this type cannot be parsed.',
  },
  'parse.zip_bomb': {
    category: 'limit',
    description: 'The archive was refused: it expands beyond the configured limits.',
    fix: 'Check where the archive came from. If it is legitimate, extract it into the source folder or raise the ingest.zip limits.',
  },
} as const satisfies ErrorCodeTable;
