import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { createCohort, type SimulationSummary, seedDemoCriteria, simulatedCohorts, simulateUsage } from '../../adoption/index.ts';
import { loadExampleClaims } from '../../claims/index.ts';
import { GroundworkError, isGroundworkError, loadConfig, localOperator } from '../../core/index.ts';
import { createPlatform } from '../../create-platform.ts';
import { createApiKey } from '../../govern/index.ts';
import { addSource } from '../../ingest/index.ts';
import { isPortFree, startServer } from '../../server/index.ts';
import { assertDataDirUnlocked } from '../../store/index.ts';
import { startServeWorker } from '../../worker.ts';
import type { CliRuntime } from '../context.ts';
import { exitCodes } from '../exit-codes.ts';

const examplesDir = fileURLToPath(new URL('../../../examples', import.meta.url));
const corpusDir = fileURLToPath(new URL('../../../examples/corpus', import.meta.url));
const aclMapFile = fileURLToPath(new URL('../../../examples/acl-map.yaml', import.meta.url));
const webIndex = fileURLToPath(new URL('../../../web/dist/index.html', import.meta.url));
/** A file the demo writes into its data directory, so a later run knows the directory is safe to wipe. */
const marker = '.groundwork-demo';

/** The example questions printed by the demo (see examples/README.md). */
export const demoQuestions = [
  'What is the deductible for water damage under policy form HO-3?',
  'What are the steps for first notice of loss?',
  'What is the maximum roof age for a new homeowners policy?',
] as const;

/** `--json` shape of `groundwork demo` (printed once the server listens). */
export interface DemoReport {
  url: string;
  dataDir: string;
  /** A folder under which sources may be added over the API and the web UI (sources.allowedRoots). */
  inbox: string;
  documents: number;
  chunks: number;
  quarantined: number;
  ingestMs: number;
  keys: { admin: string; underwriter: string; adjuster: string; approver: string };
  questions: readonly string[];
  webUi: boolean;
  /** SIMULATED usage (flagged in the rollups, excluded from reports unless asked): so usage charts are not empty. */
  simulatedUsage: SimulationSummary & { cohorts: string[] };
  /** Example success criteria on `default` (one on track, one at risk) and the health flags, on the SIMULATED usage. */
  simulatedCriteria: Awaited<ReturnType<typeof seedDemoCriteria>>;
  /** Example claims (the seeded claims generator, no scans) assigned to the demo adjuster, processed: claims per tier. */
  claims: { count: number; tiers: Record<string, number> };
}

function portInUse(port: number): GroundworkError {
  return new GroundworkError('demo.port_in_use', `Port ${port} on 127.0.0.1 is already in use.`, {
    category: 'usage',
    fix: 'Stop the other process (an earlier `groundwork demo`?), or pass --port 0 for any free port, or another --port.',
  });
}

/**
 * Refuses to wipe a directory this command did not create (it could be someone's real data), and one that a
 * running Groundwork process holds (an earlier demo still serving from it).
 */
