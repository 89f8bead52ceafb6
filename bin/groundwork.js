#!/usr/bin/env node
// Entry point. Groundwork runs its TypeScript sources directly on Node.js >= 22.18 (type stripping).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `error: Groundwork needs Node.js 22.18 or newer (24 LTS recommended); this is ${process.versions.node}.\n` +
      'Fix: install a current Node.js, or run `source scripts/ensure-node.sh` to install Node 24 into .tools/node and put it on PATH.\n',
  );
  process.exit(2);
}
// A reader that stops early (`groundwork --help | head`) closes the pipe: that is not an error of ours.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}
const { runCli } = await import('../src/cli/main.ts');
const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
process.exitCode = code;
