import { monotonicFactory } from 'ulid';
import type { Actor, AuditEvent } from '../domain/audit-event';
import type { Clock } from '../domain/clock';
import { OrganizationNotFound, PlanNotFound } from '../domain/errors';
import { type OrganizationSettings, sortReminderDays } from '../domain/expiry';
import { DEFAULT_PLANS, effectivePlanName, type PlansConfig, type PlanView, quotaWindowStart } from '../domain/plans';
import type { KeyStore } from '../domain/ports';

/** The settings object of the API (API.md §8, §9): the key policy admins change, and the plan they read. */
export interface KeyPolicyView {
  max_key_lifetime_days: number | null;
  expiry_reminder_days: number[];
}
export type OrganizationSettingsView = KeyPolicyView & PlanView;

/** A PATCH of the settings: the fields given replace the current ones. */
export interface SettingsChanges {
  max_key_lifetime_days?: number | null;
  expiry_reminder_days?: number[];
}

function toView(settings: OrganizationSettings): KeyPolicyView {
  return { max_key_lifetime_days: settings.maxKeyLifetimeDays, expiry_reminder_days: [...settings.expiryReminderDays] };
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
  ) {
    const ulid = monotonicFactory();
    this.newId = newId ?? (() => ulid(clock.now().getTime()));
  }

  async get(organizationId: string): Promise<OrganizationSettingsView> {
    return { ...toView(await this.load(organizationId)), ...(await this.plan(organizationId)) };
  }

  /**
   * The organization's plan, its limits and how much of its quota the current window has used
   * (API.md §9). `quota_used` is null without a quota; locally it is the gateway's counter.
   */
  async plan(organizationId: string): Promise<PlanView> {
    const stored = await this.store.getPlan(organizationId);
    if (stored === undefined) throw new OrganizationNotFound();
    const name = effectivePlanName(this.plans, stored);
    const plan = this.plans.plans[name]!;
    const quota_used = plan.quota
      ? await this.store.quotaUsed(organizationId, quotaWindowStart(plan.quota.period, this.clock.now()))
      : null;
    return { plan: name, limits: { rate: plan.rate, burst: plan.burst, quota: plan.quota }, quota_used };
  }

  /**
   * Moves the organization to another plan (operators only: `keyward org set-plan`), audited
   * `organization.plan_changed` with the previous plan. The same plan again changes nothing.
   */
  async setPlan(organizationId: string, actor: Actor, plan: string): Promise<PlanView> {
    if (!Object.hasOwn(this.plans.plans, plan)) throw new PlanNotFound(plan, Object.keys(this.plans.plans));
    const stored = await this.store.getPlan(organizationId);
    if (stored === undefined) throw new OrganizationNotFound();
    const previous = effectivePlanName(this.plans, stored);
    if (stored === plan) return this.plan(organizationId);
    const event: AuditEvent = {
      id: this.newId(),
      organizationId,
      type: 'organization.plan_changed',
      occurredAt: this.clock.now().toISOString(),
      actor,
      apiKeyId: null,
      details: { plan, previous_plan: previous },
    };
    await this.store.putPlan(organizationId, plan, event);
    return this.plan(organizationId);
  }

  async update(organizationId: string, actor: Actor, changes: SettingsChanges): Promise<OrganizationSettingsView> {
    const current = await this.load(organizationId);
    const next: OrganizationSettings = {
      maxKeyLifetimeDays: changes.max_key_lifetime_days === undefined ? current.maxKeyLifetimeDays : changes.max_key_lifetime_days,
      expiryReminderDays: sortReminderDays(changes.expiry_reminder_days ?? current.expiryReminderDays),
    };
    const before = toView(current);
    const after = toView(next);
    if (JSON.stringify(before) === JSON.stringify(after)) return { ...after, ...(await this.plan(organizationId)) };
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
    return { ...after, ...(await this.plan(organizationId)) };
  }

  private async load(organizationId: string): Promise<OrganizationSettings> {
    const settings = await this.store.getSettings(organizationId);
    if (!settings) throw new OrganizationNotFound();
    return settings;
  }
}
