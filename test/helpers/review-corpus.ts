/**
 * Test fixtures of the review feature: a two-document corpus with ACLs (underwriting, claims), two use cases
 * whose audiences are those groups, and real (extractive) answers asked through the platform.
 */
import type { Caller } from '../../src/core/index.ts';
import { callerWithPrincipals } from '../../src/core/index.ts';
import type { Platform } from '../../src/create-platform.ts';

export const alice = callerWithPrincipals(['user:alice@example.com', 'group:underwriting']);
export const bob = callerWithPrincipals(['user:bob@example.com', 'group:claims']);
/** Reviews underwriting-qa. */
export const rita = callerWithPrincipals(['user:rita@example.com', 'group:underwriting'], 'reviewer');
/** Also reviews underwriting-qa. */
export const ravi = callerWithPrincipals(['user:ravi@example.com', 'group:underwriting'], 'reviewer');
/** Reviews claims-qa only. */
export const carl = callerWithPrincipals(['user:carl@example.com', 'group:claims'], 'reviewer');
/** A reviewer who asks underwriting questions too. */
export const uma = callerWithPrincipals(['user:uma@example.com', 'group:underwriting'], 'reviewer');

export async function seedCorpus(platform: Platform): Promise<void> {
  const { db } = platform;
  await db.query(`INSERT INTO sources (id, name, type) VALUES ('src_r', 'corpus', 'filesystem')`);
  await db.query(
    `INSERT INTO documents (id, source_id, source_ref, uri, title, principals, status, chunk_count) VALUES
       ('doc_uw', 'src_r', 'uw.md', 'file:///uw.md', 'Underwriting guide', '{group:underwriting}', 'indexed', 1),
       ('doc_cl', 'src_r', 'cl.md', 'file:///cl.md', 'Claims manual', '{group:claims}', 'indexed', 1)`,
  );
  await db.query(
    `INSERT INTO chunks (id, document_id, source_id, ordinal, text, token_count, content_hash, principals) VALUES
       ('chk_uw', 'doc_uw', 'src_r', 0, 'The flood deductible is 1000 euros for coastal risks in the underwriting guide.', 14, 'h1', '{group:underwriting}'),
       ('chk_cl', 'doc_cl', 'src_r', 0, 'Claims above 50000 euros need a second adjuster before payment.', 11, 'h2', '{group:claims}')`,
  );
  await platform.answerer.useCases.create('underwriting-qa', { principals: ['group:underwriting'], status: 'general' });
  await platform.answerer.useCases.create('claims-qa', { principals: ['group:claims'], status: 'general' });
}

/** Asks and waits until the trace and the review sampler have written. Returns the trace id. */
export async function ask(platform: Platform, caller: Caller, useCase: string, question: string): Promise<string> {
  const answer = await platform.answerer.ask({ question, caller, useCase });
  await settle(platform);
  return answer.traceId;
}

export async function settle(platform: Platform): Promise<void> {
  await platform.observe.recorder.flush();
  await platform.reviewSampler.flush();
  await platform.usage.flush();
}

/** Revokes a document's readers (an ACL change after the answer). */
export async function restrictDocument(platform: Platform, documentId: string, principals: readonly string[]): Promise<void> {
  await platform.db.query('UPDATE documents SET principals = $2 WHERE id = $1', [documentId, principals]);
  await platform.db.query('UPDATE chunks SET principals = $2 WHERE document_id = $1', [documentId, principals]);
}
