import { type Command, Option } from 'commander';
import { allowedIpsSchema } from '../../lambdas/domain/allowed-ips';
import { EXPIRES_IN, type ExpiresIn } from '../../lambdas/domain/api-key';
import { ValidationFailed } from '../../lambdas/domain/errors';
import { usageQuerySchema } from '../../lambdas/http/schemas';
import { parseWith } from '../../lambdas/http/validation';
import { allKeys, type CommandKit, collect, organizationOf } from './command-kit';
import { operatorActor, UsageError } from './target';
import { keyTable, newKeyText, shown, usageTable, withoutVersion } from './text';

/** `keyward keys …` and `keyward usage`: an organization's API keys and what they were used for. */
export function addKeyCommands(program: Command, { sub, action }: CommandKit): void {
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
}
