import { parseArgs } from 'node:util';
import { KMSClient } from '@aws-sdk/client-kms';
import { KmsSecretBox } from '../lambdas/adapters/kms-secret-box';
import { LocalSecretBox } from '../lambdas/adapters/local-secret-box';
import { NO_SECRET_BOX } from '../lambdas/adapters/no-secret-box';
import { DomainError, ValidationFailed } from '../lambdas/domain/errors';
import type { Role } from '../lambdas/domain/ports';
import { keyConfig } from '../lambdas/runtime/config';
import { createOperator, type Operator } from '../lambdas/runtime/operator';
import { createDevIssuer } from '../local/dev-issuer';
import { localClientConfig } from '../local/dynamodb-local';
import { type RuntimeInfo, readMasterKey, readRuntimeInfo, resolveStateDir } from '../local/state';

/**
 * `keyward`, the operator CLI (API.md §4): organizations and their members, straight on the
 * table. `--table` (or KEYWARD_TABLE) targets AWS with the default credential chain; otherwise
 * the running local stack (`npm start`) is found through `.keyward/runtime.json`.
 */

export const USAGE = `Usage: keyward <command> [options]

Commands:
  org create --name <name> [--id <slug>] --admin <email> [--admin <email>...]
                                 create an organization, its admins and its first API key
  org add-member --org <id> --email <email> [--role admin|member]
                                 add or update a member (default role: member)
  org remove-member --org <id> --email <email>
                                 remove a member
  migrate                        bring data written by an earlier version up to date (idempotent;
                                 safe while the API serves; AWS: needs dynamodb:Scan on the table)
  token --email <email>          mint a dev admin JWT (local stack only)

Options:
  --table <name>     target this DynamoDB table in AWS (env KEYWARD_TABLE); default: the running
                     local stack (npm start), found in ./.keyward or KEYWARD_STATE_DIR
  --kms-key <id>     KMS key id or alias that encrypts tokens (AWS, org create; env KEYWARD_KMS_KEY)
  --json             print one JSON document on stdout
  -h, --help         show this help
`;

/** A usage or validation problem: exit code 2. */
class UsageError extends Error {
  constructor(
    message: string,
    readonly details?: Record<string, string[]>,
  ) {
    super(message);
  }
}

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