function prepareDataDir(dir: string): void {
  assertDataDirUnlocked(dir);
  if (existsSync(dir) && readdirSync(dir).length > 0 && !existsSync(resolve(dir, marker))) {
    throw new GroundworkError('demo.data_dir_in_use', `${dir} is not empty and was not created by \`groundwork demo\`.`, {
      category: 'usage',
      fix: 'Pass an empty or new directory with --data-dir, or remove this one yourself.',
    });
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(resolve(dir, marker), 'Created by `groundwork demo`; wiped and recreated on every run.\n');
}

/**
 * `groundwork demo`: a fresh embedded store with the example insurer corpus, four API keys and the server with
 * the web UI — the README's first command.
 */
export function registerDemoCommand(program: Command, runtime: CliRuntime): void {
  program
    .command('demo')
    .description(
      'wipe and recreate a demo data directory (default ./.groundwork-demo), ingest the example corpus, create demo keys and serve the web UI',
    )
    .option('--port <port>', 'port (default 8787; 0 picks a free one)', '8787')
    .option('--no-serve', 'set up the data directory and keys, then exit')
    .action(
      runtime.action(async (context, options: { port: string; serve: boolean }) => {
        const port = Number(options.port);
        if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) {
          throw new GroundworkError('demo.bad_port', `--port ${options.port} is not a port number.`, {
            category: 'usage',
            fix: 'Give an integer between 0 and 65535.',
          });
        }
        const { globals, io } = context;
        if (globals.server || globals.databaseUrl) {
          throw new GroundworkError('demo.not_embedded', 'The demo always uses a fresh embedded store.', {
            category: 'usage',
            fix: 'Drop --server and --database-url (use `groundwork serve` for server mode).',
          });
        }
        const dataDir = resolve(io.cwd, globals.dataDir ?? '.groundwork-demo');
        if (options.serve && !(await isPortFree('127.0.0.1', port))) throw portInUse(port);
        prepareDataDir(dataDir);
        context.output.info(`demo: created a fresh data directory ${dataDir} (wiped on every \`groundwork demo\`)`);
        // Sources may be added over the API only under the example corpus and the demo's own inbox folder.
        const inbox = resolve(dataDir, 'inbox');
        mkdirSync(inbox);
        const loaded = loadConfig({
          env: {},
          cwd: dataDir,
          flags: { dataDir, server: { host: '127.0.0.1', port }, sources: { allowedRoots: [examplesDir, inbox] } },
        });
        const platform = await createPlatform(loaded);
        try {
          await addSource(platform.db, { name: 'meridian', type: 'filesystem', path: corpusDir, aclMapPath: aclMapFile });
          const started = performance.now();
          const progress = context.output.progress('ingest example corpus');
          const summary = await platform.ingestion.sync({
            source: 'meridian',
            trigger: 'cli',
            onProgress: (p) => progress.update(p.done, p.total, p.current),
          });
          progress.finish();
          const ingestMs = Math.round(performance.now() - started);
          const actor = { actor: localOperator.id };
          // The admin reads every group of the example, so operators can also try every question.
          const admin = await createApiKey(
            platform.db,
            {
              name: 'demo-admin',
              role: 'admin',
              principals: ['user:ada@meridian.example', 'group:underwriting', 'group:claims', 'group:staff'],
            },
            actor,
          );
          const underwriter = await createApiKey(
            platform.db,
            {
              name: 'demo-underwriter',
              role: 'user',
              principals: ['user:uma@meridian.example', 'group:underwriting', 'group:staff'],
            },
            actor,
          );
          const adjuster = await createApiKey(
            platform.db,
            { name: 'demo-adjuster', role: 'user', principals: ['user:cal@meridian.example', 'group:claims', 'group:staff'] },
            actor,
          );
          // A second admin, so the four-eyes flow can be tried: ada's governed changes need someone else.
          const approver = await createApiKey(
            platform.db,
            { name: 'demo-approver', role: 'admin', principals: ['user:rex@meridian.example', 'group:staff'] },
            actor,
          );
          // Clearly labelled demo data: 120 simulated days of three cohorts, never mixed with real usage.
          const simulated = await simulateUsage(platform.db, localOperator, { useCase: 'default', clock: platform.clock });
          const cohorts: string[] = [];
          for (const profile of simulatedCohorts) {
            const name = profile.principal.slice('group:'.length);
            await createCohort(platform.db, localOperator, {
              name,
              principals: [profile.principal],
              description: 'demo cohort of the usage simulator',
            });
            cohorts.push(name);
          }
          const simulatedCriteria = await seedDemoCriteria(platform.governance, platform.db, localOperator, {
            useCase: 'default',
            endDay: simulated.lastDay,
          });
          // A few example claims (generated, SYNTHETIC), assigned to the demo adjuster, so the Claims pages have data.
          const exampleClaims = await loadExampleClaims(platform, localOperator, resolve(dataDir, 'example-claims'), {
            adjuster: 'cal@meridian.example',
          });
          const report: DemoReport = {
            url: '',
            dataDir,
            inbox,
            documents: summary.added + summary.updated + summary.unchanged,
            chunks: summary.chunks,
            quarantined: summary.quarantined.length,
            ingestMs,
            keys: { admin: admin.token, underwriter: underwriter.token, adjuster: adjuster.token, approver: approver.token },
            questions: demoQuestions,
            webUi: existsSync(webIndex),
            simulatedUsage: { ...simulated, cohorts },
            simulatedCriteria,
            claims: { count: exampleClaims.processed, tiers: exampleClaims.tiers },
          };
          if (!options.serve) {
            context.output.result(report, (v) => humanReport(v));
            return exitCodes.ok;
          }
          const server = await startServer(platform, { host: '127.0.0.1', port }).catch((error: unknown) => {
            throw isGroundworkError(error) && error.code === 'server.port_in_use' ? portInUse(port) : error;
          });
          // The demo is the embedded store: syncs started from the API or the web UI run in this process.
          const worker = await startServeWorker(platform);
          report.url = server.url;
          context.output.result(report, (v) => humanReport(v));
          await new Promise<void>((resolveStop) => {
            const stop = () => {
              process.off('SIGINT', stop);
              process.off('SIGTERM', stop);
              resolveStop();
            };
            process.on('SIGINT', stop);
            process.on('SIGTERM', stop);
          });
          context.output.info('stopping: finishing open requests');
          await Promise.all([server.close(), worker?.stop({ timeoutMs: 10_000 })]);
          return exitCodes.ok;
        } finally {
          await platform.close();
        }
      }),
    );
}

