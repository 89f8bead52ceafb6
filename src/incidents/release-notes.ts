import { createUseCaseStore, type UseCaseSnapshot, usableUseCaseNames } from '../answer/index.ts';
import type { Caller } from '../core/index.ts';
import { authorize, fixedFeedbackByDay, type Governance, hasScope } from '../govern/index.ts';
import type { Queryable } from '../store/index.ts';
import { collectChanges, type Draft } from './change-log.ts';
import { seesUseCase, unknownUseCase } from './incidents.ts';

/**
 * Release notes of a use case ("what changed"), for the people who use it: human-readable entries with dates,
 * generated from its change log —
 *
 * - a new prompt or model version going live (moves of the `production` label, rollbacks);
 * - settings that change answers (scope, sources searched, how it searches, instructions, model, style, when it
 *   declines, its capability card, its status) — never who may approve, budgets or on-call;
 * - changes to the sources it searches and their access rules, without any detail (no paths, no ACLs) unless the
 *   reader has `sources:write`;
 * - applied change requests the reader may see (every use case they affect is one the reader may use);
 * - availability: rollout stages (pilot, limited share, everyone, retired) and the kill switch with the owner's
 *   message — never the cohorts' principals;
 * - resolved incidents (titles only for readers with `incidents:read`);
 * - reported problems marked fixed, as a count per day.
 *
 * Pending and rejected requests are not release notes. Needs `usecases:read` and may-use of the use case.
 */
export type ReleaseNoteKind =
  | 'prompt'
  | 'model'
  | 'settings'
  | 'availability'
  | 'sources'
  | 'access'
  | 'change'
  | 'incident'
  | 'feedback';

export interface ReleaseNote {
  readonly at: Date;
  readonly kind: ReleaseNoteKind;
  /** One line for people: "Answers now use prompt version 4". */
  readonly title: string;
  /** More words where there are some (the change's reason for readers who may read change logs). */
  readonly details?: string;
}

export interface ReleaseNotes {
  readonly useCase: string;
  readonly entries: readonly ReleaseNote[];
}

/** Settings people notice, in the words the notes use; the rest (approvers, owner, budgets…) are not notes. */
const noticeableSettings: Partial<Record<keyof UseCaseSnapshot, string>> = {
  description: 'its scope',
  sources: 'the sources it searches',
  retrieval: 'how it searches',
  prompt: 'its instructions',
  promptRef: 'its prompt',
  model: 'the model that writes answers',
  temperature: 'how varied answers are',
  maxOutputTokens: 'how long answers may be',
  style: 'the answer style',
  refusalThreshold: 'when it declines to answer',
  card: 'what it says it can and cannot do',
};

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

function settingsNote(draft: Draft): ReleaseNote | undefined {
  if (draft.action === 'usecase.create') return { at: draft.at, kind: 'settings', title: 'The assistant was set up' };
  if (draft.action === 'usecase.delete') return { at: draft.at, kind: 'settings', title: 'The assistant was removed' };
  const before = (draft.before ?? {}) as Partial<UseCaseSnapshot>;
  const after = (draft.after ?? {}) as Partial<UseCaseSnapshot>;
  const changed = Object.entries(noticeableSettings)
    .filter(([key]) => !same(before[key as keyof UseCaseSnapshot], after[key as keyof UseCaseSnapshot]))
    .map(([, words]) => words as string);
  const status = !same(before.status, after.status) && after.status ? after.status : undefined;
  if (changed.length === 0 && !status) return undefined;
  const parts = [...(status ? [`now in ${status}`] : []), ...(changed.length > 0 ? [`changed ${changed.join(', ')}`] : [])];
  return { at: draft.at, kind: 'settings', title: `${parts.join('; ').replace(/^./, (c) => c.toUpperCase())}` };
}

const stageWords: Record<string, (percent: number) => string> = {
  draft: () => 'Taken back into preparation: available only to the people building it',
  pilot: () => 'In pilot: available to selected groups',
  limited: (percent) => `Available to selected groups and ${percent}% of its other users`,
  general: () => 'Available to everyone it is meant for',
  retired: () => 'Retired: it no longer answers',
};

/**
 * Rollout stages and the kill switch (audited `rollout.stage|kill|restore` by the rollout feature) in words
 * for users: the stage and share, the owner's message when it was switched off; never cohort principals.
 */
