import { type Command, Option } from 'commander';
import type { Role } from '../../lambdas/domain/ports';
import { allKeys, type CommandKit, collect, organizationOf } from './command-kit';
import { operatorActor } from './target';
import { keyTable, newKeyText, shown, table } from './text';

/** `keyward org …`: organizations and their members. */
export function addOrgCommands(program: Command, { sub, action }: CommandKit): void {
  const org = sub(program, 'org', 'organizations and their members');

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
}
