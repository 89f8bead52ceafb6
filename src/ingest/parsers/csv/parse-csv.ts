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
 * line ends. Lenient on bad input (a stray quote inside an unquoted field is kept as text). Blank lines are skipped.
 */
export function parseCsv(text: string, delimiter: string, maxRows = Number.POSITIVE_INFINITY): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let inQuotes = false;
  let fieldStarted = false;
  const endRow = () => {
    row.push(field);
    if (!(row.length === 1 && row[0] === '')) rows.push(row);
    row = [];
    field = '';
    fieldStarted = false;
  };
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (inQuotes) {
      if (char === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else inQuotes = false;
      } else field += char;
      continue;
    }
    if (char === '"' && !fieldStarted) {
      inQuotes = true;
      fieldStarted = true;
    } else if (char === delimiter) {
      row.push(field);
      field = '';
      fieldStarted = false;
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      endRow();
      if (rows.length >= maxRows) return rows;
    } else {
      field += char;
      fieldStarted = true;
    }
  }
  if (field !== '' || row.length > 0) endRow();
  return rows;
}
