/**
 * The connector registry: one line per connector. Adding a connector = its folder under
 * `src/ingest/sources/<kind>/` exporting a `ConnectorDefinition`, plus one line in `connectorList` below.
 * The CLI (`sources add --type KIND --setting k=v`), the HTTP API (`POST /v1/sources`, `GET /v1/connectors`)
 * and the Sources page read this registry; nothing else names a connector.
 */
import { z } from 'zod';
import { GroundworkError } from '../../core/index.ts';
import type { ConnectorDefinition, ConnectorSettingHint } from './connector.ts';
import { filesystemConnector } from './filesystem/index.ts';
import { s3Connector } from './s3/index.ts';
import { sharepointConnector } from './sharepoint/index.ts';
import { sqlConnector } from './sql/index.ts';
import { webConnector } from './web/index.ts';

// biome-ignore lint/suspicious/noExplicitAny: each definition has its own settings type
type AnyConnector = ConnectorDefinition<any>;

const connectorList: readonly AnyConnector[] = [
  filesystemConnector,
  s3Connector,
  sqlConnector,
  sharepointConnector,
  webConnector,
];

const byKind = new Map<string, AnyConnector>(connectorList.map((connector) => [connector.kind, connector]));

/** Every registered connector kind, in registration order. */
export function connectorKinds(): string[] {
  return [...byKind.keys()];
}

/** Every registered connector. */
export function listConnectors(): readonly AnyConnector[] {
  return [...byKind.values()];
}

export function findConnector(kind: string): AnyConnector | undefined {
  return byKind.get(kind);
}

/** The connector of `kind`. @throws `ingest.invalid_source` naming the kinds there are. */
export function getConnector(kind: string): AnyConnector {
  const found = byKind.get(kind);
  if (!found) {
    throw new GroundworkError('ingest.invalid_source', `Unknown source type "${kind}".`, {
      category: 'usage',
      fix: `Use one of: ${connectorKinds().join(', ')} (groundwork sources types lists their settings).`,
    });
  }
  return found;
}

/**
 * Registers a connector at run time (tests, plugins). Refuses a kind that is taken.
 * @throws `ingest.invalid_source`.
 */
export function registerConnector(connector: AnyConnector): void {
  if (byKind.has(connector.kind)) {
    throw new GroundworkError('ingest.invalid_source', `A connector of type "${connector.kind}" is registered already.`, {
      category: 'usage',
      fix: 'Give the connector another kind.',
    });
  }
  byKind.set(connector.kind, connector);
}

/** What `GET /v1/connectors` and `groundwork sources types` show for one connector. */
export interface ConnectorDescription {
  readonly kind: string;
  readonly title: string;
  readonly description: string;
  /** JSON Schema (draft 2020-12) of the settings as entered. */
  readonly settingsSchema: Record<string, unknown>;
  readonly settingHints: readonly ConnectorSettingHint[];
  readonly capabilities: AnyConnector['capabilities'];
}

export function describeConnector(connector: AnyConnector): ConnectorDescription {
  let settingsSchema: Record<string, unknown>;
  try {
    settingsSchema = z.toJSONSchema(connector.settingsSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  } catch {
    settingsSchema = { type: 'object' };
  }
  return {
    kind: connector.kind,
    title: connector.title,
    description: connector.description,
    settingsSchema,
    settingHints: connector.settingHints,
    capabilities: connector.capabilities,
  };
}

export function describeConnectors(): ConnectorDescription[] {
  return listConnectors().map(describeConnector);
}
