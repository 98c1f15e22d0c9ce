import { monotonicFactory } from 'ulid';
import {
  type ApiKeyView,
  type ApiKeyWithValue,
  checkRotation,
  checkVersion,
  type ExpectedVersions,
  FIRST_VERSION,
  type KeyChanges,
  type RotationRequest,
  rotationExpiry,
  type StoredApiKey,
  toApiKeyView,
  type Versioned,
} from '../domain/api-key';
import { type Actor, type AuditEvent, type AuditEventType, type AuditEventView, keyEvent, toAuditEventView } from '../domain/audit-event';
import type { Clock } from '../domain/clock';
import { ApiKeyNotFound, DomainError } from '../domain/errors';
import { defaultPermissions, type Permissions } from '../domain/permissions';
import {
  type KeyStore,
  type Page,
  type PageRequest,
  type RetirementJob,
  type RetirementScheduler,
  type SecretBox,
  StaleState,
} from '../domain/ports';
import { retryOnConflict } from '../domain/retry-on-conflict';
import { generateToken, hashToken, maskToken } from '../domain/token';
import { logger } from '../runtime/logger';

export interface ApiKeyServiceDeps {
  store: KeyStore;
  secrets: SecretBox;
  clock: Clock;
  /**
   * Required for scheduled rotations; without it only instant rotation is possible. Deleting a
   * key with a pending expiry also removes its job through it, when there is one.
   */
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

/**
 * The management use cases (API.md §3). Handlers parse and authorize, then call one method here;
 * the invariants themselves are enforced by the store's conditional transactions. Every change
 * reads the key, checks the client's `If-Match` (`expected`) and the rules against what it read,
 * and writes conditioned on the version it read; when a concurrent change wins the race, it starts
 * again from a fresh read (so without `If-Match` nothing is lost, and with it the client gets 412).
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

  async get(organizationId: string, apiKeyId: string): Promise<Versioned<ApiKeyView>> {
    return versioned(await this.load(organizationId, apiKeyId));
  }

  async create(organizationId: string, actor: Actor, input: KeyInput): Promise<Versioned<ApiKeyWithValue>> {
    const { key, value } = await this.mint(organizationId, {
      name: input.name ?? null,
      permissions: input.permissions ?? defaultPermissions(this.deps.catalog),
    });
    await this.deps.store.createKey(key, this.event('api_key.created', key, actor, { permissions: key.permissions }));
    return versioned(key, value);
  }

  async reveal(organizationId: string, actor: Actor, apiKeyId: string): Promise<Versioned<ApiKeyWithValue>> {
    const key = await this.load(organizationId, apiKeyId);
    const value = await this.deps.secrets.decrypt(key.encryptedToken, secretContext(key));
    await this.deps.store.appendAuditEvent(this.event('api_key.revealed', key, actor));
    return versioned(key, value);
  }

  /** Changes only the fields of `input` that differ from the key as it is; unchanged, no event. */
  async update(
    organizationId: string,
    actor: Actor,
    apiKeyId: string,
    input: KeyInput,
    expected?: ExpectedVersions,
  ): Promise<Versioned<ApiKeyView>> {
    return retryOnConflict(async () => {
      const current = await this.load(organizationId, apiKeyId);
      checkVersion(current, expected);
      const changes: KeyChanges = {};
      if (input.name !== undefined && input.name !== current.name) changes.name = input.name;
      if (input.permissions !== undefined && !samePermissions(input.permissions, current.permissions)) {
        changes.permissions = input.permissions;
      }
      if (Object.keys(changes).length === 0) return versioned(current);
      const event = this.event('api_key.updated', { ...current, ...changes }, actor, { changes });
      return versioned(await this.deps.store.updateKey({ key: current, changes, event }));
    });
  }

