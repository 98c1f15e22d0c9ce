import type { ApiKeyWithValue } from '../domain/api-key';
import { toApiKeyView } from '../domain/api-key';
import type { Actor } from '../domain/audit-event';
import type { Clock } from '../domain/clock';
import { ValidationFailed } from '../domain/errors';
import { ORGANIZATION_ID_PATTERN } from '../domain/organization';
import { defaultPermissions } from '../domain/permissions';
import type { KeyStore, Member, Organization, Role, UsageIdentifiers } from '../domain/ports';
import { CONTROL_CHARACTERS_REASON, containsControlCharacters, escapeControlCharacters, isEmailAddress } from '../domain/text';
import { containsTokenShape } from '../domain/token';
import type { ApiKeyService } from './api-key-service';

/** `Acme Corp!` → `acme-corp`. */
export function slugify(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/, '');
}

export function normalizeEmail(email: string): string {
  const normalized = email.trim().toLowerCase();
  if (!isEmailAddress(normalized)) throw new ValidationFailed({ email: [`"${escapeControlCharacters(email)}" is not an email address`] });
  return normalized;
}

/**
 * What is wrong with an organization's display name: the rules of a key's name (API.md §3), as
 * an organization's name is shown in the same places (CLI tables, emails, the console's picker).
 */
function organizationNameProblems(name: string): string[] {
  const problems: string[] = [];
  if (containsControlCharacters(name)) problems.push(CONTROL_CHARACTERS_REASON);
  const length = [...name.trim()].length;
  if (length === 0 || length > 100) problems.push('must be 1 to 100 characters');
  if (containsTokenShape(name)) problems.push('must not contain an API key');
  return problems;
}

/**
 * How many admins an organization can be created with: the organization, its first key and every
 * admin (member item and membership item) are written in one transaction of at most 100 items.
 * More can be added afterwards, one by one.
 */
export const MAX_ADMINS_AT_CREATION = 48;

/** Organizations and their members: the operator use cases behind the `keyward` CLI (API.md §4), and `GET /v1/me`. */
export class OrganizationService {
  constructor(
    private readonly store: KeyStore,
    private readonly keys: ApiKeyService,
    private readonly clock: Clock,
    private readonly catalog: readonly string[],
    /** Where usage identifiers are made (API Gateway), with the plan a new organization starts on. @default none (locally) */
    private readonly usage?: { identifiers: UsageIdentifiers; defaultPlan: string },
  ) {}

  /**
   * Creates the organization, its admins and its first key (unnamed, default permissions); the
   * key's `api_key.created` event names `actor` (the operator through the CLI, keyward's seed).
   */
  async create(input: { name: string; id?: string; admins: string[]; actor?: Actor }): Promise<{
    organization: Pick<Organization, 'id' | 'name'>;
    api_key: ApiKeyWithValue;
  }> {
    const name = input.name.trim();
    const id = input.id ?? slugify(name);
    const errors: Record<string, string[]> = {};
    const nameProblems = organizationNameProblems(input.name);
    if (nameProblems.length > 0) errors.name = nameProblems;
    if (!ORGANIZATION_ID_PATTERN.test(id)) errors.id = ['must be 1 to 64 of a-z, 0-9 and "-", not starting or ending with "-"'];
    if (input.admins.length === 0) errors.admin = ['at least one admin is required'];
    if (Object.keys(errors).length > 0) throw new ValidationFailed(errors);
    const admins = [...new Set(input.admins.map(normalizeEmail))];
    if (admins.length > MAX_ADMINS_AT_CREATION) {
      throw new ValidationFailed({ admin: [`at most ${MAX_ADMINS_AT_CREATION} at creation; add more with add-member`] });
    }

    const organization: Organization = { id, name, createdAt: this.clock.now().toISOString() };
    const members: Member[] = admins.map((email) => ({ organizationId: id, email, role: 'admin' }));
    const { key, value } = await this.keys.mint(id, { name: null, permissions: defaultPermissions(this.catalog) });
    const event = this.keys.event('api_key.created', key, input.actor ?? { type: 'system' }, { permissions: key.permissions });
    await this.store.createOrganization({ organization, members, firstKey: key, event });
    // Its usage identifier, in the default plan's usage plan (API.md §9); its first key's hot item gets it too.
    // Interrupted here, `keyward migrate` makes it.
    if (this.usage) await this.store.setUsageIdentifier(id, await this.usage.identifiers.create(id, this.usage.defaultPlan));
    return { organization: { id, name }, api_key: { ...toApiKeyView(key), value } };
  }

  async addMember(organizationId: string, email: string, role: Role): Promise<Member> {
    const member: Member = { organizationId, email: normalizeEmail(email), role };
    await this.store.putMember(member);
    return member;
  }

  async removeMember(organizationId: string, email: string): Promise<boolean> {
    return this.store.removeMember(organizationId, normalizeEmail(email));
  }

  /** The organizations `email` belongs to, with its role in each (`GET /v1/me`). */
  async membershipsOf(email: string): Promise<{ id: string; name: string; role: Role }[]> {
    const memberships = await this.store.listMemberships(email.trim().toLowerCase());
    return memberships.map(({ organizationId, organizationName, role }) => ({ id: organizationId, name: organizationName, role }));
  }
}
