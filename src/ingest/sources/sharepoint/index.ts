/**
 * The `sharepoint` connector: SharePoint Online document libraries and OneDrive for Business through Microsoft
 * Graph (docs/connectors-sharepoint.md). Settings reference secrets by environment-variable name only.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { GroundworkError } from '../../../core/index.ts';
import { tryParsePrincipal } from '../../../protect/index.ts';
import type { ConnectorDefinition, ConnectorDeps } from '../connector.ts';
import { commonSettingHints, commonSourceSettings } from '../settings.ts';
import { requireSecret } from '../source-errors.ts';
import { GraphClient, type GraphCredential } from './graph-client.ts';
import { SharepointSource } from './sharepoint-source.ts';

export { sharepointErrorCodes } from './errors.ts';
export { GraphClient, retryAfterMs } from './graph-client.ts';
export { mapPermissions } from './permissions.ts';
export { deltaPrefer, SharepointSource } from './sharepoint-source.ts';

const principal = z.string().refine((value) => tryParsePrincipal(value) !== undefined, {
  message: 'expected a unified principal such as group:staff or user:ann@example.com',
});
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment-variable name such as SP_CLIENT_SECRET');

/**
 * Hosts the client secret / assertion and the bearer tokens may be sent to: the Microsoft clouds' token and Graph
 * endpoints, and loopback (tests, a local forwarding proxy). Anything else is refused, so whoever may add a source
 * cannot point the token request — which carries the secret named by clientSecretEnv — at a host of their own.
 */
const microsoftHosts = new Set([
  'login.microsoftonline.com',
  'login.microsoftonline.us',
  'login.partner.microsoftonline.cn',
  'login.chinacloudapi.cn',
  'graph.microsoft.com',
  'graph.microsoft.us',
  'dod-graph.microsoft.us',
  'microsoftgraph.chinacloudapi.cn',
]);
export function allowedGraphUrl(value: string): boolean {
  const url = new URL(value);
  if (url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]') return true;
  return url.protocol === 'https:' && microsoftHosts.has(url.hostname.toLowerCase());
}

export const sharepointSettingsSchema = z
  .strictObject({
    tenantId: z.string().min(1),
    clientId: z.string().min(1),
    /** Name of the environment variable holding the client secret. */
    clientSecretEnv: envName.optional(),
    /** Name of the environment variable holding the path of a PEM file (PKCS#8 private key + certificate). */
    certificatePathEnv: envName.optional(),
    /** SHA-1 thumbprint (hex) of the certificate uploaded to the app registration. */
    certificateThumbprint: z
      .string()
      .regex(/^[0-9A-Fa-f:]{40,59}$/, 'expected the 40-hex-digit SHA-1 thumbprint')
      .optional(),
    siteUrl: z.url().optional(),
    siteId: z.string().min(1).optional(),
    /** Document library names or ids; absent: every document library of the site. */
    drives: z.array(z.string().min(1)).min(1).optional(),
    graphBaseUrl: z.url().default('https://graph.microsoft.com/v1.0'),
    authorityUrl: z.url().default('https://login.microsoftonline.com'),
    /** OAuth scope of the token (national clouds: their Graph resource + /.default). */
    scope: z.string().min(1).default('https://graph.microsoft.com/.default'),
    /** Principal granted by organization-wide sharing links (absent: such links grant nobody). */
    organizationPrincipal: principal.optional(),
    /** Principal granted by anonymous ("anyone") links; absent (default): they grant nobody, and are flagged. */
    anonymousLinkPrincipal: principal.optional(),
    maxFileBytes: z
      .number()
      .int()
      .positive()
      .default(200 * 1024 * 1024),
    /** The common settings this connector honours: an ACL map on the refs, and principals for the rest. */
    aclMapPath: commonSourceSettings.aclMapPath,
    readableBy: commonSourceSettings.readableBy,
  })
  .superRefine((settings, ctx) => {
    for (const key of ['graphBaseUrl', 'authorityUrl'] as const) {
      if (!allowedGraphUrl(settings[key]))
        ctx.addIssue({
          code: 'custom',
          message: `${key} must be an https URL of a Microsoft cloud endpoint (e.g. https://graph.microsoft.com/v1.0, https://login.microsoftonline.com) — credentials are sent there`,
          path: [key],
        });
    }
    if (!settings.siteUrl && !settings.siteId)
      ctx.addIssue({ code: 'custom', message: 'set siteUrl or siteId', path: ['siteUrl'] });
    const certificate = settings.certificatePathEnv !== undefined || settings.certificateThumbprint !== undefined;
    if (settings.clientSecretEnv && certificate)
      ctx.addIssue({
        code: 'custom',
        message: 'use clientSecretEnv OR certificatePathEnv/certificateThumbprint, not both',
        path: ['clientSecretEnv'],
      });
    if (!settings.clientSecretEnv && !certificate)
      ctx.addIssue({
        code: 'custom',
        message: 'set clientSecretEnv, or certificatePathEnv and certificateThumbprint',
        path: ['clientSecretEnv'],
      });
    if (certificate && !(settings.certificatePathEnv && settings.certificateThumbprint))
      ctx.addIssue({
        code: 'custom',
        message: 'a certificate needs both certificatePathEnv and certificateThumbprint',
        path: ['certificatePathEnv'],
      });
  });