const OPTIONS = {
  name: { type: 'string' },
  id: { type: 'string' },
  admin: { type: 'string', multiple: true },
  org: { type: 'string' },
  email: { type: 'string' },
  role: { type: 'string' },
  table: { type: 'string' },
  'kms-key': { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function need(value: string | undefined, flag: string): string {
  if (value === undefined || value.trim() === '') throw new UsageError(`missing --${flag}`, { [flag]: ['is required'] });
  return value;
}

type Target = { mode: 'aws'; table: string } | { mode: 'local'; runtime: RuntimeInfo; stateDir: string };

function resolveTarget(values: Values, io: Io): Target {
  const table = values.table ?? io.env.KEYWARD_TABLE;
  if (table) return { mode: 'aws', table };
  const stateDir = resolveStateDir(io.cwd, io.env);
  const runtime = readRuntimeInfo(stateDir);
  if (runtime) return { mode: 'local', runtime, stateDir };
  throw new Error(
    `no running local stack found in ${stateDir}: start one with \`npm start\` (or set KEYWARD_STATE_DIR), ` +
      'or pass --table <name> to use a table in AWS',
  );
}

function operatorFor(target: Target, secrets: 'needed' | 'unused', values: Values, io: Io): Operator {
  const keys = keyConfig(io.env);
  if (target.mode === 'local') {
    return createOperator({
      tableName: target.runtime.table_name,
      dynamodb: localClientConfig(target.runtime.dynamodb_endpoint, target.runtime.dynamodb_access_key_id),
      secrets: secrets === 'needed' ? new LocalSecretBox(readMasterKey(target.stateDir)) : NO_SECRET_BOX,
      ...keys,
    });
  }
  let box = NO_SECRET_BOX;
  if (secrets === 'needed') {
    const kmsKey = values['kms-key'] ?? io.env.KEYWARD_KMS_KEY;
    if (!kmsKey)
      throw new UsageError('missing --kms-key (or KEYWARD_KMS_KEY): the KMS key that encrypts tokens', {
        'kms-key': ['is required with --table'],
      });
    box = new KmsSecretBox(new KMSClient({}), kmsKey);
  }
  return createOperator({ tableName: target.table, secrets: box, ...keys });
}

async function withOperator<T>(operator: Operator, use: (operator: Operator) => Promise<T>): Promise<T> {
  try {
    return await use(operator);
  } finally {
    operator.close();
  }
}

function role(value: string | undefined): Role {
  if (value === undefined) return 'member';
  if (value !== 'admin' && value !== 'member')
    throw new UsageError('--role must be admin or member', { role: ['must be admin or member'] });
  return value;
}

async function run(positionals: string[], values: Values, io: Io): Promise<void> {
  const [command, sub, ...rest] = positionals;
  const print = (json: unknown, human: string): void => io.out(values.json ? `${JSON.stringify(json)}\n` : `${human}\n`);

  if (command === 'org' && rest.length === 0) {
    if (sub === 'create') {
      const name = need(values.name, 'name');
      const admins = values.admin ?? [];
      if (admins.length === 0) throw new UsageError('at least one --admin <email> is required', { admin: ['is required'] });
      const target = resolveTarget(values, io);
      const result = await withOperator(operatorFor(target, 'needed', values, io), (operator) =>
        operator.organizations.create({ name, admins, ...(values.id ? { id: values.id } : {}) }),
      );
      print(
        result,
        [
          `Created organization ${result.organization.id} ("${result.organization.name}") with admin(s) ${admins.join(', ')}.`,
          `First API key ${result.api_key.id}:`,
          '',
          `  ${result.api_key.value}`,
          '',
          'Store it now: it will not be shown again here (an admin can reveal it through the management API).',
        ].join('\n'),
      );
      return;
    }
    if (sub === 'add-member') {
      const org = need(values.org, 'org');
      const email = need(values.email, 'email');
      const memberRole = role(values.role);
      const target = resolveTarget(values, io);
      const member = await withOperator(operatorFor(target, 'unused', values, io), (operator) =>
        operator.organizations.addMember(org, email, memberRole),
      );
      print(
        { member: { organization_id: member.organizationId, email: member.email, role: member.role } },
        `${member.email} is now ${member.role === 'admin' ? 'an admin' : 'a member'} of ${member.organizationId}.`,
      );
      return;
    }
    if (sub === 'remove-member') {
      const org = need(values.org, 'org');
      const email = need(values.email, 'email');
      const target = resolveTarget(values, io);
      const removed = await withOperator(operatorFor(target, 'unused', values, io), (operator) =>
        operator.organizations.removeMember(org, email),
      );
      print({ removed }, removed ? `Removed ${email} from ${org}.` : `${email} was not a member of ${org}.`);
      return;
    }
  }

  if (command === 'migrate' && sub === undefined) {
    const target = resolveTarget(values, io);
    const result = await withOperator(operatorFor(target, 'unused', values, io), (operator) => operator.migrate());
    const { written, removed } = result.memberships;
    print(result, `Memberships: ${written} written, ${removed} removed (the rest were up to date).`);
    return;
  }

  if (command === 'token' && sub === undefined) {
    const email = need(values.email, 'email');
    if (values.table ?? io.env.KEYWARD_TABLE)
      throw new UsageError('token works with the local stack only (it mints dev JWTs); drop --table');
    const target = resolveTarget(values, io);
    if (target.mode !== 'local') throw new UsageError('token works with the local stack only');
    const issuer = await createDevIssuer({ stateDir: target.stateDir, issuer: target.runtime.issuer, audience: target.runtime.audience });
    const token = await issuer.mint({ email });
    print({ token }, token);
    return;
  }

  throw new UsageError(`unknown command: ${positionals.join(' ') || '(none)'}\n\n${USAGE}`);
}

/** Runs the CLI; returns the exit code (0 ok, 1 error, 2 usage or validation error). */
export async function main(argv: string[], io: Io = defaultIo()): Promise<number> {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    io.err(`keyward: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.values.help || parsed.positionals.length === 0) {
    (parsed.values.help ? io.out : io.err)(USAGE);
    return parsed.values.help ? 0 : 2;
  }
  try {
    await run(parsed.positionals, parsed.values, io);
    return 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof ValidationFailed) {
      const details = error instanceof ValidationFailed ? error.details : error.details;
      io.err(`keyward: ${error instanceof ValidationFailed ? 'invalid input' : error.message}\n`);
      for (const [field, reasons] of Object.entries(details ?? {})) io.err(`  ${field}: ${reasons.join('; ')}\n`);
      return 2;
    }
    if (error instanceof DomainError) {
      io.err(`keyward: ${error.code}${error.message ? `: ${error.message}` : ''}\n`);
      return 1;
    }
    io.err(`keyward: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
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
