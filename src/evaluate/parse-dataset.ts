import { z } from 'zod';
import { malformedText } from '../core/index.ts';
import type { CaseInput, ImportProblem } from './types.ts';

/**
 * Parsers for dataset files. They never throw on bad rows: every problem is collected with its line
 * number, so a user fixes the whole file in one pass (and nothing is imported while any problem remains).
 *
 * JSONL: one object per line (blank lines ignored), snake_case keys:
 * `{"id", "question", "reference_answer", "relevant_documents", "relevant_chunks", "relevant_pages",
 * "expect_refusal", "tags", "principals"}` — only `question` is required.
 *
 * CSV: a header row naming the same columns; list columns (`relevant_documents`, `relevant_chunks`,
 * `relevant_pages`, `tags`, `principals`) separate values with `|`; `expect_refusal` is true/false/yes/no/1/0.
 */

export interface ParsedCases {
  readonly cases: CaseInput[];
  readonly problems: ImportProblem[];
}

const maxQuestionLength = 4000;

const caseSchema = z.strictObject({
  id: z.union([z.string().min(1), z.number()]).optional(),
  question: z.string().trim().min(1, 'question is empty').max(maxQuestionLength),
  reference_answer: z.string().optional().nullable(),
  relevant_documents: z.array(z.string().min(1)).default([]),
  relevant_chunks: z.array(z.string().min(1)).default([]),
  relevant_pages: z.array(z.number().int().positive()).default([]),
  expect_refusal: z.boolean().default(false),
  tags: z.array(z.string().min(1)).default([]),
  principals: z.array(z.string().regex(/^(user|group|role):.+/, 'principals look like "user:…" or "group:…"')).default([]),
});

type RawCase = z.input<typeof caseSchema>;

function toCase(raw: unknown, line: number, problems: ImportProblem[]): CaseInput | undefined {
  const malformed = malformedText(raw);
  if (malformed.length > 0) {
    for (const issue of malformed) problems.push({ line, reason: `${issue.path ? `${issue.path}: ` : ''}${issue.message}` });
    return undefined;
  }
  const parsed = caseSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
      problems.push({ line, reason: `${where}${issue.message}` });
    }
    return undefined;
  }
  const value = parsed.data;
  if (value.expect_refusal && value.relevant_documents.length > 0) {
    problems.push({ line, reason: 'expect_refusal is true but relevant_documents are given: an unanswerable case has none' });
    return undefined;
  }
  return {
    externalId: value.id === undefined ? String(line) : String(value.id),
    question: value.question,
    ...(value.reference_answer ? { referenceAnswer: value.reference_answer } : {}),
    relevantDocuments: value.relevant_documents,
    relevantChunkIds: value.relevant_chunks,
    relevantPages: value.relevant_pages,
    expectRefusal: value.expect_refusal,
    tags: value.tags,
    principals: value.principals,
    line,
  };
}

function checkDuplicateIds(cases: readonly CaseInput[], problems: ImportProblem[]): void {
  const seen = new Map<string, number>();
  for (const c of cases) {
    const first = seen.get(c.externalId);
    if (first !== undefined) problems.push({ line: c.line, reason: `duplicate id "${c.externalId}" (first on line ${first})` });
    else seen.set(c.externalId, c.line);
  }
}

export function parseJsonlCases(text: string): ParsedCases {
  const problems: ImportProblem[] = [];
  const cases: CaseInput[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((content, index) => {
    const line = index + 1;
    if (content.trim() === '') return;
    let raw: unknown;
    try {
      raw = JSON.parse(content);
    } catch (error) {
      problems.push({ line, reason: `not valid JSON (${(error as Error).message})` });
      return;
    }
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
      problems.push({ line, reason: 'each line must be one JSON object' });
      return;
    }
    const parsed = toCase(raw, line, problems);
    if (parsed) cases.push(parsed);
  });
  if (cases.length === 0 && problems.length === 0) problems.push({ line: 0, reason: 'the file has no cases' });
  checkDuplicateIds(cases, problems);
  return { cases, problems };
}

