import { addMember, admin, mintJwt, newOrganization, removeMember, UNAUTHORIZED } from './support';

/** `GET /v1/me` (API.md §3) over real HTTP: the admin authorizer, the handler and the membership items. */
describe('GET /v1/me', () => {
  it("answers any valid admin JWT with the caller's organizations and role in each, by id", async () => {
    const first = await newOrganization('me-a');
    const second = await newOrganization('me-b');
    await addMember(second.id, first.adminEmail, 'member');

    const reply = await admin('GET', '/v1/me', { jwt: first.jwt });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      email: first.adminEmail,
      organizations: [
        { id: first.id, name: 'me-a', role: 'admin' },
        { id: second.id, name: 'me-b', role: 'member' },
      ],
    });
  });

  it('shows a membership the moment it is added, changed or removed', async () => {
    const org = await newOrganization('me-live');
    const email = `carol-${org.id}@example.test`;
    const jwt = await mintJwt({ email });
    const organizationsOf = async () => (await admin('GET', '/v1/me', { jwt })).body.organizations;

    expect(await organizationsOf()).toEqual([]);
    await addMember(org.id, email, 'member');
    expect(await organizationsOf()).toEqual([{ id: org.id, name: 'me-live', role: 'member' }]);
    await addMember(org.id, email, 'admin');
    expect(await organizationsOf()).toEqual([{ id: org.id, name: 'me-live', role: 'admin' }]);
    await removeMember(org.id, email);
    expect(await organizationsOf()).toEqual([]);
  });

  it('answers 401 without a valid JWT, and looks the caller up by the lower-cased email', async () => {
    expect(await admin('GET', '/v1/me')).toMatchObject({ status: 401, body: UNAUTHORIZED });
    expect(await admin('GET', '/v1/me', { jwt: 'not.a.jwt' })).toMatchObject({ status: 401, body: UNAUTHORIZED });
    const org = await newOrganization('me-case');
    const reply = await admin('GET', '/v1/me', { jwt: await mintJwt({ email: org.adminEmail.toUpperCase() }) });
    expect(reply.body).toEqual({ email: org.adminEmail, organizations: [{ id: org.id, name: 'me-case', role: 'admin' }] });
  });
});
