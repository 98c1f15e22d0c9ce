import { monotonicFactory } from 'ulid';
import { type AllowedIps, sameAllowedIps } from '../domain/allowed-ips';
import {
  type ApiKeyView,
  type ApiKeyWithValue,
  checkChangeable,
  checkRotation,
  checkVersion,
  type ExpectedVersions,
  type Expiry,
  expirySourceOf,
  FIRST_VERSION,
  type KeyChanges,
  landingDeadline,
  type RotationRequest,
  rotationExpiry,
  type StoredApiKey,
  toApiKeyView,
  type Versioned,
} from '../domain/api-key';
import { type Actor, type AuditEvent, type AuditEventType, type AuditEventView, keyEvent, toAuditEventView } from '../domain/audit-event';
import type { Clock } from '../domain/clock';
import { ApiKeyNotFound } from '../domain/errors';
import {
  DEFAULT_SETTINGS,
  type KeyExpiryRequest,
  newKeyExpiry,
  type OrganizationSettings,
  patchedExpiry,
  requestedExpiry,
} from '../domain/expiry';
import type { LeakRecord } from '../domain/leak';
import { defaultPermissions, type Permissions } from '../domain/permissions';
import type { KeyStore, Page, PageRequest, RetirementScheduler, SecretBox } from '../domain/ports';
import { retryOnConflict } from '../domain/retry-on-conflict';
import { generateToken, hashToken, maskToken } from '../domain/token';
import { type ExpiryJobSet, ExpiryJobs } from './expiry-jobs';

export interface ApiKeyServiceDeps {
  store: KeyStore;
  secrets: SecretBox;
  clock: Clock;
  /**
   * Required for scheduled rotations and expiring keys; without it only instant rotation is
   * possible, and a key the lifetime policy makes expire gets no jobs (the authorizer still refuses
   * it at its expiry). Whatever ends an expiry removes its jobs through it, when there is one.
   */
  scheduler?: RetirementScheduler;
  keyPrefix: string;
  catalog: readonly string[];
  /** Sortable unique ids (ULID by default); injectable for tests. */
  newId?: () => string;
}

/**
 * Why a rotation happens when it is not an admin's request: the event to write instead of
 * `api_key.rotated`, and a leak to record with it (API.md §10), given the old key as the
 * committing attempt read it and the new key.
 */
export type RotationCause = (old: StoredApiKey, next: StoredApiKey) => { event: AuditEvent; leak?: LeakRecord };

export interface KeyInput {
  name?: string | null;
  permissions?: Permissions;
  allowed_ips?: AllowedIps;
}

/** A create: the fields, and at most one of `expires_in` / `expires_at` (API.md §8). */
export interface NewKeyInput extends KeyInput, KeyExpiryRequest {}

/** A PATCH: the fields to change; `expires_at` null clears the key's own expiry. */
export interface KeyUpdateInput extends KeyInput {
  expires_at?: string | null;
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
  private readonly jobs: ExpiryJobs;

  constructor(private readonly deps: ApiKeyServiceDeps) {
    const ulid = monotonicFactory();
    this.newId = deps.newId ?? (() => ulid(deps.clock.now().getTime()));
    this.jobs = new ExpiryJobs(deps.scheduler, this.newId);
  }

  async list(organizationId: string, page: PageRequest): Promise<Page<ApiKeyView>> {
    const result = await this.deps.store.listKeys(organizationId, page);
    return { items: result.items.map(toApiKeyView), nextCursor: result.nextCursor };
  }

  async get(organizationId: string, apiKeyId: string): Promise<Versioned<ApiKeyView>> {
    return versioned(await this.load(organizationId, apiKeyId));
  }

  /**
   * A key that expires when asked to, or when the organization's lifetime policy says; its jobs
   * (retirement, reminders) are created once the rules pass and removed when the key is refused.
   */
  async create(organizationId: string, actor: Actor, input: NewKeyInput): Promise<Versioned<ApiKeyWithValue>> {
    const now = this.deps.clock.now();
    const settings = await this.settingsOf(organizationId);
    const expiry = newKeyExpiry(requestedExpiry(input, now), now, settings);
    // The key is created at the instant its expiry was judged at: a policy expiry is exactly `created_at + max`.
    const minted = await this.mint(
      organizationId,
      {
        name: input.name ?? null,
        permissions: input.permissions ?? defaultPermissions(this.deps.catalog),
        allowedIps: input.allowed_ips ?? null,
      },
      now,
    );
    const key = expiry ? await this.jobs.attach(minted.key, expiry, settings) : minted.key;
    const event = this.event('api_key.created', key, actor, {
      permissions: key.permissions,
      ...(key.allowedIps ? { allowed_ips: key.allowedIps } : {}),
      ...(key.expiresAt ? { expires_at: key.expiresAt } : {}),
    });
    await this.jobs.undoUnlessCommitted([key], 'create refused', () => this.deps.store.createKey(key, event));
    return versioned(key, minted.value);
  }

