/**
 * Settings every connector may take beside its own (spread `commonSourceSettings` into its strict schema):
 * include/exclude globs over refs, an ACL map file (re-read at every sync) and `readableBy` principals for
 * documents nothing else decides. The registry reads and checks `aclMapPath` and `readableBy` for every kind.
 */
import { z } from 'zod';
import type { ConnectorSettingHint } from './connector.ts';

export const commonSourceSettings = {
  /** Picomatch globs over refs; empty = everything. */
  include: z.array(z.string().min(1)).default([]),
  /** Picomatch globs over refs, applied after `include`. */
  exclude: z.array(z.string().min(1)).default([]),
  /** Where the ACL map was read from; re-read at every sync so edits apply. */
  aclMapPath: z.string().optional(),
  /** Principals for documents no sidecar, rule or map default decides (`--readable-by`). */
  readableBy: z.array(z.string().min(1)).optional(),
};

/** The common settings as stored on any source (each optional: a connector may not take them). */
export interface CommonSourceSettings {
  readonly include?: readonly string[];
  readonly exclude?: readonly string[];
  readonly aclMapPath?: string;
  readonly readableBy?: readonly string[];
}

/** Stored settings of any source: the common ones plus the connector's own. */
export type SourceSettings = CommonSourceSettings & { readonly [key: string]: unknown };

/** Hints for the common settings (shown after the connector's own). */
export const commonSettingHints: readonly ConnectorSettingHint[] = [
  {
    key: 'include',
    label: 'Include',
    description: 'Only items whose ref matches one of these globs (empty: everything).',
    kind: 'list',
    required: false,
    example: 'policies/**',
  },
  {
    key: 'exclude',
    label: 'Exclude',
    description: 'Skip items whose ref matches one of these globs.',
    kind: 'list',
    required: false,
    example: '**/drafts/**',
  },
  {
    key: 'aclMapPath',
    label: 'ACL map file',
    description: 'A JSON or YAML ACL map on the server: who may read which refs. Re-read at every sync.',
    kind: 'path',
    required: false,
    example: '/srv/acl/claims.yaml',
  },
  {
    key: 'readableBy',
    label: 'Readable by',
    description: 'Principals who may read documents no ACL map rule, default or sidecar decides.',
    kind: 'list',
    required: false,
    example: 'group:staff',
  },
];

/** True for a settings key that holds an environment-variable name (a secret reference). */
export const isEnvSetting = (key: string): boolean => key.endsWith('Env');
