import type { Command } from 'commander';
import type { ApiKeyView } from '../../lambdas/domain/api-key';
import { OrganizationNotFound } from '../../lambdas/domain/errors';
import type { Organization } from '../../lambdas/domain/ports';
import { inertJson } from '../../lambdas/domain/text';
import type { Operator } from '../../lambdas/runtime/operator';
import { type Io, operatorFor, resolveTarget, type Target } from './target';

/** What the command groups (org, keys, redrives, dev) build their commands with. */

export interface GlobalOptions {
  stack?: string;
  json?: boolean;
}

/** What every action gets: where it works, the operator's services there, and how to print. */
export interface Context {
  target: Target;
  operator: Operator;
  io: Io;
  print(json: unknown, human: string): void;
}

export interface CommandKit {
  io: Io;
  /** Sets a command up to report through io and throw instead of exiting, so main() owns the exit code. */
  configure(command: Command): Command;
  /** A configured subcommand of `parent`. */
  sub(parent: Command, name: string, description: string): Command;
  /** A leaf command's handler: resolves the target, builds the operator, and always closes its client. */
  action<O>(run: (context: Context, options: O) => Promise<void>): (options: O, command: Command) => Promise<void>;
}

export function commandKit(io: Io): CommandKit {
  const configure = (command: Command): Command =>
    command
      .exitOverride()
      .configureOutput({ writeOut: io.out, writeErr: io.err })
      .showHelpAfterError()
      .configureHelp({ showGlobalOptions: true });

  function action<O>(run: (context: Context, options: O) => Promise<void>) {
    return async (options: O, command: Command): Promise<void> => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const target = await resolveTarget({ stack: globals.stack }, io);
      const operator = operatorFor(target, io);
      // Human text escapes stored values where it interpolates them (shown, table); JSON escapes them as JSON.
      const print = (json: unknown, human: string) => io.out(globals.json ? `${inertJson(json)}\n` : `${human}\n`);
      try {
        await run({ target, operator, io, print }, options);
      } finally {
        operator.close();
      }
    };
  }
  const sub = (parent: Command, name: string, description: string) => configure(parent.command(name).description(description));
  return { io, configure, sub, action };
}

/** A repeatable option's values, in order. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Every page of an organization's keys, oldest first, as the management API lists them. */
export async function allKeys(operator: Operator, organizationId: string): Promise<ApiKeyView[]> {
  const keys: ApiKeyView[] = [];
  let cursor: string | undefined;
  do {
    const page = await operator.keys.list(organizationId, { limit: 100, ...(cursor ? { cursor } : {}) });
    keys.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return keys;
}

export async function organizationOf(operator: Operator, organizationId: string): Promise<Organization> {
  const organization = await operator.store.getOrganization(organizationId);
  if (!organization) throw new OrganizationNotFound(`no organization "${organizationId}"`);
  return organization;
}
