/**
 * Table-ownership check (part of `npm run check`): a feature's tables are read and written only by that
 * feature; others call its exported functions (docs/architecture.md "One write path"). Scans the SQL in
 * src/ (not tests, fixtures or migrations) for `FROM|JOIN|INTO|UPDATE|DELETE FROM <table>` and fails on a
 * table used outside its owner, unless the pair is listed in `sharedReads` with its reason.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');

/** Owner feature (top-level folder of src/) of every table. A new table's migration adds its line here. */
const owners: Record<string, string> = {
  sources: 'ingest',
  documents: 'ingest',
  chunks: 'ingest',
  quarantine: 'ingest',
  sync_runs: 'ingest',
  embedding_cache: 'ingest',
  use_cases: 'answer',
  traces: 'observe',
  spans: 'observe',
  budgets: 'observe',
  budget_events: 'observe',
  prompt_versions: 'prompts',
  prompt_labels: 'prompts',
  prompt_events: 'prompts',
  eval_datasets: 'evaluate',
  eval_cases: 'evaluate',
  eval_runs: 'evaluate',
  eval_case_results: 'evaluate',
  eval_candidates: 'evaluate',
  eval_alerts: 'evaluate',
  api_keys: 'govern',
  audit_log: 'govern',
  audit_head: 'govern',
  feedback: 'govern',
  change_requests: 'govern',
  incidents: 'incidents',
  incident_events: 'incidents',
  incident_links: 'incidents',
  rate_limit_buckets: 'server',
  cohorts: 'adoption',
  usage_answers: 'adoption',
  usage_users: 'adoption',
  usage_daily: 'adoption',
  review_items: 'review',
  claims: 'claims',
  claim_documents: 'claims',
  claim_config_versions: 'claims',
  claim_assessments: 'claims',
  claim_reviews: 'claims',
  claim_field_edits: 'claims',
  claim_siu_outcomes: 'claims',
  claim_history: 'claims',
  claim_notes: 'claims',
  claim_tier_changes: 'claims',
  feedback_status_history: 'govern',
  use_case_card_seen: 'answer',
  monitors: 'monitor',
  monitor_evaluations: 'monitor',
  alerts: 'monitor',
  alert_deliveries: 'monitor',
  success_criteria: 'adoption',
  criteria_measurements: 'adoption',
  usage_metric_snapshots: 'adoption',
  use_case_reviews: 'adoption',
  rollout_settings: 'rollout',
  rollout_version: 'rollout',
  action_proposals: 'actions',
  action_policies: 'actions',
  action_class_overrides: 'actions',
  action_pauses: 'actions',
  action_notes: 'actions',
  identity_mappings: 'govern',
  identity_mapping_versions: 'govern',
  vocabulary_entries: 'vocabulary',
  vocabulary_versions: 'vocabulary',
};

/** Deliberate exceptions: `file → tables`, each with why. */
const sharedReads: Record<string, { tables: readonly string[]; why: string }> = {
  'src/retrieve/lexical.ts': { tables: ['documents', 'chunks', 'sources'], why: 'the search index reads what it indexes' },
  'src/retrieve/vector.ts': { tables: ['documents', 'chunks'], why: 'the search index reads what it indexes' },
  'src/retrieve/retriever.ts': { tables: ['documents', 'chunks'], why: 'the search index reads what it indexes' },
  'src/retrieve/sql-filters.ts': { tables: ['documents', 'chunks'], why: 'the search predicate over chunks and documents' },
  'src/retrieve/beir.ts': { tables: ['documents', 'chunks', 'sources'], why: 'the BEIR loader writes a benchmark corpus' },
  'src/protect/acl/readable-documents.ts': { tables: ['documents'], why: 'protect decides access: the one ACL predicate' },
  'src/store/footprint.ts': { tables: Object.keys(owners), why: 'measures every table' },
};

function walk(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      if (entry !== 'fixtures' && entry !== 'migrations') walk(path, out);
    } else if (/\.tsx?$/.test(entry) && !/\.(test|contract)\.tsx?$/.test(entry)) out.push(path);
  }
  return out;
}

const pattern = /\b(?:FROM|JOIN|INTO|UPDATE|DELETE\s+FROM)\s+([a-z_][a-z0-9_]*)\b/g;
const problems: string[] = [];
for (const path of walk(src)) {
  const file = relative(root, path);
  const feature = relative(src, path).split('/')[0] as string;
  const text = readFileSync(path, 'utf8');
  for (const match of text.matchAll(pattern)) {
    const table = match[1] as string;
    const owner = owners[table];
    if (!owner || owner === feature) continue;
    if (sharedReads[file]?.tables.includes(table)) continue;
    const line = text.slice(0, match.index).split('\n').length;
    problems.push(`${file}:${line} uses ${table}, owned by ${owner}/: call an exported function of ${owner}/index.ts`);
  }
}
if (problems.length > 0) {
  process.stderr.write(`Table ownership: ${problems.length} problem(s)\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
  process.exitCode = 1;
} else {
  process.stdout.write('Table ownership: ok\n');
}