  /**
   * The new key copies name and permissions from the old key as read by the attempt that commits
   * (the transaction is conditioned on that read's version). A scheduled rotation creates its
   * retirement job only once the rules pass, before the transaction (so no committed rotation is
   * ever without its job), and removes it again when the transaction does not commit.
   */
  async rotate(
    organizationId: string,
    actor: Actor,
    apiKeyId: string,
    request: RotationRequest,
    expected?: ExpectedVersions,
  ): Promise<{ api_key: Versioned<ApiKeyWithValue>; rotated_api_key: ApiKeyView }> {
    const now = this.deps.clock.now();
    const expiry = rotationExpiry(request, now);
    const expiresAt = expiry?.toISOString() ?? null;
    const { scheduler } = this.deps;
    if (expiresAt !== null && !scheduler) {
      throw new Error('scheduled rotation needs a RetirementScheduler');
    }
    // One token per request (one encryption, once the rules pass); each attempt gives the new key
    // the fields it just read.
    let minted: { key: StoredApiKey; value: string } | undefined;
    const plannedJob: RetirementJob | null = expiresAt === null ? null : { organizationId, apiKeyId, expiresAt, id: this.newId() };
    let job: RetirementJob | null = null;
    let maybeCommitted = false;
    try {
      return await retryOnConflict(async () => {
        const [old, keyCount] = await Promise.all([
          this.load(organizationId, apiKeyId),
          plannedJob ? this.deps.store.keyCount(organizationId) : Promise.resolve(null),
        ]);
        checkVersion(old, expected);
        checkRotation(old, keyCount ?? null);
        minted ??= await this.mint(organizationId, { name: old.name, permissions: old.permissions });
        const next: StoredApiKey = { ...minted.key, name: old.name, permissions: old.permissions };
        const event = this.event('api_key.rotated', old, actor, {
          new_api_key_id: next.id,
          new_masked_value: next.maskedValue,
          expires_at: expiresAt ?? now.toISOString(),
        });
        if (plannedJob && !job) {
          job = plannedJob;
          await scheduler!.scheduleRetirement(job);
        }
        try {
          await this.deps.store.rotateKey({ old, next, expiresAt, retirementJobId: job?.id ?? null, event });
        } catch (error) {
          maybeCommitted = !isRefusal(error);
          throw error;
        }
        return {
          api_key: versioned(next, minted.value),
          rotated_api_key: toApiKeyView({ ...old, expiresAt: expiresAt ?? now.toISOString() }),
        };
      });
    } catch (error) {
      // A failure the store did not explain (a timeout, an outage) may hide a committed rotation,
      // which must keep its job; a job of a rotation that never committed does nothing when it runs.
      if (job && !maybeCommitted) await this.cancelJob(job, 'rotation refused');
      throw error;
    }
  }

  async delete(organizationId: string, actor: Actor, apiKeyId: string, expected?: ExpectedVersions): Promise<Versioned<ApiKeyView>> {
    const key = await retryOnConflict(async () => {
      const current = await this.load(organizationId, apiKeyId);
      checkVersion(current, expected);
      await this.deps.store.deleteKey(current, this.event('api_key.deleted', current, actor));
      return current;
    });
    if (key.expiresAt !== null && this.deps.scheduler) {
      await this.cancelJob(
        { organizationId, apiKeyId, expiresAt: key.expiresAt, ...(key.retirementJobId ? { id: key.retirementJobId } : {}) },
        'key deleted',
      );
    }
    return versioned(key);
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
      version: FIRST_VERSION,
      retirementJobId: null,
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

  /**
   * Removes a job that belongs to no pending rotation. Best effort: a job left behind is harmless
   * (the retire function re-reads the key and does nothing), so a failure here is logged and never
   * turns the caller's answer into an error.
   */
  private async cancelJob(job: RetirementJob, reason: string): Promise<void> {
    try {
      await this.deps.scheduler!.cancelRetirement(job);
    } catch (error) {
      logger.warn('retirement job not removed; it will find nothing to retire', {
        reason,
        organization_id: job.organizationId,
        api_key_id: job.apiKeyId,
        expires_at: job.expiresAt,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}

/** The key object of a stored key (with its token when given) and the version its ETag carries. */
function versioned(key: StoredApiKey): Versioned<ApiKeyView>;
function versioned(key: StoredApiKey, value: string): Versioned<ApiKeyWithValue>;
function versioned(key: StoredApiKey, value?: string): Versioned<ApiKeyView> {
  return { ...toApiKeyView(key), ...(value === undefined ? {} : { value }), version: key.version };
}

/** The store refused the change: its transaction was cancelled, so nothing was written. */
function isRefusal(error: unknown): boolean {
  return error instanceof DomainError || error instanceof StaleState;
}

export function secretContext(key: Pick<StoredApiKey, 'organizationId' | 'id'>) {
  return { organization_id: key.organizationId, api_key_id: key.id };
}

function samePermissions(a: Permissions, b: Permissions): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
