import { useEffect, useState } from 'react';
import { api } from '../../api.ts';
import { ErrorBox } from '../../components.tsx';

/** `context` of a `rollout.stage` change request (GET /v1/changes/:id; docs/rollout.md "Approval context"). */
interface RolloutChangeContext {
  expansion: boolean;
  requireCriteriaOnTrack: boolean;
  criteria: {
    criteria: Array<{
      id: string;
      metric: string;
      target: number;
      direction: 'up' | 'down';
      status: string;
      latest: number | null;
    }>;
    allOnTrack: boolean;
  };
  latestEvalGate: { runId: string; status: string; finishedAt: string | null; gatesPassed: boolean | null } | null;
}

const statusText: Record<string, string> = { on_track: 'on track', at_risk: 'at risk', missed: 'missed', no_data: 'no data' };

/** What an approver of a stage expansion sees: the success criteria status and the latest eval gate. */
export function RolloutContext({ changeId, kind }: { changeId: string; kind: string }) {
  const [context, setContext] = useState<RolloutChangeContext | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (kind !== 'rollout.stage') return;
    api<{ changeRequest: { context?: RolloutChangeContext } }>(`/v1/changes/${encodeURIComponent(changeId)}`)
      .then((r) => setContext(r.changeRequest.context ?? null))
      .catch(setError);
  }, [changeId, kind]);
  if (kind !== 'rollout.stage') return null;
  if (error) return <ErrorBox error={error} />;
  if (!context) return null;
  const gate = context.latestEvalGate;
  return (
    <div className="rollout-context" data-testid="rollout-context">
      <h3>Before you approve this {context.expansion ? 'expansion' : 'change'}</h3>
      {context.criteria.criteria.length === 0 ? (
        <p className="muted small">No success criteria are defined for this use case.</p>
      ) : (
        <ul>
          {context.criteria.criteria.map((c) => (
            <li key={c.id} className={c.status === 'on_track' ? 'ok' : c.status === 'no_data' ? undefined : 'warn'}>
              {c.metric}: {c.latest ?? '–'} (target {c.direction === 'up' ? '≥' : '≤'} {c.target}) —{' '}
              {statusText[c.status] ?? c.status}
            </li>
          ))}
        </ul>
      )}
      <p className="small">
        {context.criteria.allOnTrack ? 'All criteria on track.' : 'Not all criteria are on track.'}
        {context.requireCriteriaOnTrack && !context.criteria.allOnTrack
          ? ' The policy requires them to be: approving will be refused.'
          : ''}
      </p>
      <p className="small">
        Latest evaluation gate:{' '}
        {gate
          ? `${gate.runId} ${gate.status}${gate.gatesPassed === null ? ' (not gated)' : gate.gatesPassed ? ', gates passed' : ', gates FAILED'}`
          : 'never evaluated'}
      </p>
    </div>
  );
}
