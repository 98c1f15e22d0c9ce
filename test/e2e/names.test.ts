import { admin, newOrganization, type TestOrganization } from './support';

/**
 * API.md §3 through the local gateway: no key name may hold control characters (C0, DEL, C1) or
 * bidirectional formatting characters, on create and on update (issue 16 item 4). A refused
 * request changes nothing.
 */
const REASON = 'must not contain control characters or bidirectional formatting characters';

const NAMES = [
  ['an ESC sequence', 'ci\u001b[2J'],
  ['OSC 52', 'ci\u001b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\u0007'],
  ['CR and LF', 'ci\r\nBy: security@acme.test'],
  ['DEL', 'ci\u007f'],
  ['a C1 control', 'ci\u009b31m'],
  ['a right-to-left override', 'invoice\u202efdp.exe'],
  ['a first strong isolate', 'ci\u2068x\u2069'],
] as const;

describe('key names with control or bidirectional formatting characters', () => {
  let org: TestOrganization;
  beforeAll(async () => {
    org = await newOrganization('names');
  });

  const keys = async () => (await admin('GET', org.keysPath, { jwt: org.jwt })).body.api_keys as { id: string; name: string | null }[];

  it.each(NAMES)('refuses a new key named with %s: 422 naming the field, no key', async (_, name) => {
    const before = await keys();
    const refused = await admin('POST', org.keysPath, { jwt: org.jwt, body: { name } });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: 'validation_errors', error_details: { name: [REASON] } });
    expect(await keys()).toEqual(before);
  });

  it.each(NAMES)('refuses renaming a key to a name with %s: 422, the name unchanged', async (_, name) => {
    const refused = await admin('PATCH', `${org.keysPath}/${org.keyId}`, { jwt: org.jwt, body: { name } });
    expect(refused.status).toBe(422);
    expect(refused.body.error_details).toEqual({ name: [REASON] });
    expect((await keys()).find((key) => key.id === org.keyId)?.name).toBeNull();
  });

  it('accepts names in any script, with accents and emoji', async () => {
    const created = await admin('POST', org.keysPath, { jwt: org.jwt, body: { name: 'מפתח clé 🔑' } });
    expect(created.status).toBe(201);
    expect(created.body.api_key.name).toBe('מפתח clé 🔑');
  });
});
