/**
 * Module-boundary check (part of `npm run check`).
 *
 * Rules, for files under src/:
 *  1. A feature (a top-level folder of src/) imports another feature only through that feature's `index.ts`.
 *  2. `core/` imports no other part of src/. Features do not import the edges (`server/`, `cli/`, `worker.ts`,
 *     `create-platform.ts`); `web/` never imports src/.
 *  3. No import cycles, neither between files nor between features.
 * Tests (`*.test.ts`) may reach into their own feature and into test/helpers; the rules above still apply.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const edges = new Set(['server', 'cli']);
const compositionRoots = new Set(['create-platform.ts', 'worker.ts', 'error-codes.ts']);

function walk(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (/\.(ts|tsx)$/.test(entry)) out.push(path);
  }
  return out;
}

const importPattern = /(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const specifiers: string[] = [];
  for (const match of text.matchAll(importPattern)) {
    const specifier = match[1] ?? match[2];
    if (specifier?.startsWith('.')) specifiers.push(resolve(dirname(file), specifier));
  }
  return specifiers;
}

/** The feature a file belongs to: its top-level folder under src/, or the file name for top-level files. */
function featureOf(file: string): string {
  const rel = relative(src, file);
  const [first] = rel.split('/');
  // A top-level file's tests belong with it (worker.test.ts with worker.ts).
  return (first ?? rel).replace(/\.test\.(tsx?)$/, '.$1');
}

const problems: string[] = [];
const files = walk(src);
const graph = new Map<string, string[]>();

for (const file of files) {
  const from = featureOf(file);
  const isTest = /\.test\.tsx?$/.test(file);
  const targets: string[] = [];
  for (const target of importsOf(file)) {
    const relTarget = relative(root, target);
    if (!target.startsWith(src)) {
      if (relTarget.startsWith('test/') && isTest) continue;
      if (relTarget === 'package.json' && from === 'core') continue;
      problems.push(`${relative(root, file)} imports ${relTarget}, outside src/`);
      continue;
    }
    targets.push(target);
    const to = featureOf(target);
    if (to === from) continue;
    if (from === 'core') problems.push(`${relative(root, file)}: core/ must not import ${to}/ (core imports no feature)`);
    if ((edges.has(to) || compositionRoots.has(to)) && !edges.has(from) && !compositionRoots.has(from)) {
      problems.push(`${relative(root, file)}: features must not import the edge ${to}`);
    }
    if (!compositionRoots.has(to) && relative(join(src, to), target) !== 'index.ts') {
      problems.push(`${relative(root, file)} imports ${relTarget}: import the ${to} feature through ${to}/index.ts`);
    }
  }
  graph.set(file, targets);
}

// File-level cycles (Tarjan's strongly connected components); type-only imports count too, on purpose.
let index = 0;
const indices = new Map<string, number>();
const low = new Map<string, number>();
const stack: string[] = [];
const onStack = new Set<string>();
function connect(node: string): void {
  indices.set(node, index);
  low.set(node, index);
  index++;
  stack.push(node);
  onStack.add(node);
  for (const next of graph.get(node) ?? []) {
    if (!graph.has(next)) continue;
    if (!indices.has(next)) {
      connect(next);
      low.set(node, Math.min(low.get(node) ?? 0, low.get(next) ?? 0));
    } else if (onStack.has(next)) {
      low.set(node, Math.min(low.get(node) ?? 0, indices.get(next) ?? 0));
    }
  }
  if (low.get(node) === indices.get(node)) {
    const component: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop();
      if (member) {
        onStack.delete(member);
        component.push(member);
      }
    } while (member && member !== node);
    if (component.length > 1) problems.push(`import cycle: ${component.map((f) => relative(root, f)).join(' -> ')}`);
  }
}
for (const file of graph.keys()) if (!indices.has(file)) connect(file);

// Feature-level cycles.
const featureGraph = new Map<string, Set<string>>();
for (const [file, targets] of graph) {
  if (/\.test\.tsx?$/.test(file)) continue;
  const from = featureOf(file);
  for (const target of targets) {
    const to = featureOf(target);
    if (to !== from) {
      if (!featureGraph.has(from)) featureGraph.set(from, new Set());
      featureGraph.get(from)?.add(to);
    }
  }
}
function featureCycle(start: string, node: string, seen: string[]): string[] | undefined {
  for (const next of featureGraph.get(node) ?? []) {
    if (next === start) return [...seen, next];
    if (!seen.includes(next)) {
      const found = featureCycle(start, next, [...seen, next]);
      if (found) return found;
    }
  }
  return undefined;
}
const reported = new Set<string>();
for (const feature of featureGraph.keys()) {
  const cycle = featureCycle(feature, feature, [feature]);
  if (cycle) {
    const key = [...cycle].slice(0, -1).sort().join(',');
    if (!reported.has(key)) {
      reported.add(key);
      problems.push(`feature cycle: ${cycle.join(' -> ')}`);
    }
  }
}

if (problems.length > 0) {
  process.stderr.write(`Module boundaries: ${problems.length} problem(s)\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
  process.exitCode = 1;
} else {
  process.stdout.write(`Module boundaries: ok (${files.length} files)\n`);
}
