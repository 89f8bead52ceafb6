/**
 * Structured JSON logs on stderr (stdout belongs to command output).
 *
 * Values under secret-looking keys are replaced, and e-mail addresses, card-like and SSN-like numbers are
 * masked in every string, so secrets and PII do not land in logs even when a caller logs carelessly.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

const secretKey = /(pass(word)?|secret|token|api[-_]?key|authorization|cookie|credential)/i;
const piiPatterns: Array<[RegExp, string]> = [
  [/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g, '[email]'],
  [/\b\d{3}-\d{2}-\d{4}\b/g, '[ssn]'],
  [/\b(?:\d[ -]?){13,19}\b/g, '[number]'],
  [/(postgres(?:ql)?:\/\/[^:/\s]+:)[^@\s]+@/g, '$1***@'],
];

/** Masks secrets and common PII in a value destined for a log line. */
export function redactForLog(value: unknown, key = ''): unknown {
  if (key && secretKey.test(key)) return '[redacted]';
  if (typeof value === 'string') {
    let out = value;
    for (const [pattern, replacement] of piiPatterns) out = out.replace(pattern, replacement);
    return out;
  }
  if (Array.isArray(value)) return value.map((item) => redactForLog(item));
  if (value instanceof Error) return { name: value.name, message: redactForLog(value.message) };
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactForLog(v, k);
    return out;
  }
  return value;
}

export function createLogger(
  level: LogLevel = 'info',
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  base: Record<string, unknown> = {},
): Logger {
  const threshold = levelRank[level];
  const emit = (lvl: Exclude<LogLevel, 'silent'>, message: string, fields?: Record<string, unknown>) => {
    if (levelRank[lvl] < threshold) return;
    const record = { time: new Date().toISOString(), level: lvl, msg: redactForLog(message), ...base, ...fields };
    write(JSON.stringify(redactForLog(record)));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger(level, write, { ...base, ...fields }),
  };
}

export const silentLogger: Logger = createLogger('silent');
