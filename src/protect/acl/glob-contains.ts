import picomatch from 'picomatch';

/**
 * Glob containment for ACL rules: does every path that `inner` matches also match `outer`?
 *
 * Sound but incomplete: `true` is a proof (so a map can be refused on it), `false` means "not proven". It
 * proves the cases a person writes when ordering rules wrongly — a literal folder under another
 * (`claims/restricted/**` ⊆ `claims/**`), identical globs, `**` and `*` segments (`claims/*\/notes/**` ⊆
 * `claims/**`, `a/*.pdf` ⊆ `a/*`), and any literal path tested against the outer glob with picomatch itself.
 * Globs with braces, extglobs, character classes or negation are only compared for equality (unless `inner`
 * is a plain path). Matching uses the ACL options: `dot: true`, and `nocase` when the map ignores case.
 */
export function globContains(outer: string, inner: string, options: { nocase?: boolean } = {}): boolean {
  const nocase = options.nocase ?? false;
  const fold = (glob: string) => (nocase ? glob.toLowerCase() : glob);
  const o = fold(outer);
  const i = fold(inner);
  if (o === i) return true;
  if (isLiteral(i)) return picomatch(o, { dot: true, nocase })(i);
  if (hasAdvancedSyntax(o) || hasAdvancedSyntax(i)) return false;
  return segmentsContain(segmentsOf(o), segmentsOf(i), nocase);
}

/** Segments with runs of `**` collapsed into one (picomatch treats `a/**\/**` as `a/**`). */
function segmentsOf(glob: string): string[] {
  return glob.split('/').filter((segment, index, all) => !(segment === '**' && all[index - 1] === '**'));
}

const wildcard = /[*?]/;
/** Syntax the segment comparison below does not reason about. */
const advanced = /[[\]{}()!+@\\]/;

function isLiteral(glob: string): boolean {
  return !wildcard.test(glob) && !advanced.test(glob);
}

function hasAdvancedSyntax(glob: string): boolean {
  return advanced.test(glob) || glob.split('/').some((segment) => segment.includes('**') && segment !== '**');
}

/** One segment of `inner` (no `**`) against one segment of `outer` (no `**`). */
function segmentContains(outer: string, inner: string, nocase: boolean): boolean {
  if (outer === inner || outer === '*') return true;
  if (!wildcard.test(inner)) return picomatch(outer, { dot: true, nocase })(inner);
  return false;
}

/**
 * Segment lists: an outer `**` absorbs any run of inner segments (inner `**` included). It absorbs an empty
 * run only where picomatch's globstar may match nothing (see `globstarMayBeEmpty`).
 */
function segmentsContain(outer: readonly string[], inner: readonly string[], nocase: boolean): boolean {
  const memo = new Map<string, boolean>();
  const walk = (o: number, i: number): boolean => {
    const key = `${o}:${i}`;
    const cached = memo.get(key);
    if (cached !== undefined) return cached;
    let result: boolean;
    if (o === outer.length) result = i === inner.length;
    else if (outer[o] === '**') {
      const outerMayBeEmpty = globstarMayBeEmpty(outer, o);
      // An inner `**` that may match nothing can only be absorbed by an outer `**` that may match nothing too.
      const absorbable = i < inner.length && (inner[i] !== '**' || outerMayBeEmpty || !globstarMayBeEmpty(inner, i));
      result = (outerMayBeEmpty && walk(o + 1, i)) || (absorbable && walk(o, i + 1)) || (absorbable && walk(o + 1, i + 1));
    } else if (i === inner.length || inner[i] === '**') result = false;
    else result = segmentContains(outer[o] as string, inner[i] as string, nocase) && walk(o + 1, i + 1);
    memo.set(key, result);
    return result;
  };
  return walk(0, 0);
}

/**
 * Whether the `**` at `index` may match zero segments. Measured on picomatch 4: always, except at the end
 * right after a bare `*` segment (`a/**` and `*.pdf/**` match `a` and `x.pdf`; `*\/**` does not match `x`).
 */
function globstarMayBeEmpty(segments: readonly string[], index: number): boolean {
  if (index < segments.length - 1 || index === 0) return true;
  return segments[index - 1] !== '*';
}
