import type { AuditEvent } from '../domain/audit-event';
import type { Organization } from '../domain/ports';
import { escapeControlCharacters } from '../domain/text';

/** API.md §5 and §8, verbatim. */
export const SUBJECTS = {
  'api_key.created': 'A new API key has been created',
  'api_key.rotated': 'Your API key has been rolled',
  'api_key.retired': 'An API key has been retired',
  'api_key.deleted': 'An API key has been deleted',
  'api_key.still_in_use': 'An API key about to expire is still in use',
  'api_key.expired': 'An API key has expired',
  'api_key.expiry_reminder_sent': 'An API key expires soon',
  'api_key.leaked': 'An API key was found in public',
} as const;

export type MailedEventType = keyof typeof SUBJECTS;

export function isMailedEventType(type: string): type is MailedEventType {
  return Object.hasOwn(SUBJECTS, type);
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/**
 * Anything shaped like a token (API.md §2). Events never carry one, but a key's name is free
 * text an admin could paste a token into; an email must never repeat it.
 */
const TOKEN_LIKE = /[a-z][a-z0-9]{0,15}_[0-9A-Za-z]{36}/g;

/**
 * A value as an email shows it: no token, and no control character, line separator or
 * bidirectional override left to act (escaped as `\u000a`), so a name (or a name stored before
 * names were checked) can neither start a forged line such as "By: …" nor reorder one.
 */
function safe(value: string): string {
  return escapeControlCharacters(value).replace(TOKEN_LIKE, '[redacted]');
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function stringDetail(event: AuditEvent, name: string): string | null {
  const value = event.details[name];
  return typeof value === 'string' && value !== '' ? value : null;
}

function actorLabel(event: AuditEvent): string {
  if (event.actor.type === 'user') return event.actor.email;
  // The operator's AWS identity stays in the audit log: admins of an organization need not see the platform's account.
  if (event.actor.type === 'operator') return 'a keyward operator (platform team)';
  return event.type === 'api_key.retired' || event.type === 'api_key.expired' || event.type === 'api_key.expiry_reminder_sent'
    ? 'keyward (scheduled)'
    : 'keyward (system)';
}

/** One fact per line: a label and its value, rendered the same way in text and HTML. */
type Line = [label: string, value: string];

function lines(
  event: AuditEvent & { type: MailedEventType },
  organization: Pick<Organization, 'id' | 'name'>,
): {
  intro: string;
  facts: Line[];
} {
  const keyName = stringDetail(event, 'name') ?? 'Unnamed key';
  const masked = stringDetail(event, 'masked_value') ?? 'unknown';
  const facts: Line[] = [
    ['Organization', `${organization.name} (${organization.id})`],
    ['API key', `${keyName} (${masked})`],
    ['By', actorLabel(event)],
    ['At', `${event.occurredAt} (UTC)`],
  ];
  switch (event.type) {
    case 'api_key.created': {
      const expiresAt = stringDetail(event, 'expires_at');
      if (expiresAt) facts.push(['Expires at', `${expiresAt} (UTC)`]);
      return { intro: `A new API key was created in ${organization.name}.`, facts };
    }
    case 'api_key.expired': {
      const lastUsed = stringDetail(event, 'last_used_at');
      facts.push(['Expired at', `${stringDetail(event, 'expires_at') ?? 'unknown'} (UTC)`]);
      facts.push(['Last used', lastUsed ? `${lastUsed} (UTC)` : 'never']);
      return { intro: `An API key of ${organization.name} reached its expiry date and was removed. It no longer works.`, facts };
    }
    case 'api_key.expiry_reminder_sent': {
      const expiresAt = stringDetail(event, 'expires_at') ?? 'unknown';
      const lastUsed = stringDetail(event, 'last_used_at');
      facts.push(['Expires at', `${expiresAt} (UTC)`]);
      facts.push(['Last used', lastUsed ? `${lastUsed} (UTC)` : 'never']);
      return {
        intro: `An API key of ${organization.name} stops working at ${expiresAt} (UTC). Rotate it, or move your integrations to another key, before then.`,
        facts,
      };
    }
    case 'api_key.deleted':
      return { intro: `An API key of ${organization.name} was deleted. It no longer works.`, facts };
    case 'api_key.retired': {
      const lastUsed = stringDetail(event, 'last_used_at');
      facts.push(['Last used', lastUsed ? `${lastUsed} (UTC)` : 'never']);
      return {
        intro: `An API key of ${organization.name} reached the end of its rotation grace period and was retired. It no longer works.`,
        facts,
      };
    }
    case 'api_key.still_in_use': {
      const lastUsed = stringDetail(event, 'last_used_at') ?? 'unknown';
      const expiresAt = stringDetail(event, 'expires_at') ?? 'unknown';
      facts.push(['Last used', `${lastUsed} (UTC)`], ['Stops working at', `${expiresAt} (UTC)`]);
      return {
        intro: `An API key of ${organization.name} that stops working at ${expiresAt} (UTC) was still used at ${lastUsed} (UTC). Move whatever still uses it to its replacement before then, or it will fail.`,
        facts,
      };
    }
    case 'api_key.leaked': {
      const url = stringDetail(event, 'url') ?? 'unknown';
      facts.push(['Found at', url], ['Found in', stringDetail(event, 'source') ?? 'unknown']);
      if (stringDetail(event, 'action') === 'rotate') {
        const newMasked = stringDetail(event, 'new_masked_value');
        if (newMasked) facts.push(['New key', `${keyName} (${newMasked})`]);
        facts.push(['What was done', 'rotated: the leaked key stopped working immediately']);
        return {
          intro: `An API key of ${organization.name} was found in public at ${url}. keyward rotated it: the leaked key stopped working immediately. Reveal the new key in the console and update whatever used the old one.`,
          facts,
        };
      }
      facts.push(['What was done', 'nothing: the key still works (this organization only notifies)']);
      return {
        intro: `An API key of ${organization.name} was found in public at ${url}. It still works: rotate it now, and remove it from where it was published.`,
        facts,
      };
    }
    case 'api_key.rotated': {
      const newMasked = stringDetail(event, 'new_masked_value');
      if (newMasked) facts.push(['New key', `${keyName} (${newMasked})`]);
      const expiresAt = stringDetail(event, 'expires_at');
      const scheduled = expiresAt !== null && Date.parse(expiresAt) > Date.parse(event.occurredAt);
      if (scheduled) {
        facts.push(['Old key works until', `${expiresAt} (UTC)`]);
        return {
          intro: `An API key of ${organization.name} was rolled. The old key keeps working until ${expiresAt} (UTC); move your integrations to the new key before then.`,
          facts,
        };
      }
      return {
        intro: `An API key of ${organization.name} was rolled. The old key stopped working immediately; use the new key.`,
        facts,
      };
    }
  }
}

/** The admin email for a mailed audit event (API.md §5): text and escaped HTML, never a token. */
export function renderEmail(event: AuditEvent & { type: MailedEventType }, organization: Pick<Organization, 'id' | 'name'>): RenderedEmail {
  const { intro, facts } = lines(event, organization);
  const safeIntro = safe(intro);
  const safeFacts = facts.map(([label, value]) => [label, safe(value)] as const);
  const text = [
    safeIntro,
    '',
    ...safeFacts.map(([label, value]) => `${label}: ${value}`),
    '',
    `Event: ${safe(event.type)} (${safe(event.id)})`,
    '',
  ].join('\n');
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<p>${escapeHtml(safeIntro)}</p>`,
    '<table cellpadding="4">',
    ...safeFacts.map(([label, value]) => `<tr><th align="left">${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`),
    '</table>',
    `<p style="color:#666">Event: ${escapeHtml(event.type)} (${escapeHtml(event.id)})</p>`,
    '</body></html>',
  ].join('\n');
  return { subject: SUBJECTS[event.type], text, html };
}