  /** The organization's key policy; defaults for an organization that does not exist (its change is refused later). */
  private async settingsOf(organizationId: string): Promise<OrganizationSettings> {
    return (await this.deps.store.getSettings(organizationId)) ?? DEFAULT_SETTINGS;
  }

  async reveal(organizationId: string, actor: Actor, apiKeyId: string): Promise<Versioned<ApiKeyWithValue>> {
    const key = await this.load(organizationId, apiKeyId);
    const value = await this.deps.secrets.decrypt(key.encryptedToken, secretContext(key));
    await this.deps.store.appendAuditEvent(this.event('api_key.revealed', key, actor));
    return versioned(key, value);
  }

  /**
   * Changes only the fields of `input` that differ from the key as it is; unchanged, no event. A
   * new expiry gets its jobs before the transaction; the previous expiry's jobs go once it commits.
   */
  async update(
    organizationId: string,
    actor: Actor,
    apiKeyId: string,
    input: KeyUpdateInput,
    expected?: ExpectedVersions,
  ): Promise<Versioned<ApiKeyView>> {
    return retryOnConflict(async () => {
      const current = await this.load(organizationId, apiKeyId);
      checkVersion(current, expected);
      // The old key of a pending rotation is frozen, an expired key is over (API.md §3, §8); the
      // transaction checks both again at the instant it writes.
      checkChangeable(current, this.deps.clock.now());
      const changes: KeyChanges = {};
      if (input.name !== undefined && input.name !== current.name) changes.name = input.name;
      if (input.permissions !== undefined && !samePermissions(input.permissions, current.permissions)) {
        changes.permissions = input.permissions;
      }
      if (input.allowed_ips !== undefined && !sameAllowedIps(input.allowed_ips, current.allowedIps ?? null)) {
        changes.allowedIps = input.allowed_ips;
      }
      const settings = input.expires_at === undefined ? DEFAULT_SETTINGS : await this.settingsOf(organizationId);
      const patched =
        input.expires_at === undefined ? undefined : patchedExpiry(current, input.expires_at, this.deps.clock.now(), settings);
      if (Object.keys(changes).length === 0 && patched === undefined) return versioned(current);
      let created: StoredApiKey | undefined;
      if (patched?.expiresAt) {
        created = await this.jobs.attach(current, { expiresAt: patched.expiresAt, expirySource: 'request' }, settings);
        changes.expiry = expiryOf(created);
      } else if (patched) {
        changes.expiry = { expiresAt: null, expirySource: null, retirementJobId: null, reminderMarks: [] };
      }
      const { expiry, allowedIps, ...named } = changes;
      const event = this.event('api_key.updated', { ...current, ...named }, actor, {
        changes: {
          ...named,
          ...(allowedIps !== undefined ? { allowed_ips: allowedIps } : {}),
          ...(expiry ? { expires_at: expiry.expiresAt } : {}),
        },
      });
      const updated = await this.jobs.undoUnlessCommitted(created ? [created] : [], 'update refused', () =>
        this.deps.store.updateKey({ key: current, changes, event, landsBy: landingDeadline(this.deps.clock.now()).toISOString() }),
      );
      if (expiry) await this.jobs.cancel(current, 'expiry changed');
      return versioned(updated);
    });
  }

  /**
   * The new key copies name, permissions and allowlist from the old key as read by the attempt that commits
   * (the transaction is conditioned on that read's version), and gets the lifetime policy's expiry
   * if there is one. A scheduled rotation stops the old key at the requested time, or at its own
   * expiry if that comes first. Each attempt creates the jobs of what it writes once the rules
   * pass, before its transaction (so no committed rotation is ever without its jobs), and removes
   * them again when the store refuses it; the old key's previous jobs go once it commits.
   */
  async rotate(
    organizationId: string,
    actor: Actor,
    apiKeyId: string,
    request: RotationRequest,
    expected?: ExpectedVersions,
    because?: RotationCause,
  ): Promise<{ api_key: Versioned<ApiKeyWithValue>; rotated_api_key: ApiKeyView }> {
    const now = this.deps.clock.now();
    const rotationAt = rotationExpiry(request, now);
    if (rotationAt !== null && !this.jobs.available) {
      throw new Error('scheduled rotation needs a RetirementScheduler');
    }
    // One token per request (one encryption, once the rules pass); each attempt gives the new key
    // the fields it just read.
    let minted: { key: StoredApiKey; value: string } | undefined;
    return retryOnConflict(async () => {
      const [old, keyCount, settings] = await Promise.all([
        this.load(organizationId, apiKeyId),
        rotationAt ? this.deps.store.keyCount(organizationId) : Promise.resolve(null),
        this.settingsOf(organizationId),
      ]);
      checkVersion(old, expected);
      checkRotation(old, keyCount ?? null, this.deps.clock.now());
      const expiresAt = rotationAt === null ? null : earlier(rotationAt.toISOString(), old.expiresAt);
      const copied = { name: old.name, permissions: old.permissions, allowedIps: old.allowedIps ?? null };
      minted ??= await this.mint(organizationId, copied);
      const policy = newKeyExpiry(null, new Date(minted.key.createdAt), settings);
      const fresh: StoredApiKey = { ...minted.key, ...copied };
      const next = policy ? await this.jobs.attach(fresh, policy, settings) : fresh;
      const created: ExpiryJobSet[] = [next];
      let pendingOld: StoredApiKey | undefined;
      try {
        if (expiresAt !== null) {
          pendingOld = await this.jobs.attach({ ...old, expirySource: 'rotation' }, { expiresAt, expirySource: 'rotation' }, settings);
          created.push(pendingOld);
        }
      } catch (error) {
        await Promise.all(created.map((jobs) => this.jobs.cancel(jobs, 'rotation not scheduled')));
        throw error;
      }
      const cause = because?.(old, next);
      const event =
        cause?.event ??
        this.event('api_key.rotated', old, actor, {
          new_api_key_id: next.id,
          new_masked_value: next.maskedValue,
          expires_at: expiresAt ?? now.toISOString(),
        });
      await this.jobs.undoUnlessCommitted(created, 'rotation refused', () =>
        this.deps.store.rotateKey({
          old,
          next,
          expiresAt,
          retirementJobId: pendingOld?.retirementJobId ?? null,
          reminderMarks: pendingOld?.reminderMarks ?? [],
          event,
          landsBy: landingDeadline(this.deps.clock.now()).toISOString(),
          ...(cause?.leak ? { leak: cause.leak } : {}),
        }),
      );
      await this.jobs.cancel(old, 'key rotated');
      return {
        api_key: versioned(next, minted.value),
        rotated_api_key: toApiKeyView({ ...old, expiresAt: expiresAt ?? now.toISOString() }),
      };
    });
  }

