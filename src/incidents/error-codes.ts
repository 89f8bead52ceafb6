/**
 * Every error code the incidents feature throws (and the change log), for the registry in core. Categories
 * decide the HTTP status and exit code at the edges.
 */
export const incidentsErrorCodes = {
  'incidents.invalid': {
    category: 'usage',
    retryable: false,
    description: 'An incident field is missing or malformed (title, severity, status, note, link).',
    fix: 'Correct the named fields (see `groundwork incidents --help` or /openapi.json).',
  },
  'incidents.not_found': {
    category: 'not_found',
    retryable: false,
    description: 'No incident has this id.',
    fix: 'List incidents with `groundwork incidents list` (GET /v1/incidents).',
  },
  'incidents.empty_update': {
    category: 'usage',
    retryable: false,
    description: 'An incident update that changes nothing.',
    fix: 'Give at least one of title, status, severity, note or links.',
  },
  'incidents.resolve_required': {
    category: 'usage',
    retryable: false,
    description: 'An update tried to set status resolved; resolving is its own action.',
    fix: 'Use `groundwork incidents resolve ID` (POST /v1/incidents/:id/resolve).',
  },
  'incidents.note_required': {
    category: 'usage',
    retryable: false,
    description: 'Moving an incident back (or reopening it) without a note saying why.',
    fix: 'Add a note explaining the move back.',
  },
  'incidents.post_incident_note_required': {
    category: 'usage',
    retryable: false,
    description: 'A sev1 or sev2 incident cannot be resolved without a post-incident note.',
    fix: 'Give a post-incident note: what happened, why, and what prevents it next time.',
  },
  'incidents.already_resolved': {
    category: 'conflict',
    retryable: false,
    description: 'The incident is already resolved.',
    fix: 'Reopen it with a note first (`groundwork incidents update ID --status open --note "…"`).',
  },
  'incidents.link_not_found': {
    category: 'not_found',
    retryable: false,
    description: 'A linked trace, feedback entry or change request does not exist or the caller may not see it.',
    fix: 'Link only traces and change requests you can open yourself.',
  },
  'incidents.no_use_case': {
    category: 'usage',
    retryable: false,
    description: 'A rollback from an incident that names no affected use case.',
    fix: 'Set the affected use case when opening the incident, or roll back from the Prompts page.',
  },
  'incidents.nothing_to_roll_back': {
    category: 'conflict',
    retryable: false,
    description: 'The use case has no versioned prompt or model configuration whose production label has an earlier version.',
    fix: 'Roll back a prompt or model configuration label directly (`groundwork prompts rollback`), or fix forward.',
  },
  'incidents.emergency_not_allowed': {
    category: 'forbidden',
    retryable: false,
    description: "An emergency rollback by someone who is neither an admin nor the use case's owner or on-call.",
    fix: 'Request a normal rollback for approval, or ask the owner, the on-call or an admin.',
  },
} as const;
