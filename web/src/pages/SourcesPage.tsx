import { type ReactNode, useCallback, useEffect, useRef, useState } from 'react';
import { api, type JobSummary, type Me, type QuarantineEntry, type SourceStatus } from '../api.ts';
import { Empty, ErrorBox, formatDate, formatDuration } from '../components.tsx';
import { AddSourceForm } from './sources/AddSourceForm.tsx';

/** Documents nobody can read through the server, and ACL rules that never decide: said loudly, with the fix. */
function AccessWarnings({ status }: { status: SourceStatus }) {
  const n = status.unreadableDocuments;
  if (n === 0 && status.aclWarnings.length === 0 && !status.aclMapDrift) return null;
  return (
    <div className="access-warning" role="alert" aria-label={`Permission warnings for ${status.name}`}>
      {n > 0 ? (
        <p>
          <strong>
            {n} document{n === 1 ? ' is' : 's are'} readable by no one through the server
          </strong>{' '}
          — no API key, admin keys included, finds {n === 1 ? 'it' : 'them'}: no ACL map rule, default, sidecar or --readable-by
          decided who may read {n === 1 ? 'it' : 'them'}. Fix: re-ingest with{' '}
          <code>groundwork ingest PATH --readable-by group:staff</code> or give the source an ACL map with a default (
          <code>--acl-map FILE</code>).
        </p>
      ) : null}
      {status.aclWarnings.map((warning) => (
        <p key={warning.ruleIndex}>
          <strong>ACL map:</strong> {warning.message}
        </p>
      ))}
      {status.aclMapDrift ? (
        <p>
          <strong>ACL map:</strong> {status.aclMapDrift.message}
        </p>
      ) : null}
    </div>
  );
}