function humanReport(v: DemoReport): string {
  return [
    `Ingested ${v.documents} documents (${v.chunks} chunks, ${v.quarantined} quarantined) in ${(v.ingestMs / 1000).toFixed(1)} s.`,
    '',
    v.url
      ? `Groundwork demo running at ${v.url}${v.webUi ? '' : '  (web UI not built: run `npm run build:web`)'}`
      : 'Server not started (--no-serve).',
    '',
    'Sign in with one of these API keys (shown once; the directory is wiped on the next `groundwork demo`):',
    `  admin (all groups; sources, traces, cost): ${v.keys.admin}`,
    `  underwriter (group:underwriting, staff):   ${v.keys.underwriter}`,
    `  claims adjuster (group:claims, staff):     ${v.keys.adjuster}`,
    `  approver (admin; approves ada's changes):  ${v.keys.approver}`,
    '',
    `Folders to add as sources over the API or the web UI go under ${v.inbox} (sources.allowedRoots).`,
    `Example claims (SYNTHETIC, generated): ${v.claims.count} assigned to the claims adjuster (${Object.entries(v.claims.tiers)
      .map(([tier, n]) => `${n} ${tier}`)
      .join(', ')}); see them under Claims in the web UI or with \`groundwork claims list\`.`,
    '',
    `SIMULATED usage (demo data, not real): ${v.simulatedUsage.users} users, ${v.simulatedUsage.answers} answers, ${v.simulatedUsage.firstDay} → ${v.simulatedUsage.lastDay}, cohorts ${v.simulatedUsage.cohorts.join(', ')}.`,
    '  See it with `groundwork usage report --use-case default --include-simulated` (real usage is reported without it).',
    `  Example success criteria (on the simulated usage): ${v.simulatedCriteria.criteria.map((c) => `${c.id} ${c.status}`).join(', ')}; health flags: ${v.simulatedCriteria.flags.join(', ') || 'none'}.`,
    '  See them with `groundwork use-cases criteria list default --include-simulated` and `groundwork use-cases health default --include-simulated`.',
    '',
    'Questions to try:',
    ...v.questions.map((q) => `  - ${q}`),
    '',
    'Ask as the underwriter about claim CL-2026-0142: the claim file is not theirs to read, so the answer is a refusal.',
    v.url ? 'Press Ctrl+C to stop.' : '',
  ].join('\n');
}
