import { admin, consumer, newOrganization, stack, type TestOrganization, UNAUTHORIZED } from './support';

/**
 * API.md §8 over real HTTP against the local stack: a key created to expire a few seconds ahead,
 * its reminder (the stack runs with a one-second reminder "day", KEYWARD_REMINDER_DAY_MS), its
 * refusal by the authorizer from expires_at on, its retirement by the local timer loop as
 * `api_key.expired`, and the two emails, once each, in the SES emulator.
 */
interface StoredEmail {
  subject: string;
  body: { text?: string };
}

async function emailsAbout(maskedValue: string): Promise<StoredEmail[]> {
  const store = (await (await fetch(`${stack.sesUrl}/store`)).json()) as { emails: StoredEmail[] };
  return store.emails.filter((email) => email.body.text?.includes(maskedValue));
}

async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('expiring keys, settings and reminders (local stack)', () => {
  let org: TestOrganization;
  let settingsPath: string;

  beforeAll(async () => {
    org = await newOrganization('expiry');
    settingsPath = `/v1/organizations/${org.id}/settings`;
  });

  it('answers and changes the organization settings, validating them', async () => {
    expect(await admin('GET', settingsPath, { jwt: org.jwt })).toMatchObject({
      status: 200,
      body: { settings: { max_key_lifetime_days: null, expiry_reminder_days: [7, 1] } },
    });
    const invalid = await admin('PATCH', settingsPath, {
      jwt: org.jwt,
      body: { max_key_lifetime_days: 731, expiry_reminder_days: [1, 1] },
    });
    expect(invalid).toMatchObject({ status: 422, body: { code: 'validation_errors' } });
    expect(Object.keys(invalid.body.error_details).sort()).toEqual(['expiry_reminder_days', 'max_key_lifetime_days']);

    const changed = await admin('PATCH', settingsPath, { jwt: org.jwt, body: { expiry_reminder_days: [2] } });
    expect(changed).toMatchObject({ status: 200, body: { settings: { max_key_lifetime_days: null, expiry_reminder_days: [2] } } });
  });

  it('refuses expires_in and expires_at together, and an expiry in the past', async () => {
    const both = await admin('POST', org.keysPath, {
      jwt: org.jwt,
      body: { expires_in: '1h', expires_at: new Date(Date.now() + 60_000).toISOString() },
    });
    expect(both).toMatchObject({ status: 422, body: { code: 'validation_errors' } });
    const past = await admin('POST', org.keysPath, { jwt: org.jwt, body: { expires_at: new Date(Date.now() - 1000).toISOString() } });
    expect(past).toMatchObject({ status: 422, body: { error_details: { expires_at: ['must be in the future'] } } });
  });

  it('works until expires_at, is refused after, leaves the list, is audited as expired, and mails a reminder and the expiry once each', async () => {
    const expiresAt = new Date(Date.now() + 5000);
    const created = await admin('POST', org.keysPath, { jwt: org.jwt, body: { name: 'short-lived', expires_at: expiresAt.toISOString() } });
    expect(created).toMatchObject({ status: 201, body: { api_key: { expires_at: expiresAt.toISOString() } } });
    const key = created.body.api_key as { id: string; value: string; masked_value: string };

    expect((await consumer('GET', '/v1/customers', key.value)).status).toBe(200);
    const listed = await admin('GET', org.keysPath, { jwt: org.jwt });
    expect(listed.body.api_keys.find((listedKey: { id: string }) => listedKey.id === key.id)).toMatchObject({
      expires_at: expiresAt.toISOString(),
    });

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt.getTime() - Date.now() + 50)));
    expect(await consumer('GET', '/v1/customers', key.value)).toMatchObject({ status: 401, body: UNAUTHORIZED });

    const after = await eventually(
      () => admin('GET', org.keysPath, { jwt: org.jwt }),
      (reply) => !reply.body.api_keys.some((listedKey: { id: string }) => listedKey.id === key.id),
    );
    expect(after.body.api_keys.map((listedKey: { id: string }) => listedKey.id)).toEqual([org.keyId]);

    const events = await admin('GET', `/v1/organizations/${org.id}/audit_events`, { jwt: org.jwt });
    const ofKeyAll = events.body.audit_events.filter((event: { api_key_id: string | null }) => event.api_key_id === key.id);
    // The key was used inside the stack's shortened "still in use" window (30 s, lifecycle-events.test.ts covers that
    // warning): at most one api_key.still_in_use, unless the key was retired before the notifier saw the use.
    const stillInUse = (type: string) => type === 'api_key.still_in_use';
    expect(ofKeyAll.filter((event: { type: string }) => stillInUse(event.type)).length).toBeLessThanOrEqual(1);
    const ofKey = ofKeyAll.filter((event: { type: string }) => !stillInUse(event.type));
    expect(ofKey.map((event: { type: string }) => event.type)).toEqual([
      'api_key.expired',
      'api_key.expiry_reminder_sent',
      'api_key.created',
    ]);
    expect(ofKey[1]).toMatchObject({ actor: { type: 'system' }, details: { mark_days: 2, expires_at: expiresAt.toISOString() } });
    expect(
      events.body.audit_events.some(
        (event: { type: string; api_key_id: string | null }) => event.type === 'organization.settings_updated' && event.api_key_id === null,
      ),
    ).toBe(true);

    const mails = await eventually(
      () => emailsAbout(key.masked_value),
      (found) => found.some((email) => email.subject === 'An API key has expired'),
    );
    // Give a duplicate delivery the time to show up before counting.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const allSubjects = (await emailsAbout(key.masked_value)).map((email) => email.subject);
    const warning = 'An API key about to expire is still in use';
    expect(allSubjects.filter((subject) => subject === warning).length).toBeLessThanOrEqual(1);
    const subjects = allSubjects.filter((subject) => subject !== warning).sort();
    expect(mails.length).toBeGreaterThan(0);
    expect(subjects).toEqual(['A new API key has been created', 'An API key expires soon', 'An API key has expired']);
  });

  it('sets, moves and clears the expiry of a key with PATCH, and refuses it for a pending rotation', async () => {
    const created = await admin('POST', org.keysPath, { jwt: org.jwt, body: {} });
    const keyPath = `${org.keysPath}/${created.body.api_key.id}`;
    const at = new Date(Date.now() + 86_400_000).toISOString();
    const set = await admin('PATCH', keyPath, {
      jwt: org.jwt,
      body: { expires_at: at },
      headers: { 'If-Match': created.headers.get('etag')! },
    });
    expect(set).toMatchObject({ status: 200, body: { api_key: { expires_at: at } } });
    const stale = await admin('PATCH', keyPath, {
      jwt: org.jwt,
      body: { expires_at: null },
      headers: { 'If-Match': created.headers.get('etag')! },
    });
    expect(stale).toMatchObject({ status: 412, body: { code: 'precondition_failed' } });
    const cleared = await admin('PATCH', keyPath, { jwt: org.jwt, body: { expires_at: null } });
    expect(cleared).toMatchObject({ status: 200, body: { api_key: { expires_at: null } } });

    await admin('POST', `${keyPath}/rotate`, { jwt: org.jwt, body: { expires_in: '1h' } });
    const refused = await admin('PATCH', keyPath, { jwt: org.jwt, body: { expires_at: null } });
    expect(refused).toMatchObject({
      status: 422,
      body: { status: 422, error: 'Unprocessable Entity', code: 'rotation_already_scheduled' },
    });
  });
});
