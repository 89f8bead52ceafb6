import { type FormEvent, useEffect, useState } from 'react';
import { api, type ConnectorDescription, type ConnectorSettingHint } from '../../api.ts';
import { ErrorBox } from '../../components.tsx';

/** A setting's entered value: text (lists comma-separated) or a checkbox. */
type Entered = Record<string, string | boolean>;

function toSettings(hints: readonly ConnectorSettingHint[], entered: Entered): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  for (const hint of hints) {
    const value = entered[hint.key];
    if (hint.kind === 'boolean') {
      if (typeof value === 'boolean') settings[hint.key] = value;
      continue;
    }
    if (typeof value !== 'string' || value.trim() === '') continue;
    if (hint.kind === 'list')
      settings[hint.key] = value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean);
    else if (hint.kind === 'number') settings[hint.key] = Number(value);
    else settings[hint.key] = value.trim();
  }
  return settings;
}

/**
 * Adds a source of any connector type: the type list and every field come from `GET /v1/connectors` (the
 * connector's setting hints), so a new connector needs no change here. Secrets are entered as the NAME of an
 * environment variable on the server, never as a value.
 */
export function AddSourceForm({ onAdded }: { onAdded: (message: string) => void }) {
  const [connectors, setConnectors] = useState<ConnectorDescription[] | null>(null);
  const [kind, setKind] = useState('');
  const [name, setName] = useState('');
  const [entered, setEntered] = useState<Entered>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api<{ connectors: ConnectorDescription[] }>('/v1/connectors')
      .then((result) => {
        setConnectors(result.connectors);
        setKind((current) => current || result.connectors[0]?.kind || '');
      })
      .catch(setError);
  }, []);

  const connector = connectors?.find((c) => c.kind === kind);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!connector) return;
    setBusy(true);
    setError(null);
    try {
      const result = await api<{ name?: string; changeRequest?: { id: string } }>('/v1/sources', {
        method: 'POST',
        body: { name, type: connector.kind, settings: toSettings(connector.settingHints, entered) },
      });
      onAdded(
        result.changeRequest
          ? `Adding ${name} needs approval: change request ${result.changeRequest.id} was filed (see Changes).`
          : `Added source ${name} (${connector.kind}). Sync it to ingest it.`,
      );
      setName('');
      setEntered({});
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <details className="card add-source">
      <summary>Add a source</summary>
      <ErrorBox error={error} />
      {connectors ? (
        <form onSubmit={(event) => void submit(event)} aria-label="Add a source">
          <label>
            Type
            <select
              value={kind}
              onChange={(event) => {
                setKind(event.target.value);
                setEntered({});
              }}
            >
              {connectors.map((c) => (
                <option key={c.kind} value={c.kind}>
                  {c.title} ({c.kind})
                </option>
              ))}
            </select>
          </label>
          {connector ? <p className="muted small">{connector.description}</p> : null}
          <label>
            Name
            <input value={name} required pattern="[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}" onChange={(e) => setName(e.target.value)} />
          </label>
          {connector?.settingHints.map((hint) => (
            <SettingField
              key={`${connector.kind}.${hint.key}`}
              hint={hint}
              value={entered[hint.key] ?? schemaDefault(connector, hint.key)}
              onChange={(value) => setEntered((current) => ({ ...current, [hint.key]: value }))}
            />
          ))}
          <button type="submit" disabled={busy || !connector}>
            {busy ? 'Adding…' : 'Add source'}
          </button>
        </form>
      ) : (
        <p className="loading">Loading connector types…</p>
      )}
    </details>
  );
}

/** A boolean setting's default from the connector's JSON schema (so a checkbox shows what applies). */
function schemaDefault(connector: ConnectorDescription, key: string): boolean | undefined {
  const properties = connector.settingsSchema.properties as Record<string, { default?: unknown }> | undefined;
  const value = properties?.[key]?.default;
  return typeof value === 'boolean' ? value : undefined;
}

function SettingField({
  hint,
  value,
  onChange,
}: {
  hint: ConnectorSettingHint;
  value: string | boolean | undefined;
  onChange: (value: string | boolean) => void;
}) {
  const help = `${hint.description}${hint.example ? ` Example: ${hint.example}` : ''}`;
  if (hint.kind === 'boolean') {
    return (
      <label className="checkbox" title={help}>
        <input type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} /> {hint.label}
        <span className="muted small"> {hint.description}</span>
      </label>
    );
  }
  const label = hint.kind === 'env' ? `${hint.label} — environment variable NAME, not the secret` : hint.label;
  return (
    <label title={help}>
      {label}
      {hint.required ? ' *' : ''}
      <input
        name={hint.key}
        aria-label={hint.label}
        type={hint.kind === 'number' ? 'number' : 'text'}
        required={hint.required}
        autoComplete="off"
        placeholder={hint.example ?? (hint.kind === 'list' ? 'comma-separated' : '')}
        value={typeof value === 'string' ? value : ''}
        onChange={(e) => onChange(e.target.value)}
      />
      <span className="muted small">{hint.description}</span>
    </label>
  );
}
