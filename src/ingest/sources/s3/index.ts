/** The S3 connector (type `s3`): an S3-compatible bucket (AWS S3, MinIO, Ceph …). */
import { z } from 'zod';
import { GroundworkError } from '../../../core/index.ts';
import { assertAllowedOrigins } from '../allowed-origins.ts';
import type { ConnectorDefinition } from '../connector.ts';
import { commonSettingHints, commonSourceSettings } from '../settings.ts';
import { requireSecret } from '../source-errors.ts';
import { createS3Source } from './s3-source.ts';

export { createS3Source, mapS3Error, principalsFromTag, type S3SourceConfig, s3SidecarSuffix } from './s3-source.ts';

const envName = z.string().min(1).max(128);

export const s3SettingsSchema = z
  .strictObject({
    bucket: z.string().min(3).max(63),
    prefix: z.string().max(1024).default(''),
    endpoint: z.url().optional(),
    region: z.string().min(1).default('us-east-1'),
    forcePathStyle: z.boolean().default(false),
    accessKeyIdEnv: envName.optional(),
    secretAccessKeyEnv: envName.optional(),
    sessionTokenEnv: envName.optional(),
    /** Object tag holding principals (`group:a user:b`). */
    principalsTag: z.string().min(1).max(128).default('groundwork-principals'),
    /** Read object tags at every listing (one request per object). */
    readTags: z.boolean().default(true),
    ...commonSourceSettings,
  })
  .refine((s) => (s.accessKeyIdEnv === undefined) === (s.secretAccessKeyEnv === undefined), {
    message: 'give both accessKeyIdEnv and secretAccessKeyEnv, or neither (the SDK default credential chain)',
    path: ['secretAccessKeyEnv'],
  });
export type S3Settings = z.infer<typeof s3SettingsSchema>;

export const s3Connector: ConnectorDefinition<S3Settings> = {
  kind: 's3',
  title: 'S3-compatible object storage',
  description:
    'An S3 bucket or prefix (AWS S3, MinIO, Ceph). Full listing at each sync (ETag versions); deletes by absence; principals from the groundwork-principals object tag, a <key>.meta.json sidecar object, or the ACL map.',
  settingsSchema: s3SettingsSchema,
  settingHints: [
    { key: 'bucket', label: 'Bucket', description: 'Bucket name.', kind: 'string', required: true, example: 'claims-archive' },
    {
      key: 'prefix',
      label: 'Prefix',
      description: 'Only keys under this prefix; refs are keys without it.',
      kind: 'string',
      required: false,
      example: 'policies/',
    },
    {
      key: 'endpoint',
      label: 'Endpoint',
      description: 'S3 API endpoint for MinIO, Ceph or a private endpoint (empty: AWS).',
      kind: 'url',
      required: false,
      example: 'https://minio.internal:9000',
    },
    { key: 'region', label: 'Region', description: 'Bucket region.', kind: 'string', required: false, example: 'eu-central-1' },
    {
      key: 'forcePathStyle',
      label: 'Path-style URLs',
      description: 'Address the bucket in the path (MinIO, Ceph), not as a subdomain.',
      kind: 'boolean',
      required: false,
      example: 'true',
    },
    {
      key: 'accessKeyIdEnv',
      label: 'Access key id (env var)',
      description: 'Name of the environment variable holding the access key id (empty: the SDK default chain).',
      kind: 'env',
      required: false,
      example: 'CLAIMS_S3_KEY_ID',
    },
    {
      key: 'secretAccessKeyEnv',
      label: 'Secret access key (env var)',
      description: 'Name of the environment variable holding the secret access key.',
      kind: 'env',
      required: false,
      example: 'CLAIMS_S3_SECRET',
    },
    {
      key: 'sessionTokenEnv',
      label: 'Session token (env var)',
      description: 'Name of the environment variable holding a session token (temporary credentials).',
      kind: 'env',
      required: false,
    },
    {
      key: 'principalsTag',
      label: 'Principals tag',
      description: 'Object tag whose value lists the principals who may read the object (space- or comma-separated).',
      kind: 'string',
      required: false,
      example: 'groundwork-principals',
    },
    {
      key: 'readTags',
      label: 'Read tags',
      description: 'Read each object’s tags at every sync (one request per object) so tag revocations apply.',
      kind: 'boolean',
      required: false,
      example: 'true',
    },
    ...commonSettingHints,
  ],
  capabilities: { incremental: false, renames: false, contentHash: false, permissions: true, deletes: true },
  normalize(settings, deps) {
    // Over the API: a custom endpoint only on an origin an operator listed (the keys are sent there), and no
    // SDK default credential chain (that is the server's own identity: instance role, ~/.aws, AWS_* variables).
    if (deps.allowedOrigins) {
      if (settings.endpoint) assertAllowedOrigins([{ setting: 'endpoint', url: settings.endpoint }], deps.allowedOrigins, 's3');
      if (!settings.accessKeyIdEnv) {
        throw new GroundworkError(
          'ingest.secret_env_not_allowed',
          'An s3 source added over the API must name its keys (accessKeyIdEnv, secretAccessKeyEnv): without them the SDK would use the server’s own AWS identity.',
          {
            category: 'forbidden',
            fix: 'Give accessKeyIdEnv and secretAccessKeyEnv naming variables listed in sources.allowedSecretEnv, or add the source with `groundwork sources add` on the server.',
            details: { setting: 'sources.allowedSecretEnv', key: 'accessKeyIdEnv' },
          },
        );
      }
    }
    return settings;
  },
  create(settings, deps) {
    const credentials =
      settings.accessKeyIdEnv && settings.secretAccessKeyEnv
        ? {
            accessKeyId: requireSecret(deps.secrets, 'accessKeyIdEnv', settings.accessKeyIdEnv, 's3'),
            secretAccessKey: requireSecret(deps.secrets, 'secretAccessKeyEnv', settings.secretAccessKeyEnv, 's3'),
            ...(settings.sessionTokenEnv
              ? { sessionToken: requireSecret(deps.secrets, 'sessionTokenEnv', settings.sessionTokenEnv, 's3') }
              : {}),
          }
        : undefined;
    return createS3Source({
      bucket: settings.bucket,
      prefix: settings.prefix,
      region: settings.region,
      forcePathStyle: settings.forcePathStyle,
      include: settings.include,
      exclude: settings.exclude,
      principalsTag: settings.principalsTag,
      readTags: settings.readTags,
      maxFileBytes: deps.maxFileBytes ?? 100 * 1024 * 1024,
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      ...(credentials ? { credentials } : {}),
      ...(deps.signal ? { signal: deps.signal } : {}),
    });
  },
};
