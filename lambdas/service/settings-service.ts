import { monotonicFactory } from 'ulid';
import type { Actor, AuditEvent } from '../domain/audit-event';
import type { Clock } from '../domain/clock';
import { OrganizationNotFound } from '../domain/errors';
import { type OrganizationSettings, sortReminderDays } from '../domain/expiry';
import { DEFAULT_LEAKED_KEY_ACTION, type LeakedKeyAction } from '../domain/leak';
import type { KeyStore } from '../domain/ports';

/** The settings object of the API (API.md §8). */
export interface OrganizationSettingsView {
  max_key_lifetime_days: number | null;
  expiry_reminder_days: number[];
  leaked_key_action: LeakedKeyAction;
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

  async get(organizationId: string): Promise<OrganizationSettingsView> {
    return toView(await this.load(organizationId));
  }

  async update(organizationId: string, actor: Actor, changes: SettingsChanges): Promise<OrganizationSettingsView> {
    const current = await this.load(organizationId);
    const next: OrganizationSettings = {
      maxKeyLifetimeDays: changes.max_key_lifetime_days === undefined ? current.maxKeyLifetimeDays : changes.max_key_lifetime_days,
      expiryReminderDays: sortReminderDays(changes.expiry_reminder_days ?? current.expiryReminderDays),
      leakedKeyAction: changes.leaked_key_action ?? current.leakedKeyAction ?? DEFAULT_LEAKED_KEY_ACTION,
    };
    const before = toView(current);
    const after = toView(next);
    if (JSON.stringify(before) === JSON.stringify(after)) return after;
    const event: AuditEvent = {
      id: this.newId(),
      organizationId,
      type: 'organization.settings_updated',
      occurredAt: this.clock.now().toISOString(),
      actor,
      apiKeyId: null,
      details: { ...after, previous: before },
    };
    await this.store.putSettings(organizationId, next, event);
    return after;
  }

  private async load(organizationId: string): Promise<OrganizationSettings> {
    const settings = await this.store.getSettings(organizationId);
    if (!settings) throw new OrganizationNotFound();
    return settings;
  }
}
