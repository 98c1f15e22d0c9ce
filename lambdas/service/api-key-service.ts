import { monotonicFactory } from 'ulid';
import {
  type ApiKeyView,
  type ApiKeyWithValue,
  type RotationRequest,
  rotationExpiry,
  type StoredApiKey,
  toApiKeyView,
} from '../domain/api-key';
import { type Actor, type AuditEvent, type AuditEventType, type AuditEventView, keyEvent, toAuditEventView } from '../domain/audit-event';
import type { Clock } from '../domain/clock';
import { ApiKeyNotFound, RotationAlreadyScheduled } from '../domain/errors';
import { defaultPermissions, type Permissions } from '../domain/permissions';
import { type KeyStore, type Page, type PageRequest, type RetirementScheduler, type SecretBox, StaleState } from '../domain/ports';
import { generateToken, hashToken, maskToken } from '../domain/token';

export interface ApiKeyServiceDeps {
  store: KeyStore;
  secrets: SecretBox;
  clock: Clock;
  /** Required for scheduled rotations; without it only instant rotation is possible. */
  scheduler?: RetirementScheduler;
  keyPrefix: string;
  catalog: readonly string[];
  /** Sortable unique ids (ULID by default); injectable for tests. */
  newId?: () => string;
}

export interface KeyInput {
  name?: string | null;
  permissions?: Permissions;
}

/** How many times a change is re-read and retried when a concurrent change won the race. */
const MAX_ATTEMPTS = 5;

/**
 * The management use cases (API.md §3). Handlers parse and authorize, then call one method here;
 * the invariants themselves are enforced by the store's conditional transactions.
 */
export class ApiKeyService {
  private readonly newId: () => string;

  constructor(private readonly deps: ApiKeyServiceDeps) {
    const ulid = monotonicFactory();
    this.newId = deps.newId ?? (() => ulid(deps.clock.now().getTime()));
  }

  async list(organizationId: string, page: PageRequest): Promise<Page<ApiKeyView>> {
    const result = await this.deps.store.listKeys(organizationId, page);
    return { items: result.items.map(toApiKeyView), nextCursor: result.nextCursor };
  }

  async get(organizationId: string, apiKeyId: string): Promise<ApiKeyView> {
    return toApiKeyView(await this.load(organizationId, apiKeyId));
  }

  async create(organizationId: string, actor: Actor, input: KeyInput): Promise<ApiKeyWithValue> {
    const { key, value } = await this.mint(organizationId, {
      name: input.name ?? null,
      permissions: input.permissions ?? defaultPermissions(this.deps.catalog),
    });
    await this.deps.store.createKey(key, this.event('api_key.created', key, actor, { permissions: key.permissions }));
    return { ...toApiKeyView(key), value };
  }

  async reveal(organizationId: string, actor: Actor, apiKeyId: string): Promise<ApiKeyWithValue> {
    const key = await this.load(organizationId, apiKeyId);
    const value = await this.deps.secrets.decrypt(key.encryptedToken, secretContext(key));
    await this.deps.store.appendAuditEvent(this.event('api_key.revealed', key, actor));
    return { ...toApiKeyView(key), value };
  }

  async update(organizationId: string, actor: Actor, apiKeyId: string, input: KeyInput): Promise<ApiKeyView> {
    return this.retrying(async () => {
      const current = await this.load(organizationId, apiKeyId);
      const changes: Record<string, unknown> = {};
      if (input.name !== undefined && input.name !== current.name) changes.name = input.name;
      if (input.permissions !== undefined && !samePermissions(input.permissions, current.permissions)) {
        changes.permissions = input.permissions;
      }
      if (Object.keys(changes).length === 0) return toApiKeyView(current);
      const updated: StoredApiKey = { ...current, ...changes };
      await this.deps.store.updateKey(updated, this.event('api_key.updated', updated, actor, { changes }));
      return toApiKeyView(updated);
    });
  }

