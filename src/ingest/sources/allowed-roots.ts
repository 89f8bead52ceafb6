import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { GroundworkError } from '../../core/index.ts';

function isInside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * The real path of `path` when it lies inside one of `roots` (both resolved with `realpath`, so a symlink
 * cannot lead out). A path outside every root is refused before the file system is asked whether it exists,
 * so the check is no oracle for files elsewhere on the server.
 * @throws `ingest.path_not_allowed` (forbidden → HTTP 403).
 */
export async function insideAllowedRoots(
  path: string,
  roots: readonly string[],
  what: 'source folder' | 'ACL map',
): Promise<string> {
  const refuse = (detail: string) =>
    new GroundworkError('ingest.path_not_allowed', `The ${what} ${path} ${detail}`, {
      category: 'forbidden',
      fix:
        roots.length === 0
          ? 'An operator lists the folders the API may index in the configuration setting sources.allowedRoots (e.g. "sources": {"allowedRoots": ["/srv/shares"]}), or adds the source with `groundwork sources add` on the server.'
          : `Use a folder inside sources.allowedRoots (${roots.join(', ')}), or ask an operator to extend that setting.`,
      details: { setting: 'sources.allowedRoots' },
    });
  if (roots.length === 0) throw refuse('cannot be added over the API: sources.allowedRoots is empty.');
  const resolvedRoots = roots.map((root) => resolve(root));
  const realRoots = (await Promise.all(resolvedRoots.map((root) => realpath(root).catch(() => undefined)))).filter(
    (root): root is string => root !== undefined,
  );
  // A root may itself be a link (/srv/shares → /data/shares): a path under either spelling is a candidate.
  if (![...resolvedRoots, ...realRoots].some((root) => isInside(path, root))) throw refuse('is outside sources.allowedRoots.');
  // Inside a root lexically, but it may not exist (the caller reports that) or lead elsewhere through a link.
  const real = await realpath(path).catch(() => undefined);
  if (real === undefined) return path;
  if (!realRoots.some((root) => isInside(real, root)))
    throw refuse('resolves (through a symbolic link) outside sources.allowedRoots.');
  return real;
}
