/**
 * Text that PostgreSQL cannot store or that is not Unicode, found in untrusted input (request bodies, query
 * strings, path parameters, imported datasets) before it reaches a schema or the database.
 */

/** At most this many malformed strings are reported (a hostile body may hold millions). */
const maxMalformedReported = 20;

/**
 * Strings (values and object keys, at any depth) holding a NUL character or a lone UTF-16 surrogate: PostgreSQL
 * text cannot hold U+0000, and a lone surrogate is not Unicode (it would be stored as U+FFFD, silently
 * changing an id, a principal or a filter). Returns one issue per bad string, with its path.
 */
export function malformedText(value: unknown, path: readonly string[] = []): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  const visit = (node: unknown, at: readonly string[]) => {
    if (issues.length >= maxMalformedReported) return;
    if (typeof node === 'string') {
      const problem = textProblem(node);
      if (problem) issues.push({ path: at.join('.'), message: problem });
      return;
    }
    if (Array.isArray(node)) {
      node.forEach((item, index) => {
        visit(item, [...at, String(index)]);
      });
      return;
    }
    if (node !== null && typeof node === 'object') {
      for (const [key, item] of Object.entries(node)) {
        const problem = textProblem(key);
        // The path names a bad key readably (the key itself cannot be echoed as is).
        const shown = problem ? key.toWellFormed().replaceAll('\u0000', '\ufffd') : key;
        if (problem) issues.push({ path: [...at, shown].join('.'), message: `the key ${problem}` });
        visit(item, [...at, shown]);
      }
    }
  };
  visit(value, path);
  return issues;
}

/** Why `text` cannot be stored as text (NUL, lone surrogate), or undefined when it can. */
export function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains a NUL character (U+0000), which text fields may not hold; remove it';
  if (!text.isWellFormed()) return 'contains a lone UTF-16 surrogate (not valid Unicode); send well-formed UTF-8 text';
  return undefined;
}