function availabilityNote(draft: Draft): ReleaseNote | undefined {
  const after = (draft.after ?? {}) as { stage?: string; percent?: number; killMessage?: string | null };
  const before = (draft.before ?? {}) as { stage?: string; percent?: number } | null;
  if (draft.action === 'rollout.kill') {
    return {
      at: draft.at,
      kind: 'availability',
      title: 'Switched off for now',
      ...(after.killMessage ? { details: after.killMessage } : {}),
    };
  }
  if (draft.action === 'rollout.restore') return { at: draft.at, kind: 'availability', title: 'Available again' };
  if (draft.action !== 'rollout.stage' || !after.stage) return undefined;
  const words = stageWords[after.stage];
  if (!words) return undefined;
  // A change of cohorts alone is no news for users; a new stage or share is.
  if (before?.stage === after.stage && (after.stage !== 'limited' || before?.percent === after.percent)) return undefined;
  return { at: draft.at, kind: 'availability', title: words(after.percent ?? 0) };
}

function versionNote(draft: Draft, withReasons: boolean): ReleaseNote | undefined {
  const after = draft.after as { label?: string; version?: number | null; reason?: string | null };
  const before = draft.before as { version?: number | null } | null;
  if (draft.action.endsWith('.create') || after.label !== 'production') return undefined;
  const what = draft.area === 'prompt' ? 'prompt' : 'model configuration';
  const title = draft.action.endsWith('.rollback')
    ? `Rolled back to ${what} version ${after.version}${before?.version ? ` (from ${before.version})` : ''}`
    : `Answers now use ${what} version ${after.version}${before?.version ? ` (was ${before.version})` : ''}`;
  return {
    at: draft.at,
    kind: draft.area === 'prompt' ? 'prompt' : 'model',
    title,
    ...(withReasons && after.reason ? { details: after.reason } : {}),
  };
}

/** The release notes of use case `name` for `caller`, newest first (default at most 50). @throws `use_case.not_found`. */
export async function useCaseReleaseNotes(
  db: Queryable,
  caller: Caller,
  name: string,
  options: { governance?: Governance; limit?: number } = {},
): Promise<ReleaseNotes> {
  authorize(caller, 'usecases:read');
  const useCase = await createUseCaseStore(db).get(name);
  if (!useCase || !seesUseCase(useCase, caller)) throw unknownUseCase(name);
  const limit = Math.min(Math.max(options.limit ?? 50, 1), 500);
  const readsChangeLogs = hasScope(caller, 'incidents:read');
  const sourceDetails = hasScope(caller, 'sources:write');
  const seesEverything = caller.role === 'admin' || caller.seesEverything;
  const usable = seesEverything ? undefined : new Set(await usableUseCaseNames(db, caller));
  const notes: ReleaseNote[] = [];

  for (const draft of await collectChanges(db, caller, useCase, options.governance)) {
    const request = draft.changeRequest ?? null;
    // A change request touching a use case the reader may not use stays hidden (change-request visibility).
    if (request && usable && !request.useCases.every((u) => usable.has(u))) continue;
    const reason = readsChangeLogs && request?.reason ? { details: request.reason } : {};
    if (draft.area === 'prompt' || draft.area === 'model') {
      const note = versionNote(draft, readsChangeLogs);
      if (note) notes.push({ ...note, ...(note.details ? {} : reason) });
    } else if (draft.area === 'use_case' && draft.action.startsWith('rollout.')) {
      const note = availabilityNote(draft);
      if (note) notes.push(note);
    } else if (draft.area === 'use_case') {
      const note = settingsNote(draft);
      if (note) notes.push({ ...note, ...reason });
    } else if (draft.area === 'source' || draft.area === 'acl') {
      const access = draft.area === 'acl';
      notes.push({
        at: draft.at,
        kind: access ? 'access' : 'sources',
        title: access ? 'Who may read some documents it searches changed' : 'A source it searches was changed',
        ...(sourceDetails ? { details: draft.summary } : {}),
      });
    } else if (draft.area === 'change_request' && request?.status === 'applied') {
      notes.push({ at: draft.at, kind: 'change', title: `Approved change applied: ${request.summary}`, ...reason });
    }
  }

  const { rows: incidents } = await db.query<{ title: string; severity: string; resolved_at: Date }>(
    `SELECT title, severity, resolved_at FROM incidents
     WHERE use_case = $1 AND status = 'resolved' AND resolved_at IS NOT NULL ORDER BY resolved_at DESC LIMIT $2`,
    [name, limit],
  );
  for (const incident of incidents) {
    notes.push({
      at: new Date(incident.resolved_at),
      kind: 'incident',
      title: readsChangeLogs ? `Resolved incident: ${incident.title}` : 'A problem affecting answers was resolved',
      ...(readsChangeLogs ? { details: incident.severity } : {}),
    });
  }
  for (const { fixed, at } of await fixedFeedbackByDay(db, name, limit)) {
    notes.push({
      at,
      kind: 'feedback',
      title: `${fixed} reported problem${fixed === 1 ? '' : 's'} fixed`,
    });
  }
  notes.sort((a, b) => b.at.getTime() - a.at.getTime());
  return { useCase: name, entries: notes.slice(0, limit) };
}