  /**
   * Ends the old key of a pending scheduled rotation now, because it leaked (API.md §10): its
   * replacement exists already, so the rotation is superseded rather than repeated. Also a key
   * expiring within the landing margin, which no rotation may change any more. Written with
   * the leak's record and event; the pending retirement's jobs go once it commits.
   */
  async supersedeRotation(key: StoredApiKey, event: AuditEvent, leak: LeakRecord): Promise<void> {
    await this.deps.store.retireKey(key, event, leak);
    await this.jobs.cancel(key, 'key leaked');
  }

  async delete(organizationId: string, actor: Actor, apiKeyId: string, expected?: ExpectedVersions): Promise<Versioned<ApiKeyView>> {
    const key = await retryOnConflict(async () => {
      const current = await this.load(organizationId, apiKeyId);
      checkVersion(current, expected);
      await this.deps.store.deleteKey(current, this.event('api_key.deleted', current, actor));
      return current;
    });
    await this.jobs.cancel(key, 'key deleted');
    return versioned(key);
  }

  async listAuditEvents(organizationId: string, page: PageRequest): Promise<Page<AuditEventView>> {
    const result = await this.deps.store.listAuditEvents(organizationId, page);
    return { items: result.items.map(toAuditEventView), nextCursor: result.nextCursor };
  }

  /** A new key record and its plaintext token (returned once, never stored in clear). */
  async mint(
    organizationId: string,
    fields: { name: string | null; permissions: Permissions; allowedIps?: AllowedIps },
    createdAt: Date = this.deps.clock.now(),
  ): Promise<{ key: StoredApiKey; value: string }> {
    const id = this.newId();
    const value = generateToken(this.deps.keyPrefix);
    // The hot item names the organization's usage identifier, so API Gateway meters the key's requests (API.md §9).
    const usageIdentifier = (await this.deps.store.getUsageIdentifier(organizationId))?.value;
    const key: StoredApiKey = {
      id,
      organizationId,
      name: fields.name,
      maskedValue: maskToken(value),
      permissions: fields.permissions,
      allowedIps: fields.allowedIps ?? null,
      ...(usageIdentifier === undefined ? {} : { usageIdentifier }),
      createdAt: createdAt.toISOString(),
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
}

/** The key object of a stored key (with its token when given) and the version its ETag carries. */
function versioned(key: StoredApiKey): Versioned<ApiKeyView>;
function versioned(key: StoredApiKey, value: string): Versioned<ApiKeyWithValue>;
function versioned(key: StoredApiKey, value?: string): Versioned<ApiKeyView> {
  return { ...toApiKeyView(key), ...(value === undefined ? {} : { value }), version: key.version };
}

/** The expiry fields of a key. */
function expiryOf(key: StoredApiKey): Expiry {
  return {
    expiresAt: key.expiresAt,
    expirySource: expirySourceOf(key),
    retirementJobId: key.retirementJobId,
    reminderMarks: key.reminderMarks ?? [],
  };
}

/** The earlier of two instants (`b` may be absent). */
function earlier(a: string, b: string | null): string {
  return b !== null && Date.parse(b) < Date.parse(a) ? b : a;
}

export function secretContext(key: Pick<StoredApiKey, 'organizationId' | 'id'>) {
  return { organization_id: key.organizationId, api_key_id: key.id };
}

function samePermissions(a: Permissions, b: Permissions): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