/** RFC 4180 records with the 1-based line each record starts on (quoted fields may span lines). */
export function parseCsvRecords(text: string): Array<{ line: number; fields: string[] }> {
  const records: Array<{ line: number; fields: string[] }> = [];
  const input = text.replace(/^\uFEFF/, '');
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let fieldStarted = false;
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (quoted) {
      if (ch === '"') {
        if (input[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"' && !fieldStarted) {
      quoted = true;
      fieldStarted = true;
    } else if (ch === ',') {
      fields.push(field);
      field = '';
      fieldStarted = false;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && input[i + 1] === '\n') i++;
      fields.push(field);
      if (fields.length > 1 || fields[0] !== '') records.push({ line: recordLine, fields });
      fields = [];
      field = '';
      fieldStarted = false;
      line++;
      recordLine = line;
    } else {
      field += ch;
      fieldStarted = true;
    }
  }
  fields.push(field);
  if (fields.length > 1 || fields[0] !== '') records.push({ line: recordLine, fields });
  return records;
}

const csvColumns = [
  'id',
  'question',
  'reference_answer',
  'relevant_documents',
  'relevant_chunks',
  'relevant_pages',
  'expect_refusal',
  'tags',
  'principals',
] as const;
const listColumns = new Set(['relevant_documents', 'relevant_chunks', 'tags', 'principals']);

export function parseCsvCases(text: string): ParsedCases {
  const problems: ImportProblem[] = [];
  const cases: CaseInput[] = [];
  const records = parseCsvRecords(text);
  const [header, ...rows] = records;
  if (!header) return { cases, problems: [{ line: 0, reason: 'the file is empty (a header row is required)' }] };
  const columns = header.fields.map((f) => f.trim().toLowerCase());
  const unknown = columns.filter((c) => !(csvColumns as readonly string[]).includes(c));
  if (unknown.length > 0 || !columns.includes('question')) {
    return {
      cases,
      problems: [
        {
          line: header.line,
          reason: `${unknown.length > 0 ? `unknown column(s) ${unknown.join(', ')}; ` : ''}${columns.includes('question') ? '' : 'the "question" column is required; '}columns are ${csvColumns.join(', ')}`,
        },
      ],
    };
  }
  for (const row of rows) {
    if (row.fields.length !== columns.length) {
      problems.push({ line: row.line, reason: `expected ${columns.length} fields, found ${row.fields.length}` });
      continue;
    }
    const raw: Record<string, unknown> = {};
    let bad = false;
    columns.forEach((column, i) => {
      const value = (row.fields[i] ?? '').trim();
      if (value === '') return;
      if (listColumns.has(column))
        raw[column] = value
          .split('|')
          .map((v) => v.trim())
          .filter(Boolean);
      else if (column === 'relevant_pages') raw[column] = value.split('|').map((v) => Number(v.trim()));
      else if (column === 'expect_refusal') {
        const flag = value.toLowerCase();
        if (['true', 'yes', '1'].includes(flag)) raw[column] = true;
        else if (['false', 'no', '0'].includes(flag)) raw[column] = false;
        else {
          problems.push({ line: row.line, reason: `expect_refusal must be true/false/yes/no/1/0, got "${value}"` });
          bad = true;
        }
      } else raw[column] = value;
    });
    if (bad) continue;
    const parsed = toCase(raw satisfies Partial<RawCase> as RawCase, row.line, problems);
    if (parsed) cases.push(parsed);
  }
  if (cases.length === 0 && problems.length === 0) problems.push({ line: 0, reason: 'the file has no cases' });
  checkDuplicateIds(cases, problems);
  return { cases, problems };
}

/**
 * BEIR: `queries.jsonl` (`{"_id", "text"}`) and a qrels TSV (`query-id corpus-id score`, header row).
 * Queries with at least one positive judgment become cases; corpus ids become relevant-document references
 * (resolved at import like any other reference). Line numbers refer to the qrels file, or to queries.jsonl
 * for query problems.
 */
export function parseBeirCases(queriesJsonl: string, qrelsTsv: string): ParsedCases & { qrelsProblems: ImportProblem[] } {
  const problems: ImportProblem[] = [];
  const qrelsProblems: ImportProblem[] = [];
  const queries = new Map<string, { text: string; line: number }>();
  queriesJsonl.split(/\r?\n/).forEach((content, index) => {
    if (content.trim() === '') return;
    try {
      const value = JSON.parse(content) as { _id?: unknown; text?: unknown };
      if (typeof value._id !== 'string' && typeof value._id !== 'number') throw new Error('missing "_id"');
      if (typeof value.text !== 'string' || value.text.trim() === '') throw new Error('missing "text"');
      queries.set(String(value._id), { text: value.text, line: index + 1 });
    } catch (error) {
      problems.push({ line: index + 1, reason: `queries.jsonl: ${(error as Error).message}` });
    }
  });
  const judgments = new Map<string, Map<string, number>>();
  qrelsTsv.split(/\r?\n/).forEach((content, index) => {
    const line = index + 1;
    if (content.trim() === '') return;
    const parts = content.split('\t').map((p) => p.trim());
    if (index === 0 && /query/i.test(parts[0] ?? '')) return;
    const [queryId = '', corpusId = '', scoreText = ''] = parts;
    const score = Number(scoreText);
    if (parts.length < 3 || !queryId || !corpusId || !Number.isInteger(score)) {
      qrelsProblems.push({ line, reason: 'qrels: expected "query-id<TAB>corpus-id<TAB>integer score"' });
      return;
    }
    if (!queries.has(queryId)) {
      qrelsProblems.push({ line, reason: `qrels: query "${queryId}" is not in queries.jsonl` });
      return;
    }
    if (score <= 0) return;
    let judged = judgments.get(queryId);
    if (!judged) {
      judged = new Map();
      judgments.set(queryId, judged);
    }
    judged.set(corpusId, score);
  });
  const cases: CaseInput[] = [];
  for (const [queryId, judged] of judgments) {
    const query = queries.get(queryId);
    if (!query) continue;
    cases.push({
      externalId: queryId,
      question: query.text,
      relevantDocuments: [...judged.keys()],
      relevance: Object.fromEntries(judged),
      line: query.line,
    });
  }
  if (cases.length === 0 && problems.length === 0 && qrelsProblems.length === 0) {
    problems.push({ line: 0, reason: 'no query has a positive judgment in the qrels file' });
  }
  return { cases, problems, qrelsProblems };
}
