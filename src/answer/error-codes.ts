import type { ErrorCodeTable } from '../core/index.ts';

/** The error codes the answer feature throws (registered in src/error-codes.ts, documented in docs/errors.md). */
export const answerErrorCodes = {
  'answer.aborted': {
    category: 'unavailable',
    retryable: true,
    description: 'The answer stream was closed before the final answer.',
  },
  'answer.empty_question': {
    category: 'usage',
    description: 'The question is empty.',
    fix: 'Ask a question, e.g. groundwork ask "What is the deductible for water damage under HO-3?"',
  },
  'answer.failed': {
    category: 'unavailable',
    description: 'The server reported a failure while streaming an answer without naming its code.',
    fix: 'Retry; if it persists, look up the request id in the server log.',
  },
  'answer.model_failed': {
    category: 'unavailable',
    description: 'The language model call failed.',
    fix: 'Check that provider "…" is reachable and its key is valid; `groundwork doctor` shows the configuration. Answers work offline with `--use-case` set to an extractive use case.',
  },
  'answer.pin_without_prompt': {
    category: 'usage',
    description:
      'A prompt version was pinned (an evaluation of a candidate) for a use case whose prompt is inline, not versioned.',
    fix: 'Point the use case at a versioned prompt (promptRef), or leave out --prompt-version.',
  },
  'use_case.exists': {
    category: 'conflict',
    description: 'A use case named "…" already exists.',
    fix: 'Change it with `groundwork use-cases update … …`, or pick another name.',
  },
  'use_case.invalid': {
    category: 'usage',
    description: 'Invalid use case settings.',
    fix: 'Correct the named settings (see `groundwork use-cases create --help`).',
  },
  'use_case.invalid_name': {
    category: 'usage',
    description: '"…" is not a valid use case name.',
    fix: 'Use lower-case letters, digits, - and _ (start with a letter or digit, at most 63 characters), e.g. underwriting-qa.',
  },
  'use_case.not_found': {
    category: 'not_found',
    description: 'There is no use case named "…".',
    fix: 'List use cases with `groundwork use-cases list`, or create it with `groundwork use-cases create NAME`.',
  },
  'use_case.protected': {
    category: 'conflict',
    description: 'The "default" use case cannot be deleted.',
    fix: 'Change its settings with `groundwork use-cases update default …` instead.',
  },
} as const satisfies ErrorCodeTable;
