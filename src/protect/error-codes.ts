import type { ErrorCodeTable } from '../core/index.ts';

/** The error codes the protect feature throws (registered in src/error-codes.ts, documented in docs/errors.md). */
export const protectErrorCodes = {
  'protect.acl_map_missing': {
    category: 'usage',
    description: 'The ACL map … does not exist.',
    fix: 'Pass the path of a JSON or YAML ACL map; docs/permissions.md has an example.',
  },
  'protect.file_missing': {
    category: 'usage',
    description: '… is not a readable file.',
  },
  'protect.invalid_acl_map': {
    category: 'usage',
    description: 'The ACL map file has problems; all of them are listed at once.',
    fix: 'Correct each entry listed above; docs/permissions.md has the reference and a full example.',
  },
  'protect.invalid_jsonl': {
    category: 'usage',
    description: 'A line of the JSONL file is not valid JSON or lacks the expected fields.',
    fix: 'Write one JSON object per line with an "id" (string or number) and a "text" (string): {"id": "a1", "text": "…"}.',
  },
  'protect.invalid_min_score': {
    category: 'usage',
    description: '--min-score … is not a number from 0 to 1.',
    fix: 'Pass a score such as --min-score 0.5 (higher: fewer, surer spans).',
  },
  'protect.invalid_pii_pattern': {
    category: 'usage',
    description: 'One or more configured PII patterns are invalid.',
    fix: 'Correct each pattern listed above under ingest.piiPatterns in the configuration.',
  },
  'protect.invalid_principal': {
    category: 'usage',
    description: 'One or more principals are neither user:<e-mail> nor group:<name>.',
    fix: 'Write principals as user:alice@example.com or group:underwriting; map source-specific identities (e.g. CORP\\Underwriters) to them with `aliases` in the ACL map.',
  },
  'protect.root_missing': {
    category: 'usage',
    description: '--root … is not a folder.',
    fix: 'Pass the folder the source reads (the root the ACL map paths are relative to).',
  },
} as const satisfies ErrorCodeTable;
