import { monotonicFactory } from 'ulid';
import { checkVersion, type ExpectedVersions } from '../domain/api-key';
import type { Actor, AuditEvent } from '../domain/audit-event';
import type { Clock } from '../domain/clock';
import { Conflict, OrganizationNotFound, PlanNotFound } from '../domain/errors';
import {
  type OrganizationSettings,
  type SettingsChanges as StoredChanges,
  sortReminderDays,
  type VersionedSettings,
} from '../domain/expiry';
import { DEFAULT_LEAKED_KEY_ACTION, type LeakedKeyAction } from '../domain/leak';
import { DEFAULT_PLANS, effectivePlanName, type PlansConfig, type PlanView, quotaWindowStart } from '../domain/plans';
import type { KeyStore, QuotaUsage, UsageIdentifiers } from '../domain/ports';
import { retryOnConflict } from '../domain/retry-on-conflict';
import { logger } from '../observability/logger';

/** How many times `setPlan` moves the usage identifier after a plan that keeps changing before giving up. */
const FOLLOW_PLAN_MOVES = 5;

/** The settings object of the API (API.md §8, §9): the key policy admins change, and the plan they read. */
export interface KeyPolicyView {
  max_key_lifetime_days: number | null;
  expiry_reminder_days: number[];
  leaked_key_action: LeakedKeyAction;
}
export type OrganizationSettingsView = KeyPolicyView & PlanView;

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

function toView(settings: OrganizationSettings): KeyPolicyView {
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
    private readonly plans: PlansConfig = DEFAULT_PLANS,
    /** Where usage identifiers live (API Gateway): `setPlan` moves the organization's. @default none (locally) */
    private readonly usageIdentifiers?: UsageIdentifiers,
    /** Where `quota_used` is read: API Gateway's usage plans in AWS. @default the local gateway's counters in the table */
    private readonly quotaUsage: QuotaUsage = {
      used: (organizationId, _plan, windowStart) => store.quotaUsed(organizationId, windowStart),
    },
  ) {
    const ulid = monotonicFactory();
    this.newId = newId ?? (() => ulid(clock.now().getTime()));
  }

  async get(organizationId: string): Promise<VersionedSettingsView> {
    const current = await this.load(organizationId);
    return { settings: { ...toView(current), ...(await this.plan(organizationId)) }, version: current.version };
  }

  /**
   * The organization's plan, its limits and how much of its quota the current window has used
   * (API.md §9). `quota_used` is null without a quota, and null too (with a warning in the log)
   * when the count cannot be read: API Gateway failing, or an organization with no usage
   * identifier of its own yet. The settings still answer: the count is informative, never worth a 5xx.
   */
  async plan(organizationId: string): Promise<PlanView> {
    const stored = await this.store.getPlan(organizationId);
    if (stored === undefined) throw new OrganizationNotFound();
    const name = effectivePlanName(this.plans, stored);
    const plan = this.plans.plans[name]!;
    const limits = { rate: plan.rate, burst: plan.burst, quota: plan.quota };
    if (!plan.quota) return { plan: name, limits, quota_used: null };
    const now = this.clock.now();
    let quota_used: number | null = null;
    try {
      quota_used = await this.quotaUsage.used(organizationId, name, quotaWindowStart(plan.quota.period, now), now);
      if (quota_used === null)
        logger.warn('quota usage unknown: the organization has no usage identifier of its own (run keyward migrate)', {
          organization_id: organizationId,
          plan: name,
        });
    } catch (error) {
      logger.warn('quota usage could not be read: quota_used is null', { organization_id: organizationId, plan: name, error });
    }
    return { plan: name, limits, quota_used };
  }

  /**
   * Moves the organization to another plan (operators only: `keyward org set-plan`), audited
   * `organization.plan_changed` with the previous plan. The write is conditioned on the plan as
   * read and a lost race starts again from a fresh read, so of two concurrent set-plans both stick
   * in turn, the last wins, and each event's `previous_plan` is exactly what it replaced. The same
   * plan again writes nothing. Then the usage identifier follows the table (`followPlan`): running
   * the same set-plan again finishes one interrupted between the two.
   */
  async setPlan(organizationId: string, actor: Actor, plan: string): Promise<PlanView> {
    if (!Object.hasOwn(this.plans.plans, plan)) throw new PlanNotFound(plan, Object.keys(this.plans.plans));
    await retryOnConflict(async () => {
      const stored = await this.store.getPlan(organizationId);
      if (stored === undefined) throw new OrganizationNotFound();
      if (stored === plan) return;
      const event: AuditEvent = {
        id: this.newId(),
        organizationId,
        type: 'organization.plan_changed',
        occurredAt: this.clock.now().toISOString(),
        actor,
        apiKeyId: null,
        details: { plan, previous_plan: effectivePlanName(this.plans, stored) },
      };
      await this.store.putPlan(organizationId, plan, event, stored);
    });
    await this.followPlan(organizationId);
    return this.plan(organizationId);
  }

  /**
   * Puts the organization's usage identifier in the usage plan of the plan the table says, until
   * the table still says it after the move. The table decides who won; two set-plans whose moves
   * interleave in API Gateway each end with a move to the plan they read last, after which the
   * table no longer changes, so the identifier ends in the winner's usage plan. Gives up (409
   * conflict, run it again) if the plan keeps changing under it.
   */
  private async followPlan(organizationId: string): Promise<void> {
    if (!this.usageIdentifiers) return;
    const identifier = await this.store.getUsageIdentifier(organizationId);
    if (!identifier) return;
    let target = effectivePlanName(this.plans, await this.store.getPlan(organizationId));
    for (let moves = 0; moves < FOLLOW_PLAN_MOVES; moves++) {
      await this.usageIdentifiers.move(identifier, target);
      const now = effectivePlanName(this.plans, await this.store.getPlan(organizationId));
      if (now === target) return;
      target = now;
    }
    throw new Conflict(`the plan of ${organizationId} kept changing while its usage identifier moved: run set-plan again`);
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
      if (Object.keys(named).length === 0)
        return { settings: { ...before, ...(await this.plan(organizationId)) }, version: current.version };
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
      return { settings: { ...after, ...(await this.plan(organizationId)) }, version };
    });
  }

  private async load(organizationId: string): Promise<VersionedSettings> {
    const settings = await this.store.getSettings(organizationId);
    if (!settings) throw new OrganizationNotFound();
    return settings;
  }
}
