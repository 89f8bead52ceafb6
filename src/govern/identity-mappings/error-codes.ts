import type { ErrorCodeTable } from '../../core/index.ts';

/** Error codes of identity mappings (registered in src/error-codes.ts, documented in docs/errors.md). */
export const identityErrorCodes = {
  'identity.invalid_identity': {
    category: 'usage',
    description: 'The source identity is not written as <system>:<id> (user: and group: are unified principals).',
    fix: 'Write it as ad:S-1-5-21-…, ad:CORP\\Claims, entra:<object id>, legacy:ADJ or sql:role:claims_rw.',
  },
  'identity.invalid_principal': {
    category: 'usage',
    description: 'A source identity maps only to unified principals (user:<e-mail>, group:<name>).',
    fix: 'Map to principals such as group:claims or user:ana@example.com (mappings do not chain).',
  },
  'identity.no_principals': {
    category: 'usage',
    description: 'No principal was given to map the identity to.',
    fix: 'e.g. `groundwork identities map legacy:ADJ group:claims`; remove a mapping with `groundwork identities unmap`.',
  },
  'identity.note_too_long': {
    category: 'usage',
    description: 'The note is longer than 500 characters.',
    fix: 'Shorten the note.',
  },
  'identity.not_mapped': {
    category: 'not_found',
    description: 'The source identity is not mapped.',
    fix: 'List the mappings with `groundwork identities list` (GET /v1/identity-mappings).',
  },
  'identity.invalid_import': {
    category: 'usage',
    description: 'The import file has lines that are not identity,principal[,principal…] (or JSON entries without them).',
    fix: 'Fix the lines the message lists; e.g. legacy:ADJ,group:claims.',
  },
} as const satisfies ErrorCodeTable;
