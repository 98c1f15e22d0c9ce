import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { DomainError, ValidationFailed } from '../lambdas/domain/errors';
import { escapeControlCharacters } from '../lambdas/domain/text';
import { commandKit } from './cli/command-kit';
import { addDevCommands } from './cli/dev-commands';
import { addKeyCommands } from './cli/key-commands';
import { addMaintenanceCommands } from './cli/maintenance-commands';
import { addOrgCommands } from './cli/org-commands';
import { type Io, UsageError } from './cli/target';

/**
 * `keyward`, the operator CLI (API.md §4): organizations, their members and keys, and the
 * redrive of what the notifier and the lifecycle jobs gave up on, straight on the table. `--stack <name>` (or KEYWARD_STACK) works on a
 * deployed stack with the settings its outputs give; otherwise on the running local stack
 * (`npm start`), found through `.keyward/runtime.json`. Exit codes: 0 success, 1 failure,
 * 2 bad usage or invalid input.
 */

const VERSION = (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;

/** The CLI's commands and options; the docs check reads them from here, so what the docs quote is what runs. */
export function buildProgram(io: Io): Command {
  const kit = commandKit(io);
  const program = new Command('keyward');

  kit
    .configure(program)
    .description('Operator CLI of keyward: organizations, members and API keys, straight on the table (API.md §4)')
    .version(VERSION, '-V, --version', 'print the version')
    .option('--stack <name>', 'work on this deployed CloudFormation stack, with the settings its outputs give (env KEYWARD_STACK)')
    .option('--json', 'print one JSON document on stdout')
    .showSuggestionAfterError()
    .addHelpText(
      'after',
      '\nWithout --stack, the CLI works on the running local stack (npm start), found in ./.keyward or KEYWARD_STATE_DIR.\n' +
        'Exit codes: 0 success, 1 failure, 2 bad usage or invalid input.',
    );

  addOrgCommands(program, kit);
  addKeyCommands(program, kit);
  addMaintenanceCommands(program, kit);
  addDevCommands(program, kit);
  return program;
}

/** Runs the CLI; returns the exit code (0 ok, 1 failure, 2 usage or validation error). */
export async function main(argv: string[], io: Io = defaultIo()): Promise<number> {
  try {
    await buildProgram(io).parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    return report(error, io);
  }
}

function report(error: unknown, io: Io): number {
  const say = (text: string) => io.err(`${escapeControlCharacters(text)}\n`);
  if (error instanceof CommanderError) {
    // commander has printed the problem and the usage; help and version asked for are a success.
    return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? 0 : 2;
  }
  if (error instanceof UsageError || error instanceof ValidationFailed) {
    say(`keyward: ${error instanceof ValidationFailed ? 'invalid input' : error.message}`);
    for (const [field, reasons] of Object.entries(error.details ?? {})) say(`  ${field}: ${reasons.join('; ')}`);
    return 2;
  }
  if (error instanceof DomainError) {
    say(`keyward: ${error.code}${error.message ? `: ${error.message}` : ''}`);
    return 1;
  }
  say(`keyward: ${error instanceof Error ? error.message : String(error)}`);
  return 1;
}

function defaultIo(): Io {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
  };
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
