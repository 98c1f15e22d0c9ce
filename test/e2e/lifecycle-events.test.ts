import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { localClientConfig } from '../../local/dynamodb-local';
import { E2E_STILL_IN_USE_WINDOW_SECONDS } from '../support/local-stack-setup';
import { admin, consumer, newOrganization, stack, type TestOrganization } from './support';

/**
 * API.md §8 over real HTTP against `npm start`: the "still in use" warning (a rotated-out key used
 * inside the e2e stack's shortened window) and the lifecycle events in `.keyward/events.jsonl`.
 */
interface StoredEmail {
  subject: string;
  destination: { bcc: string[] };
  body: { text?: string; html?: string };
}

const WARNING = 'An API key about to expire is still in use';
const TOKEN_SHAPE = /[a-z][a-z0-9]{0,15}_[0-9A-Za-z]{36}/;

async function eventually<T>(probe: () => Promise<T> | T, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function emails(): Promise<StoredEmail[]> {
  return ((await (await fetch(`${stack.sesUrl}/store`)).json()) as { emails: StoredEmail[] }).emails;
}

interface Envelope {
  id: string;
  source: string;
  'detail-type': string;
  time: string;
  detail: Record<string, unknown> & { id: string };
}

function eventLines(): Envelope[] {
  return readFileSync(join(stack.stateDir, 'events.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Envelope);
}

/** Every audit event in the stack's table, as stored. */
async function storedAuditEvents(): Promise<Record<string, unknown>[]> {
  const client = new DynamoDBClient(localClientConfig(stack.dynamodbEndpoint, stack.dynamodbAccessKeyId));
  try {
    const events: Record<string, unknown>[] = [];
    const pages = paginateScan(
      { client },
      { TableName: stack.tableName, FilterExpression: 'entity = :event', ExpressionAttributeValues: { ':event': { S: 'audit_event' } } },
    );
    for await (const page of pages) events.push(...(page.Items ?? []).map((item) => unmarshall(item)));
    return events;
  } finally {
    client.destroy();
  }
}

describe('key lifecycle: still-in-use warning and lifecycle events', () => {
  let org: TestOrganization;
  const tokens: string[] = [];

  beforeAll(async () => {
    org = await newOrganization('lifecycle');
    tokens.push(org.key);
  });

  async function rotatedOut(name: string, aheadMs: number) {
    const created = await admin('POST', org.keysPath, { jwt: org.jwt, body: { name } });
    const key = created.body.api_key as { id: string; value: string; masked_value: string };
    const expiresAt = new Date(Date.now() + aheadMs).toISOString();
    const rotated = await admin('POST', `${org.keysPath}/${key.id}/rotate`, { jwt: org.jwt, body: { expires_at: expiresAt } });
    expect(rotated.status).toBe(200);
    tokens.push(key.value, rotated.body.api_key.value);
    return { ...key, expiresAt };
  }

  it('mails exactly one warning, naming the last use, for a rotated-out key used inside its last window, and none for one used before', async () => {
    // Used well before its window: no warning. Used inside it: one, however often it is used.
    const early = await rotatedOut('used early', (E2E_STILL_IN_USE_WINDOW_SECONDS + 60) * 1000);
    const late = await rotatedOut('used late', 10_000);
    expect((await consumer('GET', '/v1/customers', early.value)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await consumer('GET', '/v1/customers', late.value)).status).toBe(200);

    const warnings = await eventually(
      async () => (await emails()).filter((email) => email.subject === WARNING && email.body.text?.includes(org.id)),
      (found) => found.length > 0,
    );
    const lastUsedAt = (await admin('GET', `${org.keysPath}/${late.id}`, { jwt: org.jwt })).body.api_key.last_used_at as string;
    expect(lastUsedAt).toEqual(expect.any(String));

    // After the key is retired nothing more can come: the warning is there once.
    await eventually(
      () => admin('GET', `${org.keysPath}/${late.id}`, { jwt: org.jwt }),
      (reply) => reply.status === 404,
    );
    const after = (await emails()).filter((email) => email.subject === WARNING && email.body.text?.includes(org.id));
    expect(after).toHaveLength(1);
    expect(after[0]!.destination.bcc).toEqual([org.adminEmail]);
    expect(after[0]!.body.text).toContain(`Last used: ${lastUsedAt} (UTC)`);
    expect(after[0]!.body.text).toContain(late.masked_value);
    expect(warnings[0]!.body.text).not.toContain(early.masked_value);

    const audit = await admin('GET', `/v1/organizations/${org.id}/audit_events`, { jwt: org.jwt });
    const stillInUse = audit.body.audit_events.filter((event: { type: string }) => event.type === 'api_key.still_in_use');
    expect(stillInUse).toEqual([
      expect.objectContaining({
        api_key_id: late.id,
        actor: { type: 'system' },
        details: expect.objectContaining({ last_used_at: lastUsedAt, expires_at: late.expiresAt }),
      }),
    ]);
  });

  it('appends every audit event of the run to .keyward/events.jsonl exactly once, as stored, without a token', async () => {
    const stored = await storedAuditEvents();
    expect(stored.length).toBeGreaterThan(0);
    const lines = await eventually(
      () => eventLines(),
      (found) => stored.every((event) => found.some((line) => line.id === event.id)),
    );
    const ids = lines.map((line) => line.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const event of stored) {
      const { pk: _pk, sk: _sk, entity: _entity, ...asStored } = event;
      const line = lines.find((candidate) => candidate.id === event.id)!;
      expect(line).toEqual({ id: event.id, source: 'keyward', 'detail-type': event.type, time: event.occurred_at, detail: asStored });
    }
    expect(lines.filter((line) => line.detail.organization_id === org.id).map((line) => line['detail-type'])).toEqual(
      expect.arrayContaining(['api_key.created', 'api_key.rotated', 'api_key.retired', 'api_key.still_in_use']),
    );
    const file = readFileSync(join(stack.stateDir, 'events.jsonl'), 'utf8');
    expect(file).not.toMatch(TOKEN_SHAPE);
    for (const token of [...tokens, stack.demoKey]) expect(file).not.toContain(token);
  });
});
