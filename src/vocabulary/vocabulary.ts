import { createUseCaseStore } from '../answer/index.ts';
import { type Caller, GroundworkError } from '../core/index.ts';
import { authorize, recordAudit } from '../govern/index.ts';
import { type Database, publishChange, type Queryable } from '../store/index.ts';

/**
 * Domain vocabulary (issue 20 item 5, docs/vocabulary.md): synonyms and acronyms per use case ('' = every use
 * case), applied at query time by the retriever as query expansion (`retrieve/synonyms.ts`: each group's
 * members are appended to the query, so BM25 stays BM25 — an OR of the original terms and their equivalents,
 * every term weighted by its query frequency, the original never below an expansion). Every change is a new
 * version (`vocabulary_versions`) and an audit entry.
 */

export const vocabularyKinds = ['synonym', 'acronym'] as const;
export type VocabularyKind = (typeof vocabularyKinds)[number];

export interface VocabularyEntry {
  /** Empty string: every use case. */
  readonly useCase: string;
  /** Lower-cased, whitespace collapsed. */
  readonly term: string;
  readonly kind: VocabularyKind;
  readonly expansions: readonly string[];
  readonly version: number;
  readonly updatedBy: string;
  readonly updatedAt: string;
}

export interface VocabularyVersion {
  readonly version: number;
  readonly useCase: string;
  readonly term: string;
  readonly action: 'add' | 'update' | 'remove';
  readonly before: { kind: VocabularyKind; expansions: string[] } | null;
  readonly after: { kind: VocabularyKind; expansions: string[] } | null;
  readonly actor: string;
  readonly at: string;
}

type EntryRow = {
  use_case: string;
  term: string;
  kind: VocabularyKind;
  expansions: string[];
  version: string | number;
  updated_by: string;
  updated_at: Date;
};

const toEntry = (row: EntryRow): VocabularyEntry => ({
  useCase: row.use_case,
  term: row.term,
  kind: row.kind,
  expansions: [...row.expansions],
  version: Number(row.version),
  updatedBy: row.updated_by,
  updatedAt: new Date(row.updated_at).toISOString(),
});

const maxLength = 120;

const invalidFix =
  'Give a term and its equivalents of 1–120 characters with at least one letter or digit, e.g. `groundwork vocabulary add FNOL "first notice of loss"`.';

function invalidTerm(message: string): GroundworkError {
  return new GroundworkError('vocabulary.invalid_term', message, { category: 'usage', fix: invalidFix });
}

function invalidExpansion(message: string): GroundworkError {
  return new GroundworkError('vocabulary.invalid_expansion', message, { category: 'usage', fix: invalidFix });
}

/** Canonical term: trimmed, inner whitespace collapsed, lower-cased (query matching is case-insensitive). */
export function normaliseTerm(raw: string): string {
  return raw.trim().replace(/\s+/g, ' ').toLowerCase();
}

function checkText(raw: string, what: 'term' | 'equivalent'): string {
  const text = raw.trim().replace(/\s+/g, ' ');
  if (text.length === 0 || text.length > maxLength || !/[\p{L}\p{N}]/u.test(text)) {
    const message = `The ${what} "${raw}" must be 1–${maxLength} characters with at least one letter or digit.`;
    throw what === 'term' ? invalidTerm(message) : invalidExpansion(message);
  }
  return text;
}

/** An all-capitals word of 2–10 letters/digits ("FNOL", "NCR", "B2B") is an acronym. */
export function looksLikeAcronym(term: string): boolean {
  return /^[A-Z][A-Z0-9&]{1,9}$/.test(term.trim());
}

async function requireUseCase(db: Queryable, useCase: string | undefined): Promise<string> {
  if (!useCase) return '';
  return (await createUseCaseStore(db).require(useCase)).name;
}

async function readEntry(db: Queryable, useCase: string, term: string): Promise<VocabularyEntry | undefined> {
  const { rows } = await db.query<EntryRow>('SELECT * FROM vocabulary_entries WHERE use_case = $1 AND term = $2', [
    useCase,
    term,
  ]);
  return rows[0] ? toEntry(rows[0]) : undefined;
}

