import type { AuditEvent } from '../../../lambdas/domain/audit-event';
import { generateToken } from '../../../lambdas/domain/token';
import { type MailedEventType, renderEmail, SUBJECTS } from '../../../lambdas/notifications/render';

const ORG = { id: 'acme', name: 'Acme & Co' };
const TOKEN_SHAPE = /[a-z][a-z0-9]{0,15}_[0-9A-Za-z]{36}/;
/** What could act on a reader or start a line, other than the email's own line feeds. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

function event(type: MailedEventType, overrides: Partial<AuditEvent> = {}): AuditEvent & { type: MailedEventType } {
  return {
    id: '01KAXQ3N8Y4B5C6D7E8F9G0H1J',
    organizationId: 'acme',
    type,
    occurredAt: '2026-11-26T04:00:00.000Z',
    actor: { type: 'user', email: 'admin@acme.test' },
    apiKeyId: '01KAXQ3N8Y4B5C6D7E8F9G0H1A',
    details: { name: 'Billing sync', masked_value: 'kw_••••••••9fQz' },
    ...overrides,
  } as AuditEvent & { type: MailedEventType };
}

describe('renderEmail', () => {
  it.each(Object.entries(SUBJECTS))('uses the API.md subject for %s', (type, subject) => {
    expect(renderEmail(event(type as MailedEventType), ORG).subject).toBe(subject);
  });

  it('says which organization, which key, who and when', () => {
    const { text } = renderEmail(event('api_key.created'), ORG);
    expect(text).toContain('Organization: Acme & Co (acme)');
    expect(text).toContain('API key: Billing sync (kw_••••••••9fQz)');
    expect(text).toContain('By: admin@acme.test');
    expect(text).toContain('At: 2026-11-26T04:00:00.000Z (UTC)');
  });

  it('calls a key without a name "Unnamed key"', () => {
    const { text } = renderEmail(event('api_key.deleted', { details: { name: null, masked_value: 'kw_••••••••9fQz' } }), ORG);
    expect(text).toContain('API key: Unnamed key (kw_••••••••9fQz)');
  });

  it('says when a key about to expire was last used, and when it stops working', () => {
    const { subject, text, html } = renderEmail(
      event('api_key.still_in_use', {
        actor: { type: 'system' },
        details: {
          name: 'Billing sync',
          masked_value: 'kw_••••••••9fQz',
          last_used_at: '2026-11-26T04:41:07.000Z',
          expires_at: '2026-11-26T05:00:00.000Z',
        },
      }),
      ORG,
    );
    expect(subject).toBe('An API key about to expire is still in use');
    expect(text).toContain('Last used: 2026-11-26T04:41:07.000Z (UTC)');
    expect(text).toContain('Stops working at: 2026-11-26T05:00:00.000Z (UTC)');
    expect(text).toContain('By: keyward (system)');
    expect(html).toContain('2026-11-26T04:41:07.000Z');
  });

  it('names the system as the actor of a retirement', () => {
    const { text } = renderEmail(event('api_key.retired', { actor: { type: 'system' } }), ORG);
    expect(text).toContain('By: keyward (scheduled)');
  });

  it('says until when the old key works after a scheduled rotation, and shows the new key', () => {
    const { text, html } = renderEmail(
      event('api_key.rotated', {
        details: {
          name: 'Billing sync',
          masked_value: 'kw_••••••••9fQz',
          new_api_key_id: '01KAXQ3N8Y4B5C6D7E8F9G0H1B',
          new_masked_value: 'kw_••••••••Ab12',
          expires_at: '2026-11-27T04:00:00.000Z',
        },
      }),
      ORG,
    );
    expect(text).toContain('Old key works until: 2026-11-27T04:00:00.000Z (UTC)');
    expect(text).toContain('New key: Billing sync (kw_••••••••Ab12)');
    expect(html).toContain('2026-11-27T04:00:00.000Z');
  });

  it('says where a leaked key was found and that it was rotated, or that it still works', () => {
    const where = {
      name: 'Billing sync',
      masked_value: 'kw_••••••••9fQz',
      source: 'commit',
      url: 'https://github.com/acme/app/blob/1/.env',
    };
    const rotated = renderEmail(
      event('api_key.leaked', { actor: { type: 'system' }, details: { ...where, action: 'rotate', new_masked_value: 'kw_••••••••Ab12' } }),
      ORG,
    );
    expect(rotated.subject).toBe('An API key was found in public');
    expect(rotated.text).toContain('Found at: https://github.com/acme/app/blob/1/.env');
    expect(rotated.text).toContain('Found in: commit');
    expect(rotated.text).toContain('New key: Billing sync (kw_••••••••Ab12)');
    expect(rotated.text).toContain('stopped working immediately');
    const notified = renderEmail(event('api_key.leaked', { actor: { type: 'system' }, details: { ...where, action: 'notify' } }), ORG);
    expect(notified.text).toContain('It still works');
    expect(notified.text).not.toContain('New key');
  });

  it('says the old key stopped working after an instant rotation', () => {
    const { text } = renderEmail(
      event('api_key.rotated', {
        details: {
          name: 'Billing sync',
          masked_value: 'kw_••••••••9fQz',
          new_masked_value: 'kw_••••••••Ab12',
          expires_at: '2026-11-26T04:00:00.000Z',
        },
      }),
      ORG,
    );
    expect(text).toContain('stopped working immediately');
    expect(text).not.toContain('works until');
  });

  it('says when a retired key was last used, or never', () => {
    const used = renderEmail(
      event('api_key.retired', { details: { name: null, masked_value: 'kw_••••••••9fQz', last_used_at: '2026-11-26T03:59:00.000Z' } }),
      ORG,
    );
    const unused = renderEmail(
      event('api_key.retired', { details: { name: null, masked_value: 'kw_••••••••9fQz', last_used_at: null } }),
      ORG,
    );
    expect(used.text).toContain('Last used: 2026-11-26T03:59:00.000Z (UTC)');
    expect(unused.text).toContain('Last used: never');
  });

  it('escapes names in the HTML body', () => {
    const { html } = renderEmail(
      event('api_key.created', { details: { name: '<script>alert("x")</script>', masked_value: 'kw_••••••••9fQz' } }),
      ORG,
    );
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toContain('Acme &amp; Co');
  });

  it('never repeats a token, even one pasted into a key name', () => {
    const token = generateToken('kw');
    for (const type of Object.keys(SUBJECTS) as MailedEventType[]) {
      const rendered = renderEmail(event(type, { details: { name: `prod ${token}`, masked_value: 'kw_••••••••9fQz' } }), ORG);
      for (const part of [rendered.subject, rendered.text, rendered.html]) {
        expect(part).not.toMatch(TOKEN_SHAPE);
        expect(part).not.toContain(token);
      }
    }
  });

  it('cannot be forged by a name: a key or organization name with CR, LF or controls starts no line (issue 16 item 4)', () => {
    const forged = 'Billing\r\nBy: security@acme.test\r\nAt: 2026-01-01T00:00:00.000Z (UTC)\u2028By: x\u001b[2J\u202e';
    const organization = { id: 'acme', name: 'Acme\nOrganization: Evil Corp (evil)' };
    for (const type of Object.keys(SUBJECTS) as MailedEventType[]) {
      const { text, html } = renderEmail(event(type, { details: { name: forged, masked_value: 'kw_••••••••9fQz' } }), organization);
      const lines = text.split('\n');
      expect(lines.filter((line) => line.startsWith('By:'))).toHaveLength(1);
      expect(lines.filter((line) => line.startsWith('At:'))).toHaveLength(1);
      expect(lines.filter((line) => line.startsWith('Organization:'))).toHaveLength(1);
      for (const part of [text, html]) expect(part).not.toMatch(RAW_CONTROL);
      expect(text).toContain('Billing\\u000d\\u000aBy: security@acme.test');
    }
  });
});
