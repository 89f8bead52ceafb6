import type { ParseInput, ParseWarning } from './parser.ts';

/** What `runPage` returns for a page that went over its budget or failed. */
export const pageSkipped: unique symbol = Symbol('page skipped');

/**
 * Runs one page's work within the page budget (`input.pages.timeoutMs`) and tells `input.onPage` that the
 * page started. A page over its budget, or whose work throws something other than a GroundworkError (a
 * parser bug on odd content), is skipped: a `page.timeout` / `page.failed` warning is added and
 * `pageSkipped` returned, so the caller keeps the rest of the document. Work that only waits (rendering
 * and OCR run in other threads) is left behind when the budget runs out; work that blocks this thread is
 * the parse pool's to stop (it kills the worker and retries without the page, see `parse-isolated.ts`).
 */
export async function runPage<T>(
  input: ParseInput,
  page: number,
  warnings: ParseWarning[],
  work: () => Promise<T>,
): Promise<T | typeof pageSkipped> {
  input.onPage?.(page);
  const budget = input.pages?.timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  try {
    const running = work();
    if (budget === undefined) return await running;
    running.catch(() => {});
    const expired = new Promise<typeof pageSkipped>((resolve) => {
      timer = setTimeout(() => resolve(pageSkipped), budget);
    });
    const result = await Promise.race([running, expired]);
    if (result === pageSkipped) {
      warnings.push({
        code: 'page.timeout',
        message: `Page ${page} took longer than ${budget} ms (ingest.pageTimeoutMs) and was skipped; the rest of the document was indexed.`,
        page,
      });
    }
    return result;
  } catch (error) {
    if (error instanceof Error && error.name === 'GroundworkError') throw error;
    warnings.push({
      code: 'page.failed',
      message: `Page ${page} could not be read (${error instanceof Error ? error.message : String(error)}) and was skipped; the rest of the document was indexed.`,
      page,
    });
    return pageSkipped;
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** Pages an earlier attempt hung on: skipped without touching them, each with a `page.skipped` warning. */
export function pagesToSkip(input: ParseInput, warnings: ParseWarning[]): ReadonlySet<number> {
  const skip = new Set(input.pages?.skip ?? []);
  for (const page of [...skip].sort((a, b) => a - b)) {
    warnings.push({
      code: 'page.skipped',
      message: `Page ${page} stopped the parser in an earlier attempt (it exceeded ingest.pageTimeoutMs without yielding) and was skipped; the rest of the document was indexed.`,
      page,
    });
  }
  return skip;
}
