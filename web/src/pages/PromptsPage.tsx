import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { api, type Me } from '../api.ts';
import { Empty, ErrorBox, formatDate } from '../components.tsx';

interface Summary {
  name: string;
  latestVersion: number;
  labels: Record<string, number>;
  updatedAt: string;
}
interface Version {
  name: string;
  version: number;
  body: { template?: string } & Record<string, unknown>;
  message: string;
  author: string;
  createdAt: string;
  labels: string[];
}
type Kind = 'prompts' | 'model-configs';

/** Line diff by longest common subsequence (prompts are short; O(n·m) is fine). */
export function lineDiff(a: string, b: string): Array<{ op: ' ' | '-' | '+'; text: string }> {
  const x = a.split('\n');
  const y = b.split('\n');
  const lcs = Array.from({ length: x.length + 1 }, () => new Array<number>(y.length + 1).fill(0));
  for (let i = x.length - 1; i >= 0; i--) {
    for (let j = y.length - 1; j >= 0; j--) {
      const row = lcs[i] as number[];
      row[j] =
        x[i] === y[j]
          ? ((lcs[i + 1] as number[])[j + 1] as number) + 1
          : Math.max((lcs[i + 1] as number[])[j] as number, row[j + 1] as number);
    }
  }
  const out: Array<{ op: ' ' | '-' | '+'; text: string }> = [];
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length) {
    if (x[i] === y[j]) {
      out.push({ op: ' ', text: x[i] as string });
      i++;
      j++;
    } else if (((lcs[i + 1] as number[])[j] as number) >= ((lcs[i] as number[])[j + 1] as number))
      out.push({ op: '-', text: x[i++] as string });
    else out.push({ op: '+', text: y[j++] as string });
  }
  while (i < x.length) out.push({ op: '-', text: x[i++] as string });
  while (j < y.length) out.push({ op: '+', text: y[j++] as string });
  return out;
}

/** A governed label move answers 202 `{changeRequest}`: nothing moved yet. */
interface Pending {
  changeRequest?: { id: string; eligibleApprovers: string[] };
}

function pendingNotice(change: NonNullable<Pending['changeRequest']>, what: string): string {
  const approvers = change.eligibleApprovers.filter((p) => p !== 'role:admin');
  return `${what} needs approval: change request ${change.id} waits on the Changes page for ${
    approvers.length > 0 ? `${approvers.join(', ')} or an admin` : 'an admin'
  } (not you).`;
}

const bodyText = (v: Version) => (typeof v.body.template === 'string' ? v.body.template : JSON.stringify(v.body, null, 2));

