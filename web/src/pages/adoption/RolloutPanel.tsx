import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { ApiError, api, type CohortView } from '../../api.ts';
import { ErrorBox, formatDate } from '../../components.tsx';

/** GET /v1/use-cases/:name/rollout (docs/rollout.md). Duplicated from the server on purpose (web never imports src/). */
export interface RolloutView {
  useCase: string;
  stage: 'draft' | 'pilot' | 'limited' | 'general' | 'retired';
  cohorts: string[];
  percent: number;
  killed: boolean;
  killMessage: string | null;
  killedBy: string | null;
  killedAt: string | null;
  updatedBy: string | null;
  updatedAt: string | null;
}

const stages: RolloutView['stage'][] = ['draft', 'pilot', 'limited', 'general', 'retired'];
const stageHelp: Record<RolloutView['stage'], string> = {
  draft: 'only its builders',
  pilot: 'named cohorts only',
  limited: 'cohorts plus a sticky share of everyone',
  general: 'everyone it is shared with',
  retired: 'nobody',
};

const path = (useCase: string, rest: string) => `/v1/use-cases/${encodeURIComponent(useCase)}${rest}`;

/** Rollout stage, cohorts, percentage and the kill switch of one use case, with their controls. */
export function RolloutPanel({ useCase, cohorts }: { useCase: string; cohorts: CohortView[] }) {
  const [rollout, setRollout] = useState<RolloutView | null>(null);
  const [stage, setStage] = useState<RolloutView['stage']>('general');
  const [chosen, setChosen] = useState<string[]>([]);
  const [percent, setPercent] = useState('0');
  const [message, setMessage] = useState('');
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const show = useCallback((r: RolloutView) => {
    setRollout(r);
    setStage(r.stage);
    setChosen(r.cohorts);
    setPercent(String(r.percent));
  }, []);

  useEffect(() => {
    setRollout(null);
    setNotice(null);
    setError(null);
    api<RolloutView>(path(useCase, '/rollout')).then(show).catch(setError);
  }, [useCase, show]);

  async function run(work: () => Promise<void>) {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      await work();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  const saveStage = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const body = {
        stage,
        ...(stage === 'pilot' || stage === 'limited' ? { cohorts: chosen } : {}),
        ...(stage === 'limited' ? { percent: Number(percent) } : {}),
      };
      const result = await api<RolloutView | { changeRequest: { id: string; summary: string } }>(path(useCase, '/rollout'), {
        method: 'PUT',
        body,
      });
      if ('changeRequest' in result) {
        setNotice(
          `This expands the rollout: change request ${result.changeRequest.id} waits for approval (${result.changeRequest.summary}).`,
        );
      } else {
        show(result);
        setNotice(`Stage set to ${result.stage}.`);
      }
    });
  };

  const kill = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      show(
        await api<RolloutView>(path(useCase, '/kill'), {
          method: 'POST',
          body: message.trim() ? { message: message.trim() } : {},
        }),
      );
      setNotice(`${useCase} is switched off for everyone.`);
    });
  };

  const restore = () =>
    run(async () => {
      show(await api<RolloutView>(path(useCase, '/restore'), { method: 'POST', body: {} }));
      setNotice(`${useCase} answers again.`);
    });

  if (!rollout) {
    return (
      <div className="card rollout-panel">
        <h2>Rollout</h2>
        {error instanceof ApiError || error ? <ErrorBox error={error} /> : <p className="loading">Loading…</p>}
      </div>
    );
  }
  return (
    <section className="card rollout-panel" aria-labelledby="rollout-title">
      <h2 id="rollout-title">Rollout</h2>
      {rollout.killed ? (
        <p className="notice bad" role="status">
          Killed by {rollout.killedBy} at {formatDate(rollout.killedAt)}
          {rollout.killMessage ? ` — users see: “${rollout.killMessage}”` : ''}
        </p>
      ) : null}
      <dl className="rollout-stats">
        <div>
          <dt>Stage</dt>
          <dd data-testid="rollout-stage">{rollout.stage}</dd>
        </div>
        <div>
          <dt>Cohorts</dt>
          <dd>{rollout.cohorts.length > 0 ? rollout.cohorts.join(', ') : '—'}</dd>
        </div>
        <div>
          <dt>Share of everyone</dt>
          <dd>{rollout.stage === 'limited' ? `${rollout.percent}%` : rollout.stage === 'general' ? '100%' : '—'}</dd>
        </div>
        <div>
          <dt>Kill switch</dt>
          <dd>{rollout.killed ? 'on' : 'off'}</dd>
        </div>
      </dl>
      <form className="filters" onSubmit={saveStage}>
        <div>
          <label htmlFor="rollout-stage">Stage</label>
          <select id="rollout-stage" value={stage} onChange={(e) => setStage(e.target.value as RolloutView['stage'])}>
            {stages.map((s) => (
              <option key={s} value={s}>
                {s} — {stageHelp[s]}
              </option>
            ))}
          </select>
        </div>
        {stage === 'pilot' || stage === 'limited' ? (
          <fieldset>
            <legend>Cohorts</legend>
            {cohorts.length === 0 ? <p className="muted small">No cohorts yet (groundwork cohorts create …).</p> : null}
            {cohorts.map((c) => (
              <label key={c.name}>
                <input
                  type="checkbox"
                  checked={chosen.includes(c.name)}
                  onChange={(e) => setChosen(e.target.checked ? [...chosen, c.name] : chosen.filter((n) => n !== c.name))}
                />{' '}
                {c.name}
              </label>
            ))}
          </fieldset>
        ) : null}
        {stage === 'limited' ? (
          <div>
            <label htmlFor="rollout-percent">Percent of everyone (sticky per user)</label>
            <input
              id="rollout-percent"
              type="number"
              min={0}
              max={100}
              step="any"
              value={percent}
              onChange={(e) => setPercent(e.target.value)}
            />
          </div>
        ) : null}
        <div className="row end">
          <button type="submit" disabled={busy}>
            Set stage
          </button>
        </div>
      </form>
      {rollout.killed ? (
        <div className="row end">
          <button type="button" onClick={() => void restore()} disabled={busy}>
            Restore
          </button>
        </div>
      ) : (
        <form className="filters" onSubmit={kill}>
          <div>
            <label htmlFor="rollout-kill-message">Message to users</label>
            <input
              id="rollout-kill-message"
              type="text"
              maxLength={500}
              value={message}
              placeholder="e.g. Paused while we correct the deductibles."
              onChange={(e) => setMessage(e.target.value)}
            />
          </div>
          <div className="row end">
            <button type="submit" className="secondary" disabled={busy}>
              Kill
            </button>
          </div>
        </form>
      )}
      {notice ? (
        <p className="notice" role="status">
          {notice}
        </p>
      ) : null}
      <ErrorBox error={error} />
    </section>
  );
}