  async rotate(
    organizationId: string,
    actor: Actor,
    apiKeyId: string,
    request: RotationRequest,
  ): Promise<{ api_key: ApiKeyWithValue; rotated_api_key: ApiKeyView }> {
    const now = this.deps.clock.now();
    const expiry = rotationExpiry(request, now);
    const expiresAt = expiry?.toISOString() ?? null;
    if (expiresAt !== null && !this.deps.scheduler) {
      throw new Error('scheduled rotation needs a RetirementScheduler');
    }
    return this.retrying(async () => {
      const old = await this.load(organizationId, apiKeyId);
      if (old.expiresAt !== null) throw new RotationAlreadyScheduled();
      const { key: next, value } = await this.mint(organizationId, { name: old.name, permissions: old.permissions });
      const event = this.event('api_key.rotated', old, actor, {
        new_api_key_id: next.id,
        new_masked_value: next.maskedValue,
        expires_at: expiresAt ?? now.toISOString(),
      });
      if (expiresAt !== null) {
        // Schedule first: a job whose rotation never committed finds no matching expiry and does
        // nothing, whereas a committed rotation without its job would rely on the TTL alone.
        await this.deps.scheduler!.scheduleRetirement({ organizationId, apiKeyId: old.id, expiresAt });
      }
      await this.deps.store.rotateKey({ old, next, expiresAt, event });
      return {
        api_key: { ...toApiKeyView(next), value },
        rotated_api_key: toApiKeyView({ ...old, expiresAt: expiresAt ?? now.toISOString() }),
      };
    });
  }

  async delete(organizationId: string, actor: Actor, apiKeyId: string): Promise<ApiKeyView> {
    return this.retrying(async () => {
      const key = await this.load(organizationId, apiKeyId);
      await this.deps.store.deleteKey(key, this.event('api_key.deleted', key, actor));
      return toApiKeyView(key);
    });
  }

  async listAuditEvents(organizationId: string, page: PageRequest): Promise<Page<AuditEventView>> {
    const result = await this.deps.store.listAuditEvents(organizationId, page);
    return { items: result.items.map(toAuditEventView), nextCursor: result.nextCursor };
  }

  /** A new key record and its plaintext token (returned once, never stored in clear). */
  async mint(
    organizationId: string,
    fields: { name: string | null; permissions: Permissions },
  ): Promise<{ key: StoredApiKey; value: string }> {
    const id = this.newId();
    const value = generateToken(this.deps.keyPrefix);
    const key: StoredApiKey = {
      id,
      organizationId,
      name: fields.name,
      maskedValue: maskToken(value),
      permissions: fields.permissions,
      createdAt: this.deps.clock.now().toISOString(),
      expiresAt: null,
      lastUsedAt: null,
      tokenHash: hashToken(value),
      encryptedToken: await this.deps.secrets.encrypt(value, { organization_id: organizationId, api_key_id: id }),
    };
    return { key, value };
  }

  /** An audit event for `key`; always names the key so an email can describe it after it is gone. */
  event(type: AuditEventType, key: StoredApiKey, actor: Actor, details: Record<string, unknown> = {}): AuditEvent {
    return keyEvent({ id: this.newId(), type, key, actor, at: this.deps.clock.now(), details });
  }

  private async load(organizationId: string, apiKeyId: string): Promise<StoredApiKey> {
    const key = await this.deps.store.getKey(organizationId, apiKeyId);
    if (!key) throw new ApiKeyNotFound();
    return key;
  }

  private async retrying<T>(attempt: () => Promise<T>): Promise<T> {
    for (let i = 1; ; i++) {
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof StaleState) || i >= MAX_ATTEMPTS) throw error;
      }
    }
  }
}

export function secretContext(key: Pick<StoredApiKey, 'organizationId' | 'id'>) {
  return { organization_id: key.organizationId, api_key_id: key.id };
}

function samePermissions(a: Permissions, b: Permissions): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
