import { type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbKeyStore } from '../../../lambdas/adapters/dynamodb/key-store';
import { backfillMemberships } from '../../../lambdas/adapters/dynamodb/membership-backfill';
import { ManualClock } from '../../../lambdas/domain/clock';
import { LastAdmin, ValidationFailed } from '../../../lambdas/domain/errors';
import { StaleState } from '../../../lambdas/domain/ports';
import { documentClient } from '../../../lambdas/runtime/clients';
import type { Services } from '../../../lambdas/runtime/services';
import { createTestTable } from '../../support/dynamodb';
import { testServices } from '../../support/services';

/**
 * The membership items behind `GET /v1/me` (USER#<email> / MEMBERSHIP#<org>) on DynamoDB Local:
 * always in step with the member items, whatever the order or concurrency of member changes, and
 * brought up to date by the backfill on a table an earlier version wrote.
 */
describe('membership items', () => {
  let table: Awaited<ReturnType<typeof createTestTable>>;
  let db: DynamoDBDocumentClient;
  let store: DynamoDbKeyStore;
  let orgs: Services['organizations'];
  let counter = 0;

  beforeAll(async () => {
    table = await createTestTable();
    db = documentClient(table.clientConfig);
    store = new DynamoDbKeyStore(db, table.tableName);
    ({ organizations: orgs } = testServices(store, new ManualClock('2036-11-26T04:00:00.000Z')));
  });
  afterAll(async () => {
    db.destroy();
    await table.drop();
  });

  async function newOrg(admins = ['owner@acme.test']) {
    counter += 1;
    const id = `org-${counter}`;
    await orgs.create({ name: `Org ${counter}`, id, admins });
    return id;
  }

  /** Every member of `organizationId` as its member items say, and as the membership items say. */
  async function bothSides(organizationId: string, emails: string[]) {
    const members = (await store.listMembers(organizationId)).map((member) => [member.email, member.role]);
    const memberships = (
      await Promise.all(
        emails.map(async (email) =>
          (
            await store.listMemberships(email)
          )
            .filter((membership) => membership.organizationId === organizationId)
            .map((membership) => [email, membership.role]),
        ),
      )
    ).flat();
    return { members: members.sort(), memberships: memberships.sort() };
  }

  it('are written with the organization, and follow every member added, changed and removed', async () => {
    const id = await newOrg(['Owner@Acme.test', 'second@acme.test']);
    expect(await orgs.membershipsOf('OWNER@acme.test')).toEqual([{ id, name: `Org ${counter}`, role: 'admin' }]);
    await orgs.addMember(id, 'dev@acme.test', 'member');
    expect(await orgs.membershipsOf('dev@acme.test')).toEqual([{ id, name: `Org ${counter}`, role: 'member' }]);
    await orgs.addMember(id, 'dev@acme.test', 'admin');
    expect(await orgs.membershipsOf('dev@acme.test')).toEqual([{ id, name: `Org ${counter}`, role: 'admin' }]);
    await orgs.removeMember(id, 'dev@acme.test');
    expect(await orgs.membershipsOf('dev@acme.test')).toEqual([]);
  });

  it("list a caller's organizations by id, each with its own role", async () => {
    const first = await newOrg();
    const second = await newOrg(['lead@acme.test']);
    await orgs.addMember(second, 'owner@acme.test', 'member');
    const mine = (await orgs.membershipsOf('owner@acme.test')).filter((membership) => [first, second].includes(membership.id));
    expect(mine).toEqual([
      { id: first, name: expect.any(String), role: 'admin' },
      { id: second, name: expect.any(String), role: 'member' },
    ]);
  });

  it('stay as they were when a change is refused (the last admin)', async () => {
    const id = await newOrg(['solo@acme.test']);
    await expect(orgs.addMember(id, 'solo@acme.test', 'member')).rejects.toBeInstanceOf(LastAdmin);
    await expect(orgs.removeMember(id, 'solo@acme.test')).rejects.toBeInstanceOf(LastAdmin);
    expect(await bothSides(id, ['solo@acme.test'])).toEqual({
      members: [['solo@acme.test', 'admin']],
      memberships: [['solo@acme.test', 'admin']],
    });
  });

  it('agree with the member items after concurrent changes of the same members', async () => {
    const emails = ['a@acme.test', 'b@acme.test', 'c@acme.test'];
    const id = await newOrg(emails);
    const changes = Array.from({ length: 24 }, (_, i) => {
      const email = emails[i % emails.length]!;
      if (i % 4 === 3) return orgs.removeMember(id, email);
      return orgs.addMember(id, email, i % 2 === 0 ? 'member' : 'admin');
    });
    const results = await Promise.allSettled(changes);
    // Refusals happen (the last admin), and under 24-way contention on one organization's admin count a change may
    // also give up after its bounded retries (StaleState, having written nothing); nothing else goes wrong, and the
    // two sides agree whatever won.
    expect(
      results.filter(
        (result) => result.status === 'rejected' && !(result.reason instanceof LastAdmin || result.reason instanceof StaleState),
      ),
    ).toEqual([]);
    expect(results.some((result) => result.status === 'fulfilled')).toBe(true);
    const sides = await bothSides(id, emails);
    expect(sides.memberships).toEqual(sides.members);
    expect(sides.members.filter(([, role]) => role === 'admin').length).toBeGreaterThanOrEqual(1);
  });

  it('cap the admins an organization is created with at what one transaction holds, with a clear error', async () => {
    const admins = Array.from({ length: 49 }, (_, i) => `admin${i}@acme.test`);
    await expect(orgs.create({ name: 'Crowded', id: 'crowded', admins })).rejects.toEqual(
      new ValidationFailed({ admin: ['at most 48 at creation; add more with add-member'] }),
    );
    await expect(orgs.create({ name: 'Full', id: 'full', admins: admins.slice(0, 48) })).resolves.toBeDefined();
    expect(await orgs.membershipsOf('admin47@acme.test')).toEqual([{ id: 'full', name: 'Full', role: 'admin' }]);
  });

  describe('backfill', () => {
    /** A member item as an earlier version wrote it: no membership item. */
    const legacyMember = (organizationId: string, email: string, role: string) =>
      db.send(
        new PutCommand({
          TableName: table.tableName,
          Item: { pk: `ORG#${organizationId}`, sk: `MEMBER#${email}`, entity: 'member', organization_id: organizationId, email, role },
        }),
      );
    const membershipKey = (organizationId: string, email: string) => ({ pk: `USER#${email}`, sk: `MEMBERSHIP#${organizationId}` });

    it('writes what is missing, fixes what is stale, removes what has no member, and then finds nothing to do', async () => {
      const id = await newOrg(['keeper@acme.test']);
      await legacyMember(id, 'legacy@acme.test', 'member');
      await orgs.addMember(id, 'stale@acme.test', 'member');
      await db.send(
        new UpdateCommand({
          TableName: table.tableName,
          Key: membershipKey(id, 'stale@acme.test'),
          UpdateExpression: 'SET #role = :admin',
          ExpressionAttributeNames: { '#role': 'role' },
          ExpressionAttributeValues: { ':admin': 'admin' },
        }),
      );
      await db.send(
        new PutCommand({
          TableName: table.tableName,
          Item: {
            ...membershipKey(id, 'gone@acme.test'),
            entity: 'membership',
            organization_id: id,
            organization_name: 'Old',
            email: 'gone@acme.test',
            role: 'admin',
          },
        }),
      );
      expect(await orgs.membershipsOf('legacy@acme.test')).toEqual([]);

      const first = await backfillMemberships(db, table.tableName);
      expect(first.written).toBeGreaterThanOrEqual(2);
      expect(first.removed).toBeGreaterThanOrEqual(1);
      const emails = ['keeper@acme.test', 'legacy@acme.test', 'stale@acme.test', 'gone@acme.test'];
      const sides = await bothSides(id, emails);
      expect(sides.memberships).toEqual(sides.members);
      expect(sides.members).toEqual([
        ['keeper@acme.test', 'admin'],
        ['legacy@acme.test', 'member'],
        ['stale@acme.test', 'member'],
      ]);

      expect(await backfillMemberships(db, table.tableName)).toEqual({ written: 0, removed: 0 });
    });

    it('never undoes a member change that lands between its scan and its write', async () => {
      const id = await newOrg(['keeper@acme.test']);
      await legacyMember(id, 'racer@acme.test', 'member');
      const racing = documentClient(table.clientConfig);
      let raced = false;
      racing.middlewareStack.add(
        (next, context) => async (args) => {
          if (!raced && context.commandName === 'TransactWriteItemsCommand') {
            raced = true;
            // Another operator promotes the member after the backfill read it as a member.
            await orgs.addMember(id, 'racer@acme.test', 'admin');
          }
          return next(args);
        },
        { step: 'initialize', name: 'raceBeforeWrite' },
      );
      try {
        await backfillMemberships(racing, table.tableName);
      } finally {
        racing.destroy();
      }
      expect(raced).toBe(true);
      expect(await bothSides(id, ['keeper@acme.test', 'racer@acme.test'])).toEqual({
        members: [
          ['keeper@acme.test', 'admin'],
          ['racer@acme.test', 'admin'],
        ],
        memberships: [
          ['keeper@acme.test', 'admin'],
          ['racer@acme.test', 'admin'],
        ],
      });
    });
  });
});
