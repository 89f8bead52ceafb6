import { type Caller, type Clock, GroundworkError, type IdGenerator, newId, systemClock } from '../core/index.ts';
import { authorize, recordAudit } from '../govern/index.ts';
import { documentsByReference } from '../ingest/index.ts';
import type { Queryable } from '../store/index.ts';
import type { CaseInput, Dataset, DatasetSummary, EvalCase, ImportProblem } from './types.ts';

/**
 * Versioned datasets. Importing a name that exists creates the next version; runs reference a version,
 * so a dataset can evolve without changing the meaning of past runs.
 */

/** Thrown when any row of an import is bad; `details.problems` lists every one with its line. */
export function importProblemsError(name: string, problems: readonly ImportProblem[]): GroundworkError {
  const shown = problems
    .slice(0, 50)
    .map((p) => (p.line > 0 ? `  line ${p.line}: ${p.reason}` : `  ${p.reason}`))
    .join('\n');
  const more = problems.length > 50 ? `\n  … and ${problems.length - 50} more` : '';
  return new GroundworkError(
    'evaluate.invalid_dataset',
    `Dataset "${name}" was not imported: ${problems.length} problem(s).\n${shown}${more}`,
    {
      category: 'usage',
      fix: 'Fix the listed lines and import again; nothing was imported. The schema is in docs/evaluation.md.',
      details: { problems },
    },
  );
}

/**
 * Resolves document references to ids. A reference matches a document by id, by `source_ref` (the path
 * inside its source), by that path without its extension (BEIR corpus ids ingested as `<id>.txt`), by
 * `source-name:path`, or by `metadata.externalId`. Unmatched or ambiguous references are problems.
 */
export async function resolveDocumentReferences(
  db: Queryable,
  cases: readonly CaseInput[],
): Promise<{ resolved: Map<string, string>; problems: ImportProblem[] }> {
  const references = [...new Set(cases.flatMap((c) => c.relevantDocuments))];
  const resolved = new Map<string, string>();
  const problems: ImportProblem[] = [];
  if (references.length === 0) return { resolved, problems };
  const rows = (await documentsByReference(db, references)).map((match) => ({
    id: match.id,
    source_ref: match.sourceRef,
    source_name: match.sourceName,
    external_id: match.externalId,
  }));
  const candidates = new Map<string, Set<string>>();
  const add = (key: string, id: string, priority: number) => {
    const keyed = `${priority}\u0000${key}`;
    let set = candidates.get(keyed);
    if (!set) {
      set = new Set();
      candidates.set(keyed, set);
    }
    set.add(id);
  };
  for (const row of rows) {
    add(row.id, row.id, 0);
    add(`${row.source_name}:${row.source_ref}`, row.id, 1);
    add(row.source_ref, row.id, 2);
    if (row.external_id) add(row.external_id, row.id, 3);
    add(row.source_ref.replace(/\.[^./]+$/, ''), row.id, 4);
  }
  const unresolved = new Map<string, string>();
  for (const reference of references) {
    for (let priority = 0; priority <= 4; priority++) {
      const set = candidates.get(`${priority}\u0000${reference}`);
      if (!set) continue;
      if (set.size === 1) resolved.set(reference, [...set][0] as string);
      else unresolved.set(reference, `matches ${set.size} documents; use the document id or "source-name:path"`);
      break;
    }
    if (!resolved.has(reference) && !unresolved.has(reference)) unresolved.set(reference, 'matches no document');
  }
  for (const c of cases) {
    for (const reference of c.relevantDocuments) {
      const why = unresolved.get(reference);
      if (why) problems.push({ line: c.line, reason: `relevant document "${reference}" ${why}` });
    }
  }
  return { resolved, problems };
}

export interface ImportDatasetOptions {
  readonly name: string;
  readonly origin: 'jsonl' | 'csv' | 'beir' | 'candidates';
  readonly description?: string;
  readonly caller: Caller;
  readonly ids?: IdGenerator;
  readonly clock?: Clock;
  readonly requestId?: string;
}

/**
 * Stores a new version of a dataset, all or nothing: references are resolved first and any problem
 * (with the earlier parse problems) aborts the import with every problem listed. The one write path for
 * imports (HTTP, CLI, accepted candidates): authorizes (`eval:run`), writes the dataset and its audit record
 * (`eval.dataset.import`) in one transaction.
 */
