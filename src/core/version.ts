import packageJson from '../../package.json' with { type: 'json' };

/** The running Groundwork version (from package.json). */
export const groundworkVersion: string = packageJson.version;
