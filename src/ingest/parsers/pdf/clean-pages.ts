/** How many lines at the top and at the bottom of a page may be running headers or footers. */
const edgeLines = 2;
/** A line counts as a running header/footer when it appears on at least this share of the pages. */
const repeatedShare = 0.6;

/** Page numbers and dates vary from page to page; compare lines with digits masked. */
function lineKey(line: string): string {
  return line.trim().toLowerCase().replace(/\d+/g, '#').replace(/\s+/g, ' ');
}

/**
 * Text of PDF pages made fit for reading and retrieval, as pure functions of the page texts:
 *
 * - running headers and footers — lines among the first or last two of a page that recur (digits masked, so
 *   "Page 3 of 40" matches "Page 4 of 40") on at least 60% of the pages of a document of three or more
 *   pages — are removed, so they do not repeat in every chunk and skew BM25;
 * - words hyphenated across a line break (`proce-` / `dure`) are joined.
 */
export function cleanPdfPages(pages: readonly string[]): { pages: string[]; removedLines: number } {
  const split = pages.map((page) => page.split('\n'));
  const repeated = new Set<string>();
  if (pages.length >= 3) {
    const counts = new Map<string, number>();
    for (const lines of split) {
      const keys = new Set<string>();
      const nonEmpty = lines.filter((line) => line.trim());
      for (const line of [...nonEmpty.slice(0, edgeLines), ...nonEmpty.slice(-edgeLines)]) keys.add(lineKey(line));
      for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    for (const [key, count] of counts) {
      if (key && key !== '#' && count >= Math.max(3, pages.length * repeatedShare)) repeated.add(key);
    }
    // A bare page number ("3", "- 3 -") is a footer whenever it sits at the edge of most pages.
    const bareNumbers = split.filter((lines) => {
      const nonEmpty = lines.filter((line) => line.trim());
      return [...nonEmpty.slice(0, 1), ...nonEmpty.slice(-1)].some((line) => /^[-–\s]*#[-–\s]*$/.test(lineKey(line)));
    }).length;
    if (bareNumbers >= pages.length * repeatedShare) repeated.add('#');
  }
  let removedLines = 0;
  const cleaned = split.map((lines) => {
    const nonEmptyIndexes = lines.flatMap((line, index) => (line.trim() ? [index] : []));
    const edges = new Set([...nonEmptyIndexes.slice(0, edgeLines), ...nonEmptyIndexes.slice(-edgeLines)]);
    const isRepeated = (line: string, index: number) => {
      if (!edges.has(index)) return false;
      const key = lineKey(line);
      return repeated.has(key) || (repeated.has('#') && /^[-–\s]*#[-–\s]*$/.test(key));
    };
    const kept = lines.filter((line, index) => !isRepeated(line, index));
    // A page that is nothing but the recurring line (the same short text on every page) keeps it: that is content.
    if (!kept.some((line) => line.trim())) return lines.join('\n').replace(/(\p{Ll})-\n(\p{Ll})/gu, '$1$2');
    removedLines += lines.length - kept.length;
    return kept.join('\n').replace(/(\p{Ll})-\n(\p{Ll})/gu, '$1$2');
  });
  return { pages: cleaned, removedLines };
}
