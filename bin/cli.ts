import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { allowedIpsSchema } from '../lambdas/domain/allowed-ips';
import type { ApiKeyView } from '../lambdas/domain/api-key';
import { EXPIRES_IN, type ExpiresIn } from '../lambdas/domain/api-key';
import { DomainError, OrganizationNotFound, ValidationFailed } from '../lambdas/domain/errors';
import type { Organization, Role } from '../lambdas/domain/ports';
import { escapeControlCharacters, inertJson, isEmailAddress } from '../lambdas/domain/text';
import { usageQuerySchema } from '../lambdas/http/schemas';
import { parseWith } from '../lambdas/http/validation';
import { redriveFailureQueue } from '../lambdas/notifications/redrive';
import type { Operator } from '../lambdas/runtime/operator';
import { redriveJobs } from '../lambdas/service/job-redrive';
import { redriveDeadLetterFile, redriveJobsFile } from '../local/dead-letter-redrive';
import { createDevIssuer } from '../local/dev-issuer';
import { loadOrCreateSigner, postReport } from '../local/secret-scanning';
import {
  failureQueueFor,
  type Io,
  jobRunnerFor,
  mailerFor,
  operatorActor,
  operatorFor,
  parkedJobsFor,
  resolveTarget,
  type Target,
  UsageError,
} from './cli/target';
import { keyTable, newKeyText, shown, table, usageTable, withoutVersion } from './cli/text';

/**
 * `keyward`, the operator CLI (API.md §4): organizations, their members and keys, and the
 * redrive of what the notifier and the lifecycle jobs gave up on, straight on the table. `--stack <name>` (or KEYWARD_STACK) works on a
 * deployed stack with the settings its outputs give; otherwise on the running local stack
 * (`npm start`), found through `.keyward/runtime.json`. Exit codes: 0 success, 1 failure,
 * 2 bad usage or invalid input.
 */