/** Prompt and model-configuration versions: diff, labels and rollback (builders and admins change them). */
export function PromptsPage({ me }: { me: Me }) {
  const [kind, setKind] = useState<Kind>('prompts');
  const [items, setItems] = useState<Summary[] | null>(null);
  const [selected, setSelected] = useState('');
  const [versions, setVersions] = useState<Version[]>([]);
  const [from, setFrom] = useState(0);
  const [to, setTo] = useState(0);
  const [label, setLabel] = useState('production');
  const [labelVersion, setLabelVersion] = useState(0);
  const [notice, setNotice] = useState('');
  const [error, setError] = useState<unknown>(null);
  const canWrite = me.scopes.includes('prompts:write');

  useEffect(() => {
    setItems(null);
    setSelected('');
    setVersions([]);
    api<{ items: Summary[] }>(`/v1/${kind}`)
      .then((r) => {
        setItems(r.items);
        if (r.items[0]) setSelected(r.items[0].name);
      })
      .catch(setError);
  }, [kind]);

  const loadVersions = useCallback(async () => {
    if (!selected) return;
    try {
      const r = await api<{ versions: Version[] }>(`/v1/${kind}/${encodeURIComponent(selected)}`);
      const sorted = [...r.versions].sort((a, b) => b.version - a.version);
      setVersions(sorted);
      setTo(sorted[0]?.version ?? 0);
      setFrom(sorted[1]?.version ?? sorted[0]?.version ?? 0);
      setLabelVersion(sorted[0]?.version ?? 0);
    } catch (caught) {
      setError(caught);
    }
  }, [kind, selected]);

  useEffect(() => {
    void loadVersions();
  }, [loadVersions]);

  async function move(event: FormEvent) {
    event.preventDefault();
    try {
      const moved = await api<Pending>(`/v1/${kind}/${encodeURIComponent(selected)}/labels`, {
        method: 'POST',
        body: { label, version: labelVersion },
      });
      setNotice(
        moved.changeRequest
          ? pendingNotice(moved.changeRequest, `Moving ${label} to version ${labelVersion}`)
          : `Label ${label} now points at version ${labelVersion}.`,
      );
      await loadVersions();
    } catch (caught) {
      setError(caught);
    }
  }

  async function rollback(name: string) {
    try {
      const moved = await api<{ from: number | null; to: number } & Pending>(
        `/v1/${kind}/${encodeURIComponent(selected)}/rollback`,
        {
          method: 'POST',
          body: { label: name },
        },
      );
      setNotice(
        moved.changeRequest
          ? pendingNotice(moved.changeRequest, `Rolling ${name} back`)
          : `Label ${name} rolled back to version ${moved.to}.`,
      );
      await loadVersions();
    } catch (caught) {
      setError(caught);
    }
  }

  const a = versions.find((v) => v.version === from);
  const b = versions.find((v) => v.version === to);
  // Labels from the freshly loaded versions (the name list is not reloaded after a label move).
  const labels = Object.fromEntries(versions.flatMap((v) => v.labels.map((l) => [l, v.version] as const)));

  return (
    <section aria-labelledby="prompts-title">
      <div className="row between">
        <h1 id="prompts-title">Prompts and models</h1>
        <fieldset className="row segmented">
          <legend className="visually-hidden">Kind</legend>
          <button
            type="button"
            className={kind === 'prompts' ? '' : 'secondary'}
            aria-pressed={kind === 'prompts'}
            onClick={() => setKind('prompts')}
          >
            Prompts
          </button>
          <button
            type="button"
            className={kind === 'model-configs' ? '' : 'secondary'}
            aria-pressed={kind === 'model-configs'}
            onClick={() => setKind('model-configs')}
          >
            Model configurations
          </button>
        </fieldset>
      </div>
      <ErrorBox error={error} />
      {notice ? (
        <p className="notice" role="status">
          {notice}
        </p>
      ) : null}
      {items?.length === 0 ? (
        <Empty>
          {kind === 'prompts'
            ? 'No versioned prompts yet: use cases use their inline prompt. Create one with `groundwork prompts create`.'
            : 'No versioned model configurations yet. Create one with `groundwork models create`.'}
        </Empty>
      ) : null}
      {items && items.length > 0 ? (
        <div className="cards">
          <div className="card">
            <label htmlFor="prompt-name">Name</label>
            <select id="prompt-name" value={selected} onChange={(e) => setSelected(e.target.value)}>
              {items.map((i) => (
                <option key={i.name} value={i.name}>
                  {i.name} (v{i.latestVersion})
                </option>
              ))}
            </select>
            <h2 className="small-heading">Labels</h2>
            {Object.keys(labels).length > 0 ? (
              <ul className="plain">
                {Object.entries(labels).map(([name, version]) => (
                  <li key={name} className="row between">
                    <span>
                      <span className="pill">{name}</span> → v{version}
                    </span>
                    {canWrite ? (
                      <button type="button" className="secondary" onClick={() => void rollback(name)}>
                        Roll back {name}
                      </button>
                    ) : null}
                  </li>
                ))}
              </ul>
            ) : (
              <p className="muted small">No labels.</p>
            )}
            {canWrite ? (
              <form className="row" onSubmit={move}>
                <label htmlFor="label-name">Label</label>
                <input id="label-name" value={label} onChange={(e) => setLabel(e.target.value)} size={12} />
                <label htmlFor="label-version">version</label>
                <select id="label-version" value={labelVersion} onChange={(e) => setLabelVersion(Number(e.target.value))}>
                  {versions.map((v) => (
                    <option key={v.version} value={v.version}>
                      v{v.version}
                    </option>
                  ))}
                </select>
                <button type="submit">Move label</button>
              </form>
            ) : null}
            <h2 className="small-heading">Versions</h2>
            <ol className="chunks" reversed>
              {versions.map((v) => (
                <li key={v.version}>
                  <strong>v{v.version}</strong> {v.message}{' '}
                  {v.labels.map((l) => (
                    <span key={l} className="pill">
                      {l}
                    </span>
                  ))}
                  <div className="muted small">
                    {v.author} · {formatDate(v.createdAt)}
                  </div>
                </li>
              ))}
            </ol>
          </div>
          <div className="card">
            <div className="row">
              <label htmlFor="diff-from">Diff</label>
              <select id="diff-from" value={from} onChange={(e) => setFrom(Number(e.target.value))}>
                {versions.map((v) => (
                  <option key={v.version} value={v.version}>
                    v{v.version}
                  </option>
                ))}
              </select>
              <label htmlFor="diff-to">to</label>
              <select id="diff-to" value={to} onChange={(e) => setTo(Number(e.target.value))}>
                {versions.map((v) => (
                  <option key={v.version} value={v.version}>
                    v{v.version}
                  </option>
                ))}
              </select>
            </div>
            {a && b ? (
              <pre className="diff" title={`Diff of v${from} and v${to}`}>
                {lineDiff(bodyText(a), bodyText(b)).map((line, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: diff lines are positional and never reordered.
                  <div key={i} className={line.op === '+' ? 'add' : line.op === '-' ? 'del' : ''}>
                    {line.op} {line.text}
                  </div>
                ))}
              </pre>
            ) : null}
          </div>
        </div>
      ) : null}
    </section>
  );
}
