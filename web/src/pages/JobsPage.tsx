import { useCallback, useEffect, useState } from 'react';
import { api, type JobSummary, type Me } from '../api.ts';
import { Empty, ErrorBox, formatDate } from '../components.tsx';

const filters = [
  { state: 'dead', label: 'Dead letters' },
  { state: 'failed', label: 'Failed attempts' },
  { state: 'active', label: 'Running' },
  { state: 'created', label: 'Queued' },
  { state: 'retry', label: 'Waiting to retry' },
  { state: 'completed', label: 'Completed' },
  { state: '', label: 'All' },
] as const;

function errorOf(job: JobSummary): { code?: string; message?: string; fix?: string } | undefined {
  return (job.output as { error?: { code?: string; message?: string; fix?: string } } | null)?.error;
}

function subject(job: JobSummary): string {
  const data = job.data as { source?: string; schedule?: string; trigger?: string } | null;
  if (data?.source) return `source ${data.source}${data.trigger ? ` (${data.trigger})` : ''}`;
  if (data?.schedule) return `schedule ${data.schedule}`;
  return '';
}

/** Operators: background jobs on the queue — dead letters first (retries spent), failures, running, queued; retry. */
export function JobsPage({ me }: { me: Me }) {
  const [state, setState] = useState<string>('dead');
  const [jobs, setJobs] = useState<JobSummary[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState('');
  const canRetry = me.scopes.includes('jobs:write');

  const load = useCallback(async () => {
    try {
      const query = state ? `?state=${state}&limit=200` : '?limit=200';
      setJobs((await api<{ jobs: JobSummary[] }>(`/v1/jobs${query}`)).jobs);
      setError(null);
    } catch (caught) {
      setError(caught);
    }
  }, [state]);

  useEffect(() => {
    void load();
  }, [load]);

  async function retry(job: JobSummary) {
    try {
      const again = await api<JobSummary>(`/v1/jobs/${encodeURIComponent(job.id)}/retry`, { method: 'POST' });
      setNotice(`Job ${job.name} queued again as ${again.id}.`);
      await load();
    } catch (caught) {
      setError(caught);
    }
  }

  return (
    <section aria-labelledby="jobs-title">
      <div className="row between">
        <h1 id="jobs-title">Jobs</h1>
        <button type="button" className="secondary" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      <p className="muted small">
        Background work on the queue, run by <code>groundwork worker</code>: syncs (started here, over the API or on a source's
        schedule) and scheduled evaluations. A job whose retries are spent waits in the dead letters until it is retried.
      </p>
      <fieldset className="row segmented">
        <legend className="visually-hidden">Job state</legend>
        {filters.map((f) => (
          <button
            key={f.state}
            type="button"
            className={state === f.state ? '' : 'secondary'}
            aria-pressed={state === f.state}
            onClick={() => setState(f.state)}
          >
            {f.label}
          </button>
        ))}
      </fieldset>
      <ErrorBox error={error} />
      {notice ? (
        <p className="notice" role="status">
          {notice}
        </p>
      ) : null}
      {jobs === null ? <p className="loading">Loading…</p> : null}
      {jobs?.length === 0 ? <Empty>No jobs in this state.</Empty> : null}
      {jobs && jobs.length > 0 ? (
        <table aria-label="Jobs">
          <thead>
            <tr>
              <th>Type</th>
              <th>For</th>
              <th>State</th>
              <th>Attempts</th>
              <th>Created</th>
              <th>Last error</th>
              {canRetry ? <th aria-label="Actions" /> : null}
            </tr>
          </thead>
          <tbody>
            {jobs.map((job) => {
              const failure = errorOf(job);
              return (
                <tr key={job.id} aria-label={`Job ${job.id}`}>
                  <td>{job.name}</td>
                  <td>{subject(job)}</td>
                  <td>
                    <span className={`state state-${job.state}`}>{job.state}</span>
                  </td>
                  <td>
                    {job.retryCount + 1}/{job.retryLimit + 1}
                  </td>
                  <td>{formatDate(job.createdOn)}</td>
                  <td>
                    {failure ? (
                      <span title={failure.fix ?? ''}>
                        <code>{failure.code}</code> {failure.message}
                      </span>
                    ) : null}
                  </td>
                  {canRetry ? (
                    <td>
                      {job.state === 'dead' ? (
                        <button type="button" onClick={() => void retry(job)}>
                          Retry
                        </button>
                      ) : null}
                    </td>
                  ) : null}
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