const VERSION = (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;

interface GlobalOptions {
  stack?: string;
  json?: boolean;
}

/** What every action gets: where it works, the operator's services there, and how to print. */
interface Context {
  target: Target;
  operator: Operator;
  io: Io;
  print(json: unknown, human: string): void;
}

/** Every page of an organization's keys, oldest first, as the management API lists them. */
async function allKeys(operator: Operator, organizationId: string): Promise<ApiKeyView[]> {
  const keys: ApiKeyView[] = [];
  let cursor: string | undefined;
  do {
    const page = await operator.keys.list(organizationId, { limit: 100, ...(cursor ? { cursor } : {}) });
    keys.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return keys;
}

async function organizationOf(operator: Operator, organizationId: string): Promise<Organization> {
  const organization = await operator.store.getOrganization(organizationId);
  if (!organization) throw new OrganizationNotFound(`no organization "${organizationId}"`);
  return organization;
}

/** The CLI's commands and options; the docs check reads them from here, so what the docs quote is what runs. */
export function buildProgram(io: Io): Command {
  const program = new Command('keyward');

  /** Every command reports through io and throws instead of exiting, so main() owns the exit code. */
  const configure = (command: Command): Command =>
    command
      .exitOverride()
      .configureOutput({ writeOut: io.out, writeErr: io.err })
      .showHelpAfterError()
      .configureHelp({ showGlobalOptions: true });

  /** A leaf command's handler: resolves the target, builds the operator, and always closes its client. */
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

  configure(program)
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

  const org = sub(program, 'org', 'organizations and their members');
  const collect = (value: string, previous: string[] = []) => [...previous, value];

  sub(org, 'create', 'create an organization, its admins and its first API key (printed once)')
    .requiredOption('--name <name>', 'display name (1-100 characters)')
    .option('--id <slug>', 'organization id (default: derived from the name)')
    .requiredOption('--admin <email>', 'an admin; repeat for more', collect)
    .action(
      action<{ name: string; id?: string; admin: string[] }>(async ({ target, operator, print }, { name, id, admin }) => {
        const actor = await operatorActor(target);
        const result = await operator.organizations.create({ name, admins: admin, actor, ...(id === undefined ? {} : { id }) });
        const intro = `Created organization ${result.organization.id} ("${shown(result.organization.name)}") with admin(s) ${shown(admin.join(', '))}.`;
        print(result, newKeyText(`${intro}\nFirst API key ${result.api_key.id}:`, result.api_key));
      }),
    );

  sub(org, 'list', 'list the organizations, with their numbers of admins, members and keys (reads the whole table)').action(
    action(async ({ operator, print }) => {
      const organizations = await operator.organizationSummaries();
      const human =
        organizations.length === 0
          ? 'No organizations.'
          : table(
              ['ID', 'Name', 'Admins', 'Members', 'API keys'],
              organizations.map((o) => [o.id, o.name, String(o.admins), String(o.members), String(o.api_keys)]),
            );
      print({ organizations }, human);
    }),
  );

  sub(org, 'show', 'show an organization: its members and its API keys (masked)')
    .requiredOption('--org <id>', 'organization id')
    .action(
      action<{ org: string }>(async ({ operator, print }, { org: organizationId }) => {
        const organization = await organizationOf(operator, organizationId);
        const [members, keys] = await Promise.all([operator.store.listMembers(organizationId), allKeys(operator, organizationId)]);
        const memberLines = members.map((member) => ({ email: member.email, role: member.role }));
        print(
          { organization: { id: organization.id, name: organization.name }, members: memberLines, api_keys: keys },
          [
            `Organization ${shown(organization.id)} ("${shown(organization.name)}")`,
            '',
            table(
              ['Member', 'Role'],
              memberLines.map((member) => [member.email, member.role]),
            ),
            '',
            keyTable(keys),
          ].join('\n'),
        );
      }),
    );

  sub(org, 'add-member', 'add a member, or change the role of one')
    .requiredOption('--org <id>', 'organization id')
    .requiredOption('--email <email>', "the member's email")
    .addOption(new Option('--role <role>', 'role').choices(['admin', 'member']).default('member'))
    .action(
      action<{ org: string; email: string; role: Role }>(async ({ operator, print }, { org: organizationId, email, role }) => {
        const member = await operator.organizations.addMember(organizationId, email, role);
        print(
          { member: { organization_id: member.organizationId, email: member.email, role: member.role } },
          `${shown(member.email)} is now ${member.role === 'admin' ? 'an admin' : 'a member'} of ${shown(member.organizationId)}.`,
        );
      }),
    );

  sub(org, 'remove-member', 'remove a member (never the last admin)')
    .requiredOption('--org <id>', 'organization id')
    .requiredOption('--email <email>', "the member's email")
    .action(
      action<{ org: string; email: string }>(async ({ operator, print }, { org: organizationId, email }) => {
        const removed = await operator.organizations.removeMember(organizationId, email);
        const [who, where] = [shown(email), shown(organizationId)];
        print({ removed }, removed ? `Removed ${who} from ${where}.` : `${who} was not a member of ${where}.`);
      }),
    );

  sub(org, 'set-plan', "move an organization to another plan (API.md §9): its keys share the plan's rate, burst and quota")
    .requiredOption('--org <id>', 'organization id')
    .requiredOption('--plan <name>', "a plan of the deployment's configuration")
    .action(
      action<{ org: string; plan: string }>(async ({ target, operator, print }, options) => {
        const actor = await operatorActor(target);
        const plan = await operator.settings.setPlan(options.org, actor, options.plan);
        const quota = plan.limits.quota ? `, quota ${plan.limits.quota.limit} per ${plan.limits.quota.period}` : ', no quota';
        print(
          { organization: { id: options.org }, ...plan },
          `${options.org} is on plan ${plan.plan}: ${plan.limits.rate} requests/s, burst ${plan.limits.burst}${quota}. Takes effect within 60 s.`,
        );
      }),
    );

  const keys = sub(program, 'keys', "an organization's API keys (changes are audited with actor operator)");

  sub(keys, 'list', "list an organization's API keys, masked, as the management API lists them")
    .requiredOption('--org <id>', 'organization id')
    .action(
      action<{ org: string }>(async ({ operator, print }, { org: organizationId }) => {
        await organizationOf(operator, organizationId);
        const list = await allKeys(operator, organizationId);
        print({ api_keys: list }, keyTable(list));
      }),
    );

  sub(keys, 'rotate', 'emergency rotation: a new key now (printed once); the old one stops now or after a grace period')
    .requiredOption('--org <id>', 'organization id')
    .requiredOption('--key <id>', 'API key id')
    .addOption(new Option('--expires-in <period>', 'when the old key stops working').choices(EXPIRES_IN).default('now'))
    .action(
      action<{ org: string; key: string; expiresIn: ExpiresIn }>(async ({ target, operator, print }, options) => {
        const actor = await operatorActor(target);
        const rotation = await operator.keys.rotate(options.org, actor, options.key, { expires_in: options.expiresIn });
        const result = { api_key: withoutVersion(rotation.api_key), rotated_api_key: rotation.rotated_api_key };
        const until = rotation.rotated_api_key.expires_at;
        const old = options.expiresIn === 'now' ? 'stopped working now' : `works until ${until}`;
        print(
          result,
          newKeyText(
            `Rotated ${shown(options.key)} of ${shown(options.org)}: the old key ${old}. New API key ${result.api_key.id}:`,
            result.api_key,
          ),
        );
      }),
    );

  sub(keys, 'set-allowed-ips', 'restrict an API key to source addresses (CIDR blocks), or let it be used from any (--any)')
    .requiredOption('--org <id>', 'organization id')
    .requiredOption('--key <id>', 'API key id')
    .option('--allowed-ip <cidr>', 'an IPv4/IPv6 address or CIDR block; repeat for more (at most 20)', collect)
    .option('--any', 'remove the allowlist: any source address')
    .action(
      action<{ org: string; key: string; allowedIp?: string[]; any?: boolean }>(async ({ target, operator, print }, options) => {
        if ((options.allowedIp === undefined) === (options.any !== true)) {
          throw new UsageError('give either --allowed-ip <cidr> (repeatable) or --any');
        }
        const parsed = allowedIpsSchema.safeParse(options.any ? null : options.allowedIp);
        if (!parsed.success) throw new ValidationFailed({ allowed_ips: parsed.error.issues.map((issue) => issue.message) });
        const actor = await operatorActor(target);
        const updated = withoutVersion(await operator.keys.update(options.org, actor, options.key, { allowed_ips: parsed.data }));
        const where = updated.allowed_ips === null ? 'any source address' : updated.allowed_ips.join(', ');
        print({ api_key: updated }, `API key ${updated.id} (${updated.masked_value}) of ${options.org} may now be used from ${where}.`);
      }),
    );

  sub(keys, 'delete', 'delete an API key (never the last one without an expiry)')
    .requiredOption('--org <id>', 'organization id')
    .requiredOption('--key <id>', 'API key id')
    .action(
      action<{ org: string; key: string }>(async ({ target, operator, print }, options) => {
        const actor = await operatorActor(target);
        const deleted = withoutVersion(await operator.keys.delete(options.org, actor, options.key));
        print({ api_key: deleted }, `Deleted API key ${shown(deleted.id)} (${deleted.masked_value}) of ${shown(options.org)}.`);
      }),
    );

  sub(program, 'usage', "an organization's requests per key and hour or day: allowed, denied by code, throttled (API.md §9)")
    .requiredOption('--org <id>', 'organization id')
    .option('--key <id>', "only this API key's requests")
    .option('--from <ISO>', 'start of the range (default: 24 hours, or 30 days by day, before --to)')
    .option('--to <ISO>', 'end of the range, exclusive (default: now)')
    .addOption(new Option('--granularity <size>', 'bucket size').choices(['hour', 'day']).default('hour'))
    .action(
      action<{ org: string; key?: string; from?: string; to?: string; granularity: string }>(async ({ operator, print }, options) => {
        // The API's own query schema: the same checks and messages as GET …/usage.
        const query = parseWith(
          usageQuerySchema,
          Object.fromEntries(
            Object.entries({ from: options.from, to: options.to, granularity: options.granularity, api_key_id: options.key }).filter(
              ([, value]) => value !== undefined,
            ),
          ),
        );
        await organizationOf(operator, options.org);
        const usage = await operator.usage.list(options.org, query);
        print({ usage }, usageTable(usage));
      }),
    );

  const notifications = sub(program, 'notifications', 'admin emails');

  sub(
    notifications,
    'redrive',
    "re-deliver the admin emails that ended in the notifier's failure queue (AWS) or dead-letter file (local); never twice",
  ).action(
    action(async ({ target, operator, io: out, print }) => {
      const redriveEvent = operator.eventRedrive(mailerFor(target));
      const result =
        target.mode === 'local'
          ? await redriveDeadLetterFile(target.stateDir, redriveEvent)
          : await redriveFailureQueue({
              queue: failureQueueFor(target.stack),
              undelivered: operator.undelivered,
              redriveEvent,
              warn: (message) => out.err(`keyward: ${message}\n`),
            });
      print(result, `Redriven: ${result.redriven}, failed: ${result.failed}.`);
      if (result.failed > 0) throw new RedriveIncomplete(result.failed, 'email(s) not delivered');
    }),
  );

  const jobs = sub(program, 'jobs', 'lifecycle jobs: scheduled retirements and expiry reminders');

  sub(
    jobs,
    'redrive',
    "run again the retirements and reminders that failed for good: the job failure queue and the scheduler's dead-letter queue (AWS) or the dead-letter file (local)",
  ).action(
    action(async ({ target, operator, io: out, print }) => {
      const run = jobRunnerFor(target, operator);
      const warn = (message: string) => out.err(`keyward: ${message}\n`);
      const result =
        target.mode === 'local'
          ? await redriveJobsFile(target.stateDir, run, warn)
          : await redriveJobs({ queues: parkedJobsFor(target.stack), run, warn });
      print(result, `Redriven: ${result.redriven}, failed: ${result.failed}.`);
      if (result.failed > 0) throw new RedriveIncomplete(result.failed, 'job(s) failed again');
    }),
  );

  sub(program, 'migrate', 'bring data written by an earlier version up to date (idempotent; AWS: needs dynamodb:Scan)').action(
    action(async ({ operator, print }) => {
      const result = await operator.migrate();
      const { written, removed } = result.memberships;
      const hot = result.hot_items;
      const usage = result.usage_identifiers;
      print(
        result,
        `Memberships: ${written} written, ${removed} removed (the rest were up to date).\nHot items: ${hot.rewritten} rewritten in the compact encoding, ${hot.skipped} left as stored.${
          usage ? `\nUsage identifiers: ${usage.created} created, ${usage.organizations} organizations checked.` : ''
        }`,
      );
    }),
  );

  sub(program, 'token', 'mint a dev admin JWT (local stack only)')
    .requiredOption('--email <email>', "the admin's email")
    .action(
      action<{ email: string }>(async ({ target, print }, { email }) => {
        if (target.mode !== 'local') throw new UsageError('token works with the local stack only (it mints dev JWTs); drop --stack');
        if (!isEmailAddress(email.trim())) throw new UsageError('invalid input', { email: [`"${email}" is not an email address`] });
        const issuer = await createDevIssuer({
          stateDir: target.stateDir,
          issuer: target.runtime.issuer,
          audience: target.runtime.audience,
        });
        const token = await issuer.mint({ email: email.trim() });
        print({ token }, token);
      }),
    );

  const dev = sub(program, 'dev', 'local development helpers (local stack only)');

  sub(dev, 'report-leak', "sign and post a secret-scanning report of <token>, exactly as GitHub's partner program does (API.md §10)")
    .argument('<token>', 'the token found in public')
    .option('--url <url>', "where it was found (the report item's url)", 'https://github.com/example/app/blob/main/.env')
    .action(async (token: string, options: { url: string }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const target = await resolveTarget({ stack: globals.stack }, io);
      if (target.mode !== 'local') {
        throw new UsageError('dev report-leak works with the local stack only (it signs with the stand-in GitHub key); drop --stack');
      }
      const endpoint = `${target.runtime.gateway_url}/v1/secret_scanning/github`;
      const answer = await postReport(endpoint, [{ token, url: options.url, source: 'commit' }], loadOrCreateSigner(target.stateDir));
      if (answer.status !== 200 || !Array.isArray(answer.body)) {
        throw new Error(`the endpoint answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      }
      const verdicts = answer.body as { token_hash: string; label: string }[];
      io.out(
        globals.json
          ? `${JSON.stringify(verdicts)}\n`
          : `${verdicts.map((verdict) => `${verdict.label} (token SHA-256 ${verdict.token_hash})`).join('\n')}\n`,
      );
    });

  return program;
}

/** Some emails or jobs are still not done (the result was printed): exit 1, so scripts notice. */
class RedriveIncomplete extends Error {
  constructor(failed: number, what: string) {
    super(`${failed} ${what}; they stay for the next redrive`);
  }
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