async function writeVersion(
  tx: Queryable,
  caller: Caller,
  useCase: string,
  term: string,
  before: VocabularyEntry | undefined,
  after: { kind: VocabularyKind; expansions: string[] } | null,
  requestId?: string,
): Promise<number> {
  const action = after === null ? 'remove' : before ? 'update' : 'add';
  const beforeState = before ? { kind: before.kind, expansions: [...before.expansions] } : null;
  const { rows } = await tx.query<{ version: string }>(
    `INSERT INTO vocabulary_versions (use_case, term, action, before, after, actor) VALUES ($1, $2, $3, $4, $5, $6) RETURNING version`,
    [useCase, term, action, beforeState ? JSON.stringify(beforeState) : null, after ? JSON.stringify(after) : null, caller.id],
  );
  const version = Number(rows[0]?.version);
  await recordAudit(tx, {
    actor: caller.id,
    action: `vocabulary.${action}`,
    target: `vocabulary:${useCase || '*'}/${term}`,
    ...(beforeState ? { before: beforeState } : {}),
    after: { ...(after ?? { expansions: null }), version },
    ...(requestId ? { requestId } : {}),
  });
  await publishChange(tx, 'vocabulary');
  return version;
}

export interface AddVocabularyInput {
  readonly term: string;
  readonly expansions: readonly string[];
  /** Default: `acronym` when the term is all capitals, else `synonym`. */
  readonly kind?: string;
  /** Absent: every use case. */
  readonly useCase?: string;
}

/**
 * Adds a term with its equivalents (merged into an existing entry of the same term and use case): validated,
 * authorized (`vocabulary:write`), written with a new version and an audit entry, published to every process.
 */
export async function addVocabularyEntry(
  db: Database,
  caller: Caller,
  input: AddVocabularyInput,
  options: { readonly requestId?: string } = {},
): Promise<VocabularyEntry> {
  authorize(caller, 'vocabulary:write');
  const written = checkText(input.term ?? '', 'term');
  const term = normaliseTerm(written);
  if (!Array.isArray(input.expansions) || input.expansions.length === 0 || input.expansions.length > 50) {
    throw invalidExpansion(`Give 1–50 equivalents for "${written}".`);
  }
  const expansions = input.expansions.map((e) => checkText(String(e), 'equivalent'));
  if (expansions.some((e) => normaliseTerm(e) === term)) {
    throw invalidExpansion(`"${written}" cannot be its own equivalent.`);
  }
  const kind = (input.kind ?? (looksLikeAcronym(written) ? 'acronym' : 'synonym')) as VocabularyKind;
  if (!vocabularyKinds.includes(kind)) {
    throw new GroundworkError('vocabulary.invalid_kind', `"${input.kind}" is not a vocabulary kind (valid: synonym, acronym).`, {
      category: 'usage',
      fix: 'Pass --kind synonym or --kind acronym (default: acronym for an all-capitals term).',
    });
  }
  return db.transaction(async (tx) => {
    const useCase = await requireUseCase(tx, input.useCase);
    const before = await readEntry(tx, useCase, term);
    const merged = [...(before?.expansions ?? [])];
    for (const e of expansions) if (!merged.some((m) => normaliseTerm(m) === normaliseTerm(e))) merged.push(e);
    if (before && merged.length === before.expansions.length && before.kind === kind) return before;
    const version = await writeVersion(tx, caller, useCase, term, before, { kind, expansions: merged }, options.requestId);
    await tx.query(
      `INSERT INTO vocabulary_entries (use_case, term, kind, expansions, version, updated_by, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, now())
       ON CONFLICT (use_case, term) DO UPDATE SET kind = $3, expansions = $4, version = $5, updated_by = $6, updated_at = now()`,
      [useCase, term, kind, merged, version, caller.id],
    );
    return (await readEntry(tx, useCase, term)) as VocabularyEntry;
  });
}

/**
 * Removes equivalents from a term (the whole entry without `expansions`); versioned and audited like adding.
 * Returns the entry left, or null when it was removed.
 */
