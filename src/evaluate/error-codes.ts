import type { ErrorCodeTable } from '../core/index.ts';

/** The error codes the evaluate feature throws (registered in src/error-codes.ts, documented in docs/errors.md). */
export const evaluateErrorCodes = {
  'evaluate.candidate_decided': {
    category: 'conflict',
    description: 'Candidate "…" was already ….',
    fix: 'Only pending candidates can be accepted or rejected.',
  },
  'evaluate.candidate_not_found': {
    category: 'not_found',
    description: 'No candidate "…".',
    fix: 'List candidates with `groundwork eval candidates list`.',
  },
  'evaluate.candidate_without_question': {
    category: 'usage',
    description: 'Candidate "…" has no question text.',
    fix: 'Its trace dropped the text (observe.textRetention); write the case into a JSONL file instead.',
  },
  'evaluate.dataset_not_found': {
    category: 'not_found',
    description: 'No evaluation dataset "…".',
    fix: 'List datasets with `groundwork eval datasets`; import one with `groundwork eval import NAME FILE`.',
  },
  'evaluate.file_unreadable': {
    category: 'usage',
    description: 'Cannot read ….',
    fix: 'Check the path and permissions.',
  },
  'evaluate.invalid_dataset': {
    category: 'usage',
    description: 'The dataset file has problems; nothing was imported and every problem is listed.',
    fix: 'Fix the listed lines and import again; nothing was imported. The schema is in docs/evaluation.md.',
  },
  'evaluate.invalid_dataset_name': {
    category: 'usage',
    description: 'Invalid dataset name "…".',
    fix: 'Use letters, digits, ".", "_" and "-" (at most 100 characters), starting with a letter or digit.',
  },
  'evaluate.invalid_depth': {
    category: 'usage',
    description: 'Depth … is out of range.',
    fix: 'Use a depth between 1 and 1000 (default 100).',
  },
  'evaluate.invalid_gate': {
    category: 'usage',
    description: 'Invalid gate "…".',
    fix: 'Write gates as METRIC OPERATOR NUMBER, e.g. --fail-if "ndcg@10 < 0.6" or --fail-if "latency_ms > 800".',
  },
  'evaluate.pin_needs_answer_mode': {
    category: 'usage',
    description: 'A prompt or model version was pinned for a retrieval run; only answer runs use them.',
    fix: 'Add --mode answer --use-case NAME (API: "mode": "answer", "useCase"), or leave out the version.',
  },
  'evaluate.invalid_label': {
    category: 'usage',
    description: 'Invalid run label "…".',
    fix: 'Use letters, digits, ".", "_" and "-" (at most 64 characters).',
  },
  'evaluate.no_answer_run': {
    category: 'not_found',
    description: 'Dataset … has no successful answer run with use case ….',
    fix: 'Run one: `groundwork eval run … --mode answer --use-case …` (`groundwork eval datasets` lists the datasets).',
  },
  'evaluate.no_answerer': {
    category: 'unavailable',
    description: 'An answer evaluation needs the answer feature.',
    fix: 'Use --mode retrieval, or run where the answer feature is available.',
  },
  'evaluate.no_retriever': {
    category: 'unavailable',
    description: 'A retrieval evaluation needs the retriever.',
    fix: 'Run with the retrieval feature available (platform.retriever).',
  },
  'evaluate.no_schedules': {
    category: 'usage',
    description: 'No evaluation schedules are configured.',
    fix: 'Add evaluation.schedules to the configuration (docs/evaluation.md "Scheduled runs and drift").',
  },
  'evaluate.run_not_found': {
    category: 'not_found',
    description: 'No evaluation run with id or label "…".',
    fix: 'List runs with `groundwork eval runs`; label one with `groundwork eval label RUN LABEL`.',
  },
  'evaluate.schedule_not_found': {
    category: 'usage',
    description: 'No evaluation schedule "…" in the configuration.',
    fix: 'Configured: …; add it under evaluation.schedules.',
  },
  'evaluate.unknown_metric': {
    category: 'usage',
    description: 'Unknown metric "…" in gate "…".',
    fix: 'Use one of: … (K between 1 and 1000), e.g. --fail-if "ndcg@10 < 0.6".',
  },
} as const satisfies ErrorCodeTable;
