/** Audit events (API.md §3). Each is written in the same transaction as the change it records,
 * which also makes it the outbox that drives the admin emails (API.md §5). Never holds a token. */
export const AUDIT_EVENT_TYPES = [
  'api_key.created',
  'api_key.updated',
  'api_key.revealed',
  'api_key.rotated',
  'api_key.retired',
  'api_key.deleted',
  'api_key.still_in_use',
  'api_key.expired',
  'api_key.expiry_reminder_sent',
  'api_key.leaked',
  'organization.settings_updated',
  'organization.plan_changed',
] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

/** The event types that send an email to the organization's admins. */
export const MAILED_EVENT_TYPES: readonly AuditEventType[] = [
  'api_key.created',
  'api_key.rotated',
  'api_key.retired',
  'api_key.deleted',
  'api_key.still_in_use',
  'api_key.expired',
  'api_key.expiry_reminder_sent',
  'api_key.leaked',
];

/**
 * Who made a change: an admin through the management API, keyward itself (a scheduled retirement,
 * the local seed), or a platform engineer through the `keyward` CLI (API.md §3: `principal` is
 * their AWS identity ARN, or `local` with the OS user in `user` in local mode).
 */
export type Actor = { type: 'user'; email: string } | { type: 'system' } | { type: 'operator'; principal: string; user?: string };

export interface AuditEvent {
  id: string;
  organizationId: string;
  type: AuditEventType;
  occurredAt: string;
  actor: Actor;
  /** Null for an event about the organization rather than one key (`organization.settings_updated`). */
  apiKeyId: string | null;
  /**
   * Always carries the key's `name` and `masked_value` (the email needs them after the key is
   * gone), plus per type: rotated → `new_api_key_id`, `expires_at`; retired → `last_used_at`;
   * still_in_use → `last_used_at`, `expires_at`; leaked → `source`, `url`, `action`, and
   * `new_api_key_id` when it was rotated.
   */
  details: Record<string, unknown>;
}

/**
 * An audit event about `key`. It always names the key (`name`, `masked_value`), so an email can
 * describe it after the key is gone; never its token.
 */
export function keyEvent(input: {
  id: string;
  type: AuditEventType;
  key: { id: string; organizationId: string; name: string | null; maskedValue: string };
  actor: Actor;
  at: Date;
  details?: Record<string, unknown>;
}): AuditEvent {
  return {
    id: input.id,
    organizationId: input.key.organizationId,
    type: input.type,
    occurredAt: input.at.toISOString(),
    actor: input.actor,
    apiKeyId: input.key.id,
    details: { name: input.key.name, masked_value: input.key.maskedValue, ...input.details },
  };
}

export interface AuditEventView {
  id: string;
  type: AuditEventType;
  occurred_at: string;
  actor: Actor;
  api_key_id: string | null;
  details: Record<string, unknown>;
}

export function toAuditEventView(event: AuditEvent): AuditEventView {
  return {
    id: event.id,
    type: event.type,
    occurred_at: event.occurredAt,
    actor: event.actor,
    api_key_id: event.apiKeyId,
    details: event.details,
  };
}
