/** The filesystem connector: a local folder, a mounted share, a DMS export. */
import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { GroundworkError } from '../../../core/index.ts';
import { insideAllowedRoots } from '../allowed-roots.ts';
import type { ConnectorDefinition } from '../connector.ts';
import { commonSettingHints, commonSourceSettings } from '../settings.ts';
import { createFilesystemSource } from './filesystem-source.ts';

export { createFilesystemSource, type FilesystemSourceConfig, sidecarSuffix } from './filesystem-source.ts';

export const filesystemSettingsSchema = z.strictObject({
  /** Absolute path of the root folder (made absolute against the CLI's cwd when added). */
  path: z.string().min(1),
  ...commonSourceSettings,
});
export type FilesystemSettings = z.infer<typeof filesystemSettingsSchema>;

export const filesystemConnector: ConnectorDefinition<FilesystemSettings> = {
  kind: 'filesystem',
  title: 'Folder / file share',
  description:
    'A local folder, a mounted file share or a DMS export. Full listing at each sync (mtime:size versions), `<file>.meta.json` sidecars, ACL map by path.',
  settingsSchema: filesystemSettingsSchema,
  settingHints: [
    {
      key: 'path',
      label: 'Folder',
      description: 'Root folder on the server (over the API: inside sources.allowedRoots).',
      kind: 'path',
      required: true,
      example: '/srv/shares/policies',
    },
    ...commonSettingHints,
  ],
  capabilities: { incremental: false, renames: false, contentHash: false, permissions: false, deletes: true },
  async normalize(settings, deps) {
    const given = isAbsolute(settings.path) ? settings.path : resolve(deps.cwd ?? process.cwd(), settings.path);
    const path = deps.allowedRoots ? await insideAllowedRoots(given, deps.allowedRoots, 'source folder') : given;
    const info = await stat(path).catch(() => undefined);
    if (!info?.isDirectory()) {
      throw new GroundworkError('ingest.invalid_source', `${path} is not a folder Groundwork can read.`, {
        category: 'usage',
        fix: 'Give --path an existing folder (a mounted share must be mounted first).',
      });
    }
    return { ...settings, path };
  },
  create(settings, deps) {
    return createFilesystemSource({
      path: settings.path,
      include: settings.include,
      exclude: settings.exclude,
      maxFileBytes: deps.maxFileBytes ?? 100 * 1024 * 1024,
    });
  },
};