export type SharepointSettings = z.infer<typeof sharepointSettingsSchema>;

function secret(deps: ConnectorDeps, setting: string, name: string): string {
  return requireSecret(deps.secrets, setting, name, 'sharepoint');
}

function credential(settings: SharepointSettings, deps: ConnectorDeps): GraphCredential {
  if (settings.clientSecretEnv)
    return { kind: 'secret', clientSecret: secret(deps, 'clientSecretEnv', settings.clientSecretEnv) };
  const path = secret(deps, 'certificatePathEnv', settings.certificatePathEnv as string);
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    throw new GroundworkError(
      'ingest.source_auth_failed',
      `The certificate file named by ${settings.certificatePathEnv} cannot be read.`,
      {
        category: 'unavailable',
        isRetryable: false,
        fix: 'Point the variable at a readable PEM file holding the PKCS#8 private key and the certificate.',
        cause: error,
      },
    );
  }
  return { kind: 'certificate', privateKeyPem: pem, thumbprint: settings.certificateThumbprint as string };
}

/** Builds the Source (the Graph client is per sync; its token is cached for the sync). */
export function createSharepointSource(
  settings: SharepointSettings,
  deps: ConnectorDeps & { readonly sleep?: (ms: number) => Promise<void> },
): SharepointSource {
  const client = new GraphClient({
    tenantId: settings.tenantId,
    clientId: settings.clientId,
    credential: credential(settings, deps),
    graphBaseUrl: settings.graphBaseUrl,
    authorityUrl: settings.authorityUrl,
    scope: settings.scope,
    logger: deps.logger,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
  });
  return new SharepointSource({
    client,
    siteUrl: settings.siteUrl,
    siteId: settings.siteId,
    drives: settings.drives,
    organizationPrincipal: settings.organizationPrincipal,
    anonymousLinkPrincipal: settings.anonymousLinkPrincipal,
    maxFileBytes: settings.maxFileBytes,
    logger: deps.logger,
  });
}

export const sharepointConnector: ConnectorDefinition<SharepointSettings> = {
  kind: 'sharepoint',
  title: 'SharePoint Online / OneDrive',
  description:
    'Document libraries of a SharePoint Online site (or a OneDrive for Business) through Microsoft Graph: delta sync, deletions, item permissions and sharing links mapped to principals.',
  settingsSchema: sharepointSettingsSchema as unknown as z.ZodType<SharepointSettings>,
  settingHints: [
    {
      key: 'tenantId',
      label: 'Tenant id',
      description: 'Directory (tenant) id of the app registration.',
      kind: 'string',
      required: true,
    },
    {
      key: 'clientId',
      label: 'Client id',
      description: 'Application (client) id of the app registration.',
      kind: 'string',
      required: true,
    },
    {
      key: 'clientSecretEnv',
      label: 'Client secret variable',
      description: 'Environment variable holding the client secret.',
      kind: 'env',
      required: false,
      example: 'SP_CLIENT_SECRET',
    },
    {
      key: 'certificatePathEnv',
      label: 'Certificate file variable',
      description: 'Environment variable holding the path of a PEM file (private key + certificate), instead of a secret.',
      kind: 'env',
      required: false,
      example: 'SP_CERT_PATH',
    },
    {
      key: 'certificateThumbprint',
      label: 'Certificate thumbprint',
      description: 'SHA-1 thumbprint of the certificate uploaded to the app registration.',
      kind: 'string',
      required: false,
    },
    {
      key: 'siteUrl',
      label: 'Site URL',
      description: 'e.g. https://contoso.sharepoint.com/sites/claims (or siteId).',
      kind: 'url',
      required: false,
    },
    { key: 'siteId', label: 'Site id', description: 'Graph site id, instead of siteUrl.', kind: 'string', required: false },
    {
      key: 'drives',
      label: 'Document libraries',
      description: 'Names or ids; default every document library of the site.',
      kind: 'list',
      required: false,
      example: 'Documents,Policies',
    },
    {
      key: 'organizationPrincipal',
      label: 'Organization links grant',
      description: 'Principal that organization-wide sharing links grant (default: nobody).',
      kind: 'string',
      required: false,
      example: 'group:all-staff',
    },
    {
      key: 'anonymousLinkPrincipal',
      label: 'Anonymous links grant',
      description: 'Principal that anonymous links grant (default: nobody; such documents are flagged).',
      kind: 'string',
      required: false,
    },
    {
      key: 'graphBaseUrl',
      label: 'Graph base URL',
      description: 'Default https://graph.microsoft.com/v1.0.',
      kind: 'url',
      required: false,
    },
    {
      key: 'authorityUrl',
      label: 'Authority URL',
      description: 'Default https://login.microsoftonline.com.',
      kind: 'url',
      required: false,
    },
    ...commonSettingHints.filter((hint) => hint.key === 'aclMapPath' || hint.key === 'readableBy'),
  ],
  capabilities: { incremental: true, renames: false, contentHash: false, permissions: true, deletes: true },
  create: (settings, deps) => createSharepointSource(sharepointSettingsSchema.parse(settings), deps),
};