/** Operators: per-source ingestion health, quarantine with retry, sync with live progress. */
export function SourcesPage({ me }: { me: Me }) {
  const [sources, setSources] = useState<SourceStatus[] | null>(null);
  const [quarantine, setQuarantine] = useState<QuarantineEntry[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState('');
  const poll = useRef<number | undefined>(undefined);
  const canWrite = me.scopes.includes('sources:write');
  const canQuarantine = me.scopes.includes('quarantine:read');
  const canReadJobs = me.scopes.includes('jobs:read');

  const load = useCallback(async () => {
    try {
      const status = await api<{ sources: SourceStatus[] }>('/v1/status');
      setSources(status.sources);
      if (canQuarantine) setQuarantine((await api<{ entries: QuarantineEntry[] }>('/v1/quarantine')).entries);
      setError(null);
      return status.sources;
    } catch (caught) {
      setError(caught);
      return [];
    }
  }, [canQuarantine]);

  useEffect(() => {
    void load();
    return () => window.clearTimeout(poll.current);
  }, [load]);

  // Poll while the sync job is queued or any sync runs, so the progress and counts move without a reload.
  const watch = useCallback(
    (jobId?: string) => {
      window.clearTimeout(poll.current);
      poll.current = window.setTimeout(async () => {
        const latest = await load();
        let job: JobSummary | undefined;
        if (jobId && canReadJobs) job = await api<JobSummary>(`/v1/jobs/${encodeURIComponent(jobId)}`).catch(() => undefined);
        const waiting = job ? ['created', 'retry', 'active'].includes(job.state) : false;
        if (waiting || latest.some((s) => s.running)) watch(waiting ? jobId : undefined);
        else if (job && job.state !== 'completed')
          setNotice(`The sync job ${job.state === 'dead' ? 'failed (see Jobs)' : job.state}.`);
        else setNotice('Sync finished.');
      }, 1000);
    },
    [load, canReadJobs],
  );

  async function sync(name: string) {
    setNotice(`Sync of ${name} queued…`);
    try {
      const queued = await api<{ jobId: string }>(`/v1/sources/${encodeURIComponent(name)}/sync`, { method: 'POST' });
      watch(queued.jobId);
    } catch (caught) {
      setError(caught);
      setNotice('');
    }
  }

  async function retry(ids?: string[]) {
    try {
      const { entries } = await api<{ entries: QuarantineEntry[] }>('/v1/quarantine/retry', {
        method: 'POST',
        body: ids ? { ids } : {},
      });
      setNotice(`${entries.length} file(s) will be retried at the next sync.`);
      await load();
    } catch (caught) {
      setError(caught);
    }
  }

  return (
    <section aria-labelledby="sources-title">
      <div className="row between">
        <h1 id="sources-title">Sources</h1>
        <button type="button" className="secondary" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      <ErrorBox error={error} />
      {notice ? (
        <p className="notice" role="status">
          {notice}
        </p>
      ) : null}
      {canWrite ? (
        <AddSourceForm
          onAdded={(message) => {
            setNotice(message);
            void load();
          }}
        />
      ) : null}
      {sources === null ? <p className="loading">Loading…</p> : null}
      {sources?.length === 0 ? <Empty>{'No sources yet. Add one with `groundwork ingest FOLDER`.'}</Empty> : null}
      <div className="cards">
        {sources?.map((s) => (
          <article key={s.id} className="card source" aria-label={`Source ${s.name}`}>
            <div className="row between">
              <h2>
                {s.name} <span className="muted small">{s.type}</span>
              </h2>
              {canWrite ? (
                <button type="button" onClick={() => void sync(s.name)} disabled={Boolean(s.running)}>
                  {s.running ? 'Syncing…' : 'Sync now'}
                </button>
              ) : null}
            </div>
            {s.path ? <p className="muted small uri">{s.path}</p> : null}
            {s.running ? <RunProgress run={s.running} /> : null}
            <dl className="stats">
              <div>
                <dt>Documents</dt>
                <dd>{s.documents}</dd>
              </div>
              <div>
                <dt>Chunks</dt>
                <dd>{s.chunks}</dd>
              </div>
              <div>
                <dt>Last sync</dt>
                <dd>{formatDate(s.lastSyncAt)}</dd>
              </div>
              <div>
                <dt>Update lag (median / worst)</dt>
                <dd>
                  {formatDuration(s.updateLagSeconds.median)} / {formatDuration(s.updateLagSeconds.worst)}
                </dd>
              </div>
              <div>
                <dt>Failed runs</dt>
                <dd className={s.failures.failedRuns > 0 ? 'bad' : ''}>{s.failures.failedRuns}</dd>
              </div>
              <div>
                <dt>Quarantined</dt>
                <dd className={s.quarantine.total > 0 ? 'warn' : ''}>{s.quarantine.total}</dd>
              </div>
              <div>
                <dt>Undetermined permissions</dt>
                <dd className={s.undeterminedPrincipals > 0 ? 'warn' : ''}>{s.undeterminedPrincipals}</dd>
              </div>
              <div>
                <dt>Suspected prompt injection</dt>
                <dd
                  className={(s.injectionSuspected?.chunks ?? 0) > 0 ? 'warn' : ''}
                  title="Passages with text that looks like instructions to an AI: never quoted as answers, sent to models only as untrusted data"
                >
                  {s.injectionSuspected
                    ? `${s.injectionSuspected.chunks} passage(s) in ${s.injectionSuspected.documents} document(s)${
                        s.injectionSuspected.unscanned > 0 ? ` · ${s.injectionSuspected.unscanned} not scanned yet` : ''
                      }`
                    : '—'}
                </dd>
              </div>
              <div>
                <dt title="OCRed pages read with low confidence or not at all: check them against the scans">
                  OCR pages to review
                </dt>
                <dd className={s.ocrReview.pages > 0 ? 'warn' : ''}>
                  {s.ocrReview.pages}
                  {s.ocrReview.pages > 0 ? ` in ${s.ocrReview.documents} doc.` : ''}
                </dd>
              </div>
            </dl>
            <AccessWarnings status={s} />
            {s.failures.failing && s.failures.lastErrorCode ? (
              <p className="error" role="alert" aria-label={`Source ${s.name} is failing`}>
                <strong>Failing:</strong> <code>{s.failures.lastErrorCode}</code> — the last sync failed; nothing was deleted.
              </p>
            ) : null}
            {s.failures.lastError ? <p className="error small">Last error: {s.failures.lastError}</p> : null}
            <SensitivityBar mix={s.sensitivity} />
          </article>
        ))}
      </div>

      {canQuarantine ? (
        <section aria-labelledby="quarantine-title" className="card">
          <div className="row between">
            <h2 id="quarantine-title">Quarantine</h2>
            {canWrite && quarantine && quarantine.length > 0 ? (
              <button type="button" className="secondary" onClick={() => void retry()}>
                Retry all
              </button>
            ) : null}
          </div>
          {quarantine?.length === 0 ? <Empty>No quarantined files.</Empty> : null}
          {quarantine && quarantine.length > 0 ? (
            <table>
              <thead>
                <tr>
                  <th scope="col">File</th>
                  <th scope="col">Reason and fix</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Last seen</th>
                  {canWrite ? <th scope="col">Action</th> : null}
                </tr>
              </thead>
              <tbody>
                {quarantine.map((q) => (
                  <tr key={q.id}>
                    <td className="uri">
                      <span className="muted small">{q.sourceName}</span>
                      <br />
                      {q.sourceRef}
                    </td>
                    <td>
                      <code>{q.code}</code> {q.message}
                    </td>
                    <td className="num">{q.attempts}</td>
                    <td className="small">{formatDate(q.lastSeenAt)}</td>
                    {canWrite ? (
                      <td>
                        {q.version === null ? (
                          <span className="muted small">Retry at next sync</span>
                        ) : (
                          <button type="button" className="secondary" onClick={() => void retry([q.id])}>
                            Retry
                          </button>
                        )}
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </section>
      ) : null}
    </section>
  );
}

function RunProgress({ run }: { run: Record<string, unknown> }) {
  const counts = (run.counts ?? {}) as Record<string, number>;
  const summary = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(' · ');
  return (
    <div className="progress-wrap" role="status">
      <progress aria-label="Sync progress" />
      <span className="small muted">
        Sync running since {formatDate(String(run.startedAt ?? ''))}
        {summary ? ` — ${summary}` : ''}
      </span>
    </div>
  );
}

const sensitivityColours: Record<string, string> = {
  public: '#7fb685',
  internal: '#6f9fd8',
  confidential: '#e0a458',
  restricted: '#d46a6a',
};

function SensitivityBar({ mix }: { mix: Record<string, number> }) {
  const entries = Object.entries(mix).filter(([, n]) => n > 0);
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  if (total === 0) return null;
  return (
    <div className="sensitivity">
      <span className="small muted">Sensitivity</span>
      <svg viewBox="0 0 100 6" preserveAspectRatio="none" className="bar" role="img" aria-label="Sensitivity mix">
        {
          entries.reduce<{ x: number; nodes: ReactNode[] }>(
            (acc, [label, n]) => {
              const width = (n / total) * 100;
              acc.nodes.push(
                <rect key={label} x={acc.x} y={0} width={width} height={6} fill={sensitivityColours[label] ?? '#999'} />,
              );
              acc.x += width;
              return acc;
            },
            { x: 0, nodes: [] },
          ).nodes
        }
      </svg>
      <ul className="legend">
        {entries.map(([label, n]) => (
          <li key={label}>
            <span className="swatch" style={{ background: sensitivityColours[label] ?? '#999' }} /> {label} {n}
          </li>
        ))}
      </ul>
    </div>
  );
}
