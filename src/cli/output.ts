/**
 * Command output: JSON on stdout with `--json`, human text otherwise; diagnostics and progress on stderr.
 */
export interface OutputOptions {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly stdout?: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr?: NodeJS.WritableStream & { isTTY?: boolean };
}

export interface Progress {
  update(done: number, total?: number, label?: string): void;
  finish(message?: string): void;
}

export class Output {
  readonly json: boolean;
  readonly quiet: boolean;
  private readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  private readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };

  constructor(options: OutputOptions) {
    this.json = options.json;
    this.quiet = options.quiet;
    this.stdout = options.stdout ?? process.stdout;
    this.stderr = options.stderr ?? process.stderr;
  }

  /** The command's result: `value` as JSON with --json, otherwise `human(value)` as text. */
  result<T>(value: T, human: (value: T) => string): void {
    if (this.json) this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    else {
      const text = human(value);
      if (text) this.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    }
  }

  /** Informational line for humans (stderr); silent with --json or --quiet. */
  info(message: string): void {
    if (!this.json && !this.quiet) this.stderr.write(`${message}\n`);
  }

  warn(message: string): void {
    if (!this.quiet) this.stderr.write(`warning: ${message}\n`);
  }

  error(message: string): void {
    this.stderr.write(`error: ${message}\n`);
  }

  /** A progress bar on an interactive terminal; nothing otherwise (logs and CI stay clean). */
  progress(label: string): Progress {
    const tty = Boolean(this.stderr.isTTY) && !this.json && !this.quiet;
    let lastDraw = 0;
    const draw = (done: number, total: number | undefined, detail?: string) => {
      const width = 28;
      const bar =
        total && total > 0
          ? `[${'#'.repeat(Math.round((Math.min(done, total) / total) * width)).padEnd(width, '.')}] ${done}/${total}`
          : `${done}`;
      const text = `${label} ${bar}${detail ? ` ${detail}` : ''}`;
      this.stderr.write(`\r\u001b[2K${text.slice(0, 160)}`);
    };
    return {
      update: (done, total, detail) => {
        if (!tty) return;
        const now = Date.now();
        if (now - lastDraw < 80 && done !== total) return;
        lastDraw = now;
        draw(done, total, detail);
      },
      finish: (message) => {
        if (tty) this.stderr.write('\r\u001b[2K');
        if (message) this.info(message);
      },
    };
  }
}

/** Formats rows as an aligned text table. */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly unknown[]>): string {
  const cells = [headers, ...rows.map((row) => row.map((cell) => (cell === null || cell === undefined ? '' : String(cell))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  return cells
    .map((row) =>
      row
        .map((cell, i) => (cell ?? '').padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
