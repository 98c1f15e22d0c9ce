import { addMember, admin, consumer, newOrganization, stack, type TestOrganization, UNAUTHORIZED } from './support';

/**
 * API.md §3 Rotation and §5 Emails over real HTTP: a rotation a few seconds ahead, the old key's
 * grace period and refusal, its retirement by the local timer loop, and the admin emails that the
 * stream poller feeds through the notifier into the SES emulator.
 */
interface StoredEmail {
  subject: string;
  destination: { to: string[]; cc: string[]; bcc: string[] };
  body: { text?: string; html?: string };
}

const TOKEN_SHAPE = /\bkw_[0-9A-Za-z]{36}\b/;

async function emailsAbout(org: TestOrganization): Promise<StoredEmail[]> {
  const store = (await (await fetch(`${stack.sesUrl}/store`)).json()) as { emails: StoredEmail[] };
  return store.emails.filter((email) => email.body.text?.includes(org.id));
}

async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('scheduled rotation, retirement and admin emails', () => {
  let org: TestOrganization;
  const secondAdmin = () => `second-admin@${org.id}.test`;
  const member = () => `member@${org.id}.test`;

  beforeAll(async () => {
    org = await newOrganization('rotation');
    await addMember(org.id, secondAdmin(), 'admin');
    await addMember(org.id, member(), 'member');
  });

  it('keeps the old key until expires_at, refuses it from then on, retires it and mails every admin', async () => {
    const expiresAt = new Date(Date.now() + 4000);
    const rotated = await admin('POST', `${org.keysPath}/${org.keyId}/rotate`, {
      jwt: org.jwt,
      body: { expires_at: expiresAt.toISOString() },
    });
    expect(rotated.status).toBe(200);
    const next = rotated.body.api_key;
    expect(rotated.body.rotated_api_key).toMatchObject({ id: org.keyId, expires_at: expiresAt.toISOString() });
    expect(next).toMatchObject({ expires_at: null, value: expect.stringMatching(TOKEN_SHAPE) });

    // Grace period: both keys work, the old one is listed with its expiry, no second rotation.
    expect((await consumer('GET', '/v1/customers', org.key)).status).toBe(200);
    expect((await consumer('GET', '/v1/customers', next.value)).status).toBe(200);
    const listed = await admin('GET', org.keysPath, { jwt: org.jwt });
    expect(listed.body.api_keys.map((key: { id: string; expires_at: string | null }) => [key.id, key.expires_at])).toEqual([
      [org.keyId, expiresAt.toISOString()],
      [next.id, null],
    ]);
    const again = await admin('POST', `${org.keysPath}/${org.keyId}/rotate`, { jwt: org.jwt, body: { expires_in: 'now' } });
    expect(again).toMatchObject({ status: 422, body: { status: 422, error: 'Unprocessable Entity', code: 'rotation_already_scheduled' } });

    // From expires_at on, the authorizer refuses the old key whether or not it was retired yet.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt.getTime() - Date.now() + 50)));
    const refused = await consumer('GET', '/v1/customers', org.key);
    expect(refused).toMatchObject({ status: 401, body: UNAUTHORIZED });
    expect((await consumer('GET', '/v1/customers', next.value)).status).toBe(200);

    // The one-shot job retires it: gone from the list, api_key.retired in the audit trail.
    const afterRetirement = await eventually(
      () => admin('GET', org.keysPath, { jwt: org.jwt }),
      (reply) => reply.body.api_keys.length === 1,
    );
    expect(afterRetirement.body.api_keys.map((key: { id: string }) => key.id)).toEqual([next.id]);
    expect((await admin('GET', `${org.keysPath}/${org.keyId}`, { jwt: org.jwt })).body.code).toBe('api_key_not_found');
    const events = await admin('GET', `/v1/organizations/${org.id}/audit_events`, { jwt: org.jwt });
    // The old key was used inside its last hour (the e2e window), and the stack's one-second reminder
    // "day" (KEYWARD_REMINDER_DAY_MS) also reminds before this expiry: those events may sit between them.
    const types = events.body.audit_events
      .map((event: { type: string }) => event.type)
      .filter((type: string) => type !== 'api_key.still_in_use' && type !== 'api_key.expiry_reminder_sent');
    expect(types.slice(0, 2)).toEqual(['api_key.retired', 'api_key.rotated']);
    expect(events.body.audit_events[0]).toMatchObject({ api_key_id: org.keyId, actor: { type: 'system' } });

    // Every admin, and no member, gets the rolled and retired emails; none carries a token.
    const mails = await eventually(
      () => emailsAbout(org),
      (found) => found.some((email) => email.subject === 'An API key has been retired'),
    );
    const subjects = mails.map((email) => email.subject);
    expect(subjects).toEqual(
      expect.arrayContaining(['A new API key has been created', 'Your API key has been rolled', 'An API key has been retired']),
    );
    for (const mail of mails) {
      // The first key's mail can go out before the test adds the second admin (the stream poller
      // races addMember), so it may reach the first admin only; this test's changes reach both.
      const admins = mail.subject === 'A new API key has been created' ? [org.adminEmail] : [org.adminEmail, secondAdmin()];
      expect(mail.destination.bcc).toEqual(expect.arrayContaining(admins));
      expect(mail.destination.bcc.filter((email) => email !== org.adminEmail && email !== secondAdmin())).toEqual([]);
      expect(mail.destination.to).toEqual([]);
      expect(mail.destination.cc).toEqual([]);
      const content = `${mail.subject}\n${mail.body.text}\n${mail.body.html}`;
      expect(content).not.toMatch(TOKEN_SHAPE);
      expect(content).not.toContain(org.key);
      expect(content).not.toContain(next.value);
    }
    const rolled = mails.find((email) => email.subject === 'Your API key has been rolled')!;
    expect(rolled.body.text).toContain(expiresAt.toISOString());
    expect(rolled.body.text).toContain(org.adminEmail);
  });

  it('mails the admins once when a key is created and once when it is deleted', async () => {
    const created = await admin('POST', org.keysPath, { jwt: org.jwt, body: { name: 'to be deleted' } });
    expect(created.status).toBe(201);
    expect((await admin('DELETE', `${org.keysPath}/${created.body.api_key.id}`, { jwt: org.jwt })).status).toBe(200);
    const mails = await eventually(
      () => emailsAbout(org),
      (found) => found.some((email) => email.subject === 'An API key has been deleted'),
    );
    const aboutKey = mails.filter((email) => email.body.text?.includes('to be deleted'));
    expect(aboutKey.map((email) => email.subject).sort()).toEqual(['A new API key has been created', 'An API key has been deleted']);
    expect(aboutKey.every((email) => email.body.text!.includes(created.body.api_key.masked_value))).toBe(true);
  });
});