export async function importDataset(
  db: Queryable & { transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> },
  cases: readonly CaseInput[],
  options: ImportDatasetOptions & { readonly parseProblems?: readonly ImportProblem[] },
): Promise<DatasetSummary> {
  authorize(options.caller, 'eval:run');
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(options.name)) {
    throw new GroundworkError('evaluate.invalid_dataset_name', `Invalid dataset name "${options.name}".`, {
      category: 'usage',
      fix: 'Use letters, digits, ".", "_" and "-" (at most 100 characters), starting with a letter or digit.',
    });
  }
  const { resolved, problems } = await resolveDocumentReferences(db, cases);
  const all = [...(options.parseProblems ?? []), ...problems].sort((a, b) => a.line - b.line);
  if (all.length > 0) throw importProblemsError(options.name, all);
  if (cases.length === 0) throw importProblemsError(options.name, [{ line: 0, reason: 'the dataset has no cases' }]);
  const ids = options.ids ?? newId;
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`eval_dataset:${options.name}`]);
    const latest = await tx.query<{ version: number | null }>(
      'SELECT max(version) AS version FROM eval_datasets WHERE name = $1',
      [options.name],
    );
    const version = (latest.rows[0]?.version ?? 0) + 1;
    const id = ids('eds');
    const inserted = await tx.query<{ created_at: Date }>(
      `INSERT INTO eval_datasets (id, name, version, description, origin, case_count, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING created_at`,
      [id, options.name, version, options.description ?? '', options.origin, cases.length, options.caller.id],
    );
    // Batched inserts: one statement per 500 cases keeps large BEIR imports fast on both stores.
    for (let start = 0; start < cases.length; start += 500) {
      const batch = cases.slice(start, start + 500);
      const rows = batch.map((c, i) => {
        const documentIds = [...new Set(c.relevantDocuments.map((r) => resolved.get(r) as string))];
        const relevance: Record<string, number> = {};
        for (const reference of c.relevantDocuments) {
          const docId = resolved.get(reference) as string;
          relevance[docId] = Math.max(relevance[docId] ?? 0, c.relevance?.[reference] ?? 1);
        }
        return {
          id: ids('ecs'),
          ordinal: start + i + 1,
          external_id: c.externalId,
          question: c.question,
          reference_answer: c.referenceAnswer ?? null,
          relevant_document_ids: documentIds,
          relevance,
          relevant_chunk_ids: c.relevantChunkIds ?? [],
          relevant_pages: c.relevantPages ?? [],
          expect_refusal: c.expectRefusal ?? false,
          tags: c.tags ?? [],
          principals: [...new Set(c.principals ?? [])].sort(),
        };
      });
      await tx.query(
        `INSERT INTO eval_cases (id, dataset_id, ordinal, external_id, question, reference_answer, relevant_document_ids,
                                 relevance, relevant_chunk_ids, relevant_pages, expect_refusal, tags, principals)
         SELECT r.id, $1, r.ordinal, r.external_id, r.question, r.reference_answer,
                ARRAY(SELECT jsonb_array_elements_text(r.relevant_document_ids)), r.relevance,
                ARRAY(SELECT jsonb_array_elements_text(r.relevant_chunk_ids)),
                ARRAY(SELECT jsonb_array_elements_text(r.relevant_pages)::integer), r.expect_refusal,
                ARRAY(SELECT jsonb_array_elements_text(r.tags)), ARRAY(SELECT jsonb_array_elements_text(r.principals))
           FROM jsonb_to_recordset($2::jsonb) AS r(id text, ordinal integer, external_id text, question text,
                reference_answer text, relevant_document_ids jsonb, relevance jsonb, relevant_chunk_ids jsonb,
                relevant_pages jsonb, expect_refusal boolean, tags jsonb, principals jsonb)`,
        [id, JSON.stringify(rows)],
      );
    }
    await recordAudit(
      tx,
      {
        actor: options.caller.id,
        action: 'eval.dataset.import',
        target: `dataset:${id}`,
        after: { name: options.name, version, cases: cases.length },
        ...(options.requestId ? { requestId: options.requestId } : {}),
      },
      options.clock ?? systemClock,
    );
    return {
      id,
      name: options.name,
      version,
      description: options.description ?? '',
      origin: options.origin,
      caseCount: cases.length,
      createdBy: options.caller.id,
      createdAt: inserted.rows[0]?.created_at ?? new Date(),
    };
  });
}

type DatasetRow = {
  id: string;
  name: string;
  version: number;
  description: string;
  origin: string;
  case_count: number;
  created_by: string;
  created_at: Date;
};

function toSummary(row: DatasetRow): DatasetSummary {
  return {
    id: row.id,
    name: row.name,
    version: row.version,
    description: row.description,
    origin: row.origin,
    caseCount: row.case_count,
    createdBy: row.created_by,
    createdAt: row.created_at,
  };
}

/** Every dataset version, newest first within a name. */
export async function listDatasets(db: Queryable): Promise<DatasetSummary[]> {
  const { rows } = await db.query<DatasetRow>('SELECT * FROM eval_datasets ORDER BY name, version DESC');
  return rows.map(toSummary);
}

/**
 * Loads a dataset version with its cases: `name` (latest version), `name@3`, or a dataset id. Cases are
 * questions and document ids (no document content); callers that show them decide on visibility.
 */
export async function loadDataset(db: Queryable, reference: string): Promise<Dataset> {
  const at = /^(.*)@(\d+)$/.exec(reference);
  const { rows } = at
    ? await db.query<DatasetRow>('SELECT * FROM eval_datasets WHERE name = $1 AND version = $2', [at[1], Number(at[2])])
    : await db.query<DatasetRow>('SELECT * FROM eval_datasets WHERE id = $1 OR name = $1 ORDER BY version DESC LIMIT 1', [
        reference,
      ]);
  const row = rows[0];
  if (!row) {
    throw new GroundworkError('evaluate.dataset_not_found', `No evaluation dataset "${reference}".`, {
      category: 'not_found',
      fix: 'List datasets with `groundwork eval datasets`; import one with `groundwork eval import NAME FILE`.',
    });
  }
  const cases = await db.query<{
    id: string;
    ordinal: number;
    external_id: string;
    question: string;
    reference_answer: string | null;
    relevant_document_ids: string[];
    relevance: Record<string, number>;
    relevant_chunk_ids: string[];
    relevant_pages: number[];
    expect_refusal: boolean;
    tags: string[];
    principals: string[];
  }>('SELECT * FROM eval_cases WHERE dataset_id = $1 ORDER BY ordinal', [row.id]);
  return {
    ...toSummary(row),
    cases: cases.rows.map(
      (c): EvalCase => ({
        id: c.id,
        ordinal: c.ordinal,
        externalId: c.external_id,
        question: c.question,
        referenceAnswer: c.reference_answer,
        relevantDocumentIds: c.relevant_document_ids,
        relevance: c.relevance,
        relevantChunkIds: c.relevant_chunk_ids,
        relevantPages: c.relevant_pages,
        expectRefusal: c.expect_refusal,
        tags: c.tags,
        principals: c.principals,
      }),
    ),
  };
}
