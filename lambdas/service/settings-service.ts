import { monotonicFactory } from 'ulid';
import { checkVersion, type ExpectedVersions } from '../domain/api-key';
import type { Actor, AuditEvent } from '../domain/audit-event';
import type { Clock } from '../domain/clock';
import { OrganizationNotFound } from '../domain/errors';
import {
  type OrganizationSettings,
  type SettingsChanges as StoredChanges,
  sortReminderDays,
  type VersionedSettings,
} from '../domain/expiry';
import { DEFAULT_LEAKED_KEY_ACTION, type LeakedKeyAction } from '../domain/leak';
import type { KeyStore } from '../domain/ports';
import { retryOnConflict } from '../domain/retry-on-conflict';

/** The settings object of the API (API.md §8). */
export interface OrganizationSettingsView {
  max_key_lifetime_days: number | null;
  expiry_reminder_days: number[];
  leaked_key_action: LeakedKeyAction;
}

/** The settings and the version their `ETag` carries. */
export interface VersionedSettingsView {
  settings: OrganizationSettingsView;
  version: number;
}

/** A PATCH of the settings: the fields given replace the current ones. */
export interface SettingsChanges {
  max_key_lifetime_days?: number | null;
  expiry_reminder_days?: number[];
  leaked_key_action?: LeakedKeyAction;
}

function toView(settings: OrganizationSettings): OrganizationSettingsView {
  return {
    max_key_lifetime_days: settings.maxKeyLifetimeDays,
    expiry_reminder_days: [...settings.expiryReminderDays],
    leaked_key_action: settings.leakedKeyAction ?? DEFAULT_LEAKED_KEY_ACTION,
  };
}

/**
 * An organization's key policy (`GET/PATCH /v1/organizations/{organization_id}/settings`): the
 * maximum lifetime of new keys and the reminder marks. A change is audited
 * (`organization.settings_updated`, with the settings before and after); keys that exist keep
 * their expiry.
 */
export class SettingsService {
  private readonly newId: () => string;

  constructor(
    private readonly store: KeyStore,
    private readonly clock: Clock,
    newId?: () => string,
  ) {
    const ulid = monotonicFactory();
    this.newId = newId ?? (() => ulid(clock.now().getTime()));
  }

  async get(organizationId: string): Promise<VersionedSettingsView> {
    const current = await this.load(organizationId);
    return { settings: toView(current), version: current.version };
  }

  /**
   * Writes only the fields the PATCH names that differ from the settings as read, conditioned on
   * their version (API.md §8: the same concurrency as keys): with `If-Match` (`expected`) a change
   * since is a 412; without, a lost race starts again from a fresh read, so two PATCHes of
   * different fields both stick and each event's `previous` is exactly what it replaced.
   */
  async update(
    organizationId: string,
    actor: Actor,
    changes: SettingsChanges,
    expected?: ExpectedVersions,
  ): Promise<VersionedSettingsView> {
    return retryOnConflict(async () => {
      const current = await this.load(organizationId);
      checkVersion(current, expected);
      const named: StoredChanges = {};
      if (changes.max_key_lifetime_days !== undefined && changes.max_key_lifetime_days !== current.maxKeyLifetimeDays) {
        named.maxKeyLifetimeDays = changes.max_key_lifetime_days;
      }
      if (changes.expiry_reminder_days !== undefined) {
        const days = sortReminderDays(changes.expiry_reminder_days);
        if (JSON.stringify(days) !== JSON.stringify(current.expiryReminderDays)) named.expiryReminderDays = days;
      }
      if (changes.leaked_key_action !== undefined && changes.leaked_key_action !== (current.leakedKeyAction ?? DEFAULT_LEAKED_KEY_ACTION)) {
        named.leakedKeyAction = changes.leaked_key_action;
      }
      const before = toView(current);
      if (Object.keys(named).length === 0) return { settings: before, version: current.version };
      const after = toView({ ...current, ...named });
      const event: AuditEvent = {
        id: this.newId(),
        organizationId,
        type: 'organization.settings_updated',
        occurredAt: this.clock.now().toISOString(),
        actor,
        apiKeyId: null,
        details: { ...after, previous: before },
      };
      const version = await this.store.updateSettings({ organizationId, version: current.version, changes: named, event });
      return { settings: after, version };
    });
  }

  private async load(organizationId: string): Promise<VersionedSettings> {
    const settings = await this.store.getSettings(organizationId);
    if (!settings) throw new OrganizationNotFound();
    return settings;
  }
}
