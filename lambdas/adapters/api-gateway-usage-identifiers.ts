import { randomBytes } from 'node:crypto';
import {
  type APIGatewayClient,
  ConflictException,
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  DeleteUsagePlanKeyCommand,
  GetApiKeysCommand,
  NotFoundException,
} from '@aws-sdk/client-api-gateway';
import type { UsageIdentifier, UsageIdentifiers } from '../domain/ports';

/**
 * Usage identifiers as API Gateway API keys (API.md §9): one per organization, named
 * `<namePrefix><organization id>`, in the usage plan of the organization's plan. The value is
 * random and never printed; the authorizer names it as `usageIdentifierKey` from the hot item.
 * `usagePlanIds` maps each plan to its usage plan (the stack's `UsagePlanIds` output).
 */
export class ApiGatewayUsageIdentifiers implements UsageIdentifiers {
  constructor(
    private readonly client: APIGatewayClient,
    private readonly usagePlanIds: Readonly<Record<string, string>>,
    private readonly namePrefix: string,
  ) {}

  async create(organizationId: string, plan: string): Promise<UsageIdentifier> {
    const usagePlanId = this.usagePlanOf(plan);
    const name = `${this.namePrefix}${organizationId}`;
    // An interrupted earlier run may have created it: reuse it rather than leak a second key.
    const found = await this.client.send(new GetApiKeysCommand({ nameQuery: name, includeValues: true, limit: 500 }));
    const existing = (found.items ?? []).find((key) => key.name === name && key.id && key.value);
    const identifier = existing ? { id: existing.id!, value: existing.value! } : await this.newKey(name, organizationId);
    await this.addTo(usagePlanId, identifier.id);
    return identifier;
  }

  /**
   * Added to `to`'s usage plan first (so it is never in none while API Gateway allows two), then
   * removed from every other usage plan of the stage, not only the one the caller read (a
   * concurrent or interrupted move may have left it in any), then added again: API Gateway may
   * refuse a key two usage plans of the same API stage (a ConflictException, read as "already
   * there" by the first add), and the second add, once the others are gone, then makes it.
   */
  async move(identifier: UsageIdentifier, to: string): Promise<void> {
    const target = this.usagePlanOf(to);
    await this.addTo(target, identifier.id);
    for (const usagePlanId of new Set(Object.values(this.usagePlanIds))) {
      if (usagePlanId === target) continue;
      try {
        await this.client.send(new DeleteUsagePlanKeyCommand({ usagePlanId, keyId: identifier.id }));
      } catch (error) {
        if (!(error instanceof NotFoundException)) throw error;
      }
    }
    await this.addTo(target, identifier.id);
  }

  private async newKey(name: string, organizationId: string): Promise<UsageIdentifier> {
    const created = await this.client.send(
      new CreateApiKeyCommand({
        name,
        description: `keyward usage identifier of organization ${organizationId} (never used as a credential)`,
        enabled: true,
        value: randomBytes(30).toString('base64url'),
      }),
    );
    if (!created.id || !created.value) throw new Error(`API Gateway created the API key ${name} without an id or value`);
    return { id: created.id, value: created.value };
  }

  private async addTo(usagePlanId: string, keyId: string): Promise<void> {
    try {
      await this.client.send(new CreateUsagePlanKeyCommand({ usagePlanId, keyId, keyType: 'API_KEY' }));
    } catch (error) {
      // Already in that usage plan.
      if (!(error instanceof ConflictException)) throw error;
    }
  }

  private usagePlanOf(plan: string): string {
    const id = this.usagePlanIds[plan];
    if (!id)
      throw new Error(
        `no usage plan for the plan "${plan}" (the stack's UsagePlanIds output names ${Object.keys(this.usagePlanIds).join(', ') || 'none'})`,
      );
    return id;
  }
}