export async function removeVocabularyEntry(
  db: Database,
  caller: Caller,
  input: { readonly term: string; readonly expansions?: readonly string[]; readonly useCase?: string },
  options: { readonly requestId?: string } = {},
): Promise<VocabularyEntry | null> {
  authorize(caller, 'vocabulary:write');
  const term = normaliseTerm(input.term ?? '');
  return db.transaction(async (tx) => {
    const useCase = await requireUseCase(tx, input.useCase);
    const before = await readEntry(tx, useCase, term);
    if (!before) {
      throw new GroundworkError(
        'vocabulary.not_found',
        `The vocabulary has no term "${input.term}"${useCase ? ` for use case ${useCase}` : ' for every use case'}.`,
        {
          category: 'not_found',
          fix: `List the entries with \`groundwork vocabulary list${useCase ? ` --use-case ${useCase}` : ''}\`.`,
          details: { term, useCase },
        },
      );
    }
    const drop = new Set((input.expansions ?? []).map(normaliseTerm));
    const left = drop.size === 0 ? [] : before.expansions.filter((e) => !drop.has(normaliseTerm(e)));
    if (drop.size > 0 && left.length === before.expansions.length) return before;
    const after = left.length === 0 ? null : { kind: before.kind, expansions: left };
    const version = await writeVersion(tx, caller, useCase, term, before, after, options.requestId);
    if (after === null) {
      await tx.query('DELETE FROM vocabulary_entries WHERE use_case = $1 AND term = $2', [useCase, term]);
      return null;
    }
    await tx.query(
      'UPDATE vocabulary_entries SET expansions = $3, version = $4, updated_by = $5, updated_at = now() WHERE use_case = $1 AND term = $2',
      [useCase, term, left, version, caller.id],
    );
    return (await readEntry(tx, useCase, term)) as VocabularyEntry;
  });
}

/** Entries (of one use case and the global ones, or all), with the vocabulary's latest version. */
export async function listVocabulary(
  db: Queryable,
  caller: Caller,
  options: { readonly useCase?: string } = {},
): Promise<{ version: number; entries: VocabularyEntry[] }> {
  authorize(caller, 'vocabulary:read');
  const { rows } = await db.query<EntryRow>(
    `SELECT * FROM vocabulary_entries WHERE ($1::text IS NULL OR use_case IN ('', $1)) ORDER BY use_case, term`,
    [options.useCase ?? null],
  );
  const latest = await db.query<{ v: string | null }>('SELECT max(version) AS v FROM vocabulary_versions');
  return { version: Number(latest.rows[0]?.v ?? 0), entries: rows.map(toEntry) };
}

/** Every version, newest first. */
export async function vocabularyHistory(
  db: Queryable,
  caller: Caller,
  options: { readonly limit?: number } = {},
): Promise<VocabularyVersion[]> {
  authorize(caller, 'vocabulary:read');
  const { rows } = await db.query<{
    version: string;
    use_case: string;
    term: string;
    action: VocabularyVersion['action'];
    before: VocabularyVersion['before'];
    after: VocabularyVersion['after'];
    actor: string;
    at: Date;
  }>('SELECT * FROM vocabulary_versions ORDER BY version DESC LIMIT $1', [Math.min(Math.max(options.limit ?? 100, 1), 1000)]);
  return rows.map((r) => ({
    version: Number(r.version),
    useCase: r.use_case,
    term: r.term,
    action: r.action,
    before: r.before,
    after: r.after,
    actor: r.actor,
    at: new Date(r.at).toISOString(),
  }));
}

/** The synonym map the retriever applies for a use case: the global entries plus the use case's own. */
export async function vocabularySynonyms(db: Queryable, useCase: string | undefined): Promise<Record<string, string[]>> {
  const { rows } = await db.query<{ term: string; expansions: string[] }>(
    `SELECT term, expansions FROM vocabulary_entries WHERE use_case IN ('', $1) ORDER BY use_case, term`,
    [useCase ?? ''],
  );
  const map: Record<string, string[]> = {};
  for (const row of rows) map[row.term] = [...(map[row.term] ?? []), ...row.expansions];
  return map;
}

/**
 * The retriever's vocabulary lookup: one indexed read per search (the table is small), so an added or removed
 * entry applies to the very next query in every process — no cache to invalidate.
 */
export function createVocabularyLookup(db: Queryable): (useCase: string | undefined) => Promise<Record<string, string[]>> {
  return (useCase) => vocabularySynonyms(db, useCase);
}
