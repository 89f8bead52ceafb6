/** Delimiters tried by `detectDelimiter`, most common first. */
export const csvDelimiters = [',', ';', '\t', '|'] as const;

/**
 * The delimiter that splits the first lines (outside quotes) into the most consistent number of fields:
 * the one with the most lines agreeing on a field count above one, ties broken by the order above.
 */
export function detectDelimiter(text: string): string {
  const sample = text.slice(0, 64 * 1024);
  let best: string = csvDelimiters[0];
  let bestScore = -1;
  for (const delimiter of csvDelimiters) {
    const rows = parseCsv(sample, delimiter, 30);
    // The last row of a truncated sample may be cut short: leave it out when there are others.
    const counted = rows.length > 2 ? rows.slice(0, -1) : rows;
    const counts = new Map<number, number>();
    for (const row of counted) {
      if (row.length > 1) counts.set(row.length, (counts.get(row.length) ?? 0) + 1);
    }
    let score = 0;
    for (const [fields, lines] of counts) score = Math.max(score, lines * 1000 + fields);
    if (score > bestScore) {
      bestScore = score;
      best = delimiter;
    }
  }
  return best;
}

/**
 * RFC 4180 parsing: quoted fields with doubled quotes, delimiters and line breaks inside quotes, CRLF or LF
 * line ends. Lenient on bad input (a quote inside an unquoted field is kept as text; text after a closing
 * quote is appended). Blank lines are skipped. Fields are sliced, not built character by character.
 */
export function parseCsv(text: string, delimiter: string, maxRows = Number.POSITIVE_INFINITY): string[][] {
  const rows: string[][] = [];
  const delimiterCode = delimiter.charCodeAt(0);
  const length = text.length;
  let row: string[] = [];
  let i = 0;
  const endRow = () => {
    if (!(row.length === 1 && row[0] === '')) rows.push(row);
    row = [];
  };
  while (i < length) {
    let field: string;
    if (text.charCodeAt(i) === 34) {
      // Quoted field: runs up to the next quote that is not doubled.
      let value = '';
      let start = i + 1;
      for (;;) {
        const quote = text.indexOf('"', start);
        if (quote < 0) {
          value += text.slice(start);
          i = length;
          break;
        }
        value += text.slice(start, quote);
        if (text.charCodeAt(quote + 1) === 34) {
          value += '"';
          start = quote + 2;
        } else {
          i = quote + 1;
          break;
        }
      }
      // Anything between the closing quote and the next delimiter or line end is kept, leniently.
      let end = i;
      while (end < length) {
        const code = text.charCodeAt(end);
        if (code === delimiterCode || code === 10 || code === 13) break;
        end++;
      }
      field = value + text.slice(i, end);
      i = end;
    } else {
      let end = i;
      while (end < length) {
        const code = text.charCodeAt(end);
        if (code === delimiterCode || code === 10 || code === 13) break;
        end++;
      }
      field = text.slice(i, end);
      i = end;
    }
    row.push(field);
    if (i >= length) break;
    const code = text.charCodeAt(i);
    if (code === delimiterCode) {
      i++;
      if (i >= length) row.push('');
      continue;
    }
    // Line end: CRLF, LF or CR.
    i += code === 13 && text.charCodeAt(i + 1) === 10 ? 2 : 1;
    endRow();
    if (rows.length >= maxRows) return rows;
  }
  if (row.length > 0) endRow();
  return rows;
}
