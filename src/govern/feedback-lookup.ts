import type { Queryable } from '../store/index.ts';

/**
 * The trace a feedback entry rates, or undefined when there is no such entry: lets other features check a
 * reference to feedback (an incident's link) against the reader's access to that trace. Never the comment.
 */
export async function feedbackTraceId(db: Queryable, feedbackId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ trace_id: string }>('SELECT trace_id FROM feedback WHERE id = $1', [feedbackId]);
  return rows[0]?.trace_id;
}
