/** `npm run check`: typecheck, lint/format, module boundaries, table ownership and docs/errors.md being current, in parallel; fails if any fails. */
import { spawn } from 'node:child_process';

const steps: Array<[string, string, string[]]> = [
  ['typecheck', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']],
  ['typecheck web', 'npx', ['tsc', '-p', 'web/tsconfig.json', '--noEmit']],
  ['lint', 'npx', ['biome', 'check', '.']],
  ['boundaries', process.execPath, ['scripts/check-boundaries.ts']],
  ['table ownership', process.execPath, ['scripts/check-table-ownership.ts']],
  ['error docs', process.execPath, ['scripts/generate-error-docs.ts', '--check']],
];

const results = await Promise.all(
  steps.map(
    ([name, command, args]) =>
      new Promise<{ name: string; code: number; output: string }>((resolvePromise) => {
        const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        child.stdout.on('data', (d) => {
          output += d;
        });
        child.stderr.on('data', (d) => {
          output += d;
        });
        child.on('close', (code) => resolvePromise({ name, code: code ?? 1, output }));
      }),
  ),
);
for (const result of results) {
  process.stdout.write(`${result.code === 0 ? 'ok  ' : 'FAIL'} ${result.name}\n`);
  if (result.code !== 0) process.stdout.write(`${result.output.trim()}\n`);
}
process.exitCode = results.every((r) => r.code === 0) ? 0 : 1;
