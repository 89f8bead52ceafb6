import { Command, CommanderError, Option } from 'commander';
import { groundworkVersion } from '../core/index.ts';
import { registerActionsCommands } from './commands/actions.ts';
import { registerAdoptionCommands } from './commands/adoption.ts';
import { registerAskCommand } from './commands/ask.ts';
import { registerAuditCommands } from './commands/audit.ts';
import { registerAuditDataCommand } from './commands/audit-data.ts';
import { registerChangesCommands } from './commands/changes.ts';
import { registerChunksCommand } from './commands/chunks.ts';
import { registerClaimsCommands } from './commands/claims.ts';
import { registerCostCommands } from './commands/cost.ts';
import { registerDbCommands } from './commands/db.ts';
import { registerDemoCommand } from './commands/demo.ts';
import { registerDoctorCommand } from './commands/doctor.ts';
import { registerDocumentsCommands } from './commands/documents.ts';
import { registerEvalCommands } from './commands/eval.ts';
import { registerEvalRetrievalCommand } from './commands/eval-retrieval.ts';
import { registerFeedbackCommands } from './commands/feedback.ts';
import { registerIdentitiesCommands } from './commands/identities.ts';
import { registerIncidentsCommands } from './commands/incidents.ts';
import { registerJobsCommands } from './commands/jobs.ts';
import { registerKeysCommands } from './commands/keys.ts';
import { registerMcpCommand } from './commands/mcp.ts';
import { registerModelsCommands } from './commands/models.ts';
import { registerMonitorsCommands } from './commands/monitors.ts';
import { registerPromptsCommands } from './commands/prompts.ts';
import { registerProtectCommands } from './commands/protect.ts';
import { registerQuarantineCommands } from './commands/quarantine.ts';
import { registerReviewCommands } from './commands/review.ts';
import { registerRolloutCommands } from './commands/rollout.ts';
import { registerSearchCommand } from './commands/search.ts';
import { registerServeCommand } from './commands/serve.ts';
import { registerSourcesCommands } from './commands/sources.ts';
import { registerStatusCommand } from './commands/status.ts';
import { registerSyncCommands } from './commands/sync.ts';
import { registerTracesCommands } from './commands/traces.ts';
import { registerUseCaseChangesCommand } from './commands/use-case-changes.ts';
import { registerUseCasesCommands } from './commands/use-cases.ts';
import { registerVocabularyCommands } from './commands/vocabulary.ts';
import { type CliIo, CliRuntime } from './context.ts';
import { exitCodes } from './exit-codes.ts';

const exitCodeHelp = `
Exit codes:
  0  success
  1  failure (the message says what went wrong and how to fix it)
  2  usage error (unknown command or flag, invalid configuration)
  3  partial success (e.g. some files were quarantined during a sync)

Configuration: flags > environment (GROUNDWORK_*, DATABASE_URL) > groundwork.config.{json,yaml} > defaults.
Without --database-url the embedded store in --data-dir (default ./.groundwork) is used.`;

/** Builds the command tree. Feature commands register themselves here. */
export function buildProgram(runtime: CliRuntime): Command {
  const program = new Command('groundwork')
    .description(
      'Groundwork: enterprise RAG from pilot to production — ingest, retrieve with permissions, answer with citations.',
    )
    .version(groundworkVersion, '-v, --version')
    .addOption(new Option('--data-dir <dir>', 'embedded store data directory (default ./.groundwork)'))
    .addOption(new Option('--database-url <url>', 'server mode: PostgreSQL connection URL (or DATABASE_URL)'))
    .addOption(new Option('--config <file>', 'config file (default groundwork.config.json|yaml in the working directory)'))
    .addOption(new Option('--server <url>', 'use the HTTP API of a running `groundwork serve` (or GROUNDWORK_SERVER_URL)'))
    .addOption(new Option('--api-key <key>', 'API key for --server (prefer GROUNDWORK_API_KEY: flags show in ps)'))
    .option('--json', 'machine-readable JSON on stdout')
    .option('-q, --quiet', 'print only results and errors')
    .addHelpText('after', exitCodeHelp)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => runtime.io.stdout.write(text),
      writeErr: (text) => runtime.io.stderr.write(text),
    });
  program.enablePositionalOptions(false);
  registerDoctorCommand(program, runtime);
  registerDbCommands(program, runtime);
  registerServeCommand(program, runtime);
  registerDemoCommand(program, runtime);
  registerKeysCommands(program, runtime);
  registerAuditCommands(program, runtime);
  registerIncidentsCommands(program, runtime);
  registerChangesCommands(program, runtime);
  registerSearchCommand(program, runtime);
  registerEvalRetrievalCommand(program, runtime);
  registerEvalCommands(program, runtime);
  registerTracesCommands(program, runtime);
  registerCostCommands(program, runtime);
  registerPromptsCommands(program, runtime);
  registerModelsCommands(program, runtime);
  registerProtectCommands(program, runtime);
  registerChunksCommand(program, runtime);
  registerSourcesCommands(program, runtime);
  registerDocumentsCommands(program, runtime);
  registerSyncCommands(program, runtime);
  registerJobsCommands(program, runtime);
  registerAdoptionCommands(program, runtime);
  registerReviewCommands(program, runtime);
  registerClaimsCommands(program, runtime);
  registerMonitorsCommands(program, runtime);
  registerRolloutCommands(program, runtime);
  registerQuarantineCommands(program, runtime);
  registerStatusCommand(program, runtime);
  registerAskCommand(program, runtime);
  registerUseCasesCommands(program, runtime);
  registerUseCaseChangesCommand(program, runtime);
  registerFeedbackCommands(program, runtime);
  registerActionsCommands(program, runtime);
  registerMcpCommand(program, runtime);
  registerAuditDataCommand(program, runtime);
  registerIdentitiesCommands(program, runtime);
  registerVocabularyCommands(program, runtime);
  for (const command of program.commands) applyExitOverride(command, runtime);
  return program;
}

function applyExitOverride(command: Command, runtime: CliRuntime): void {
  command.exitOverride().configureOutput({
    writeOut: (text) => runtime.io.stdout.write(text),
    writeErr: (text) => runtime.io.stderr.write(text),
  });
  command.showHelpAfterError('(run with --help for usage)');
  for (const sub of command.commands) applyExitOverride(sub, runtime);
}

/** Runs the CLI and returns its exit code (never calls process.exit itself). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const runtime = new CliRuntime(io);
  const program = buildProgram(runtime);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return runtime.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') {
        return exitCodes.ok;
      }
      if (error.code === 'commander.executeSubCommandAsync') return runtime.exitCode;
      return exitCodes.usage;
    }
    throw error;
  }
}
