import { randomBytes } from 'node:crypto';
import { ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { LocalSecretBox } from '../../../lambdas/adapters/local-secret-box';
import type { AuditEventView } from '../../../lambdas/domain/audit-event';
import { DEFAULT_RESOURCE_CATALOG } from '../../../lambdas/domain/permissions';
import { checksumOf, hashToken } from '../../../lambdas/domain/token';
import { documentClient } from '../../../lambdas/runtime/clients';
import { createServices } from '../../../lambdas/runtime/services';
import { LOCAL_AWS } from '../../../local/dynamodb-local';
import { generateSigner, reportBody, signatureHeaders } from '../../../local/secret-scanning';
import { HandlerHarness, KEY_PREFIX, type SeededOrganization } from './harness';

/**
 * `POST /v1/secret_scanning/github` (API.md §10) on DynamoDB Local: the signature first, then
 * each token per its organization's `leaked_key_action`, once.
 */

let harness: HandlerHarness;

beforeAll(async () => {
  harness = await HandlerHarness.start();
});
afterAll(() => harness.stop());

let seq = 0;
async function organization(action: 'rotate' | 'notify' = 'rotate'): Promise<SeededOrganization> {
  seq += 1;
  const org = await harness.seedOrganization(`leak-${action}-${seq}`);
  if (action === 'notify') {
    const patched = await harness.call('update-organization-settings', { organizationId: org.id, body: { leaked_key_action: 'notify' } });
    expect(patched.body).toMatchObject({ settings: { leaked_key_action: 'notify' } });
  }
  return org;
}

async function leakedEvents(organizationId: string): Promise<AuditEventView[]> {
  const events = await harness.keys.listAuditEvents(organizationId, { limit: 100 });
  return events.items.filter((event) => event.type === 'api_key.leaked');
}

const isLive = async (token: string) => (await harness.store.findByHash(hashToken(token))) !== undefined;

/** An expiring key, created through the handler (whose scheduler takes its jobs). */
async function expiringKey(organizationId: string, name: string, expiresIn: string) {
  const created = await harness.call<{ api_key: { id: string; value: string } }>('create-api-key', {
    organizationId,
    body: { name, expires_in: expiresIn },
  });
  expect(created.statusCode).toBe(201);
  return created.body.api_key;
}

const WHERE = { url: 'https://github.com/acme/app/blob/abc123/.env', source: 'commit' };

describe('the signature comes first', () => {
  it('refuses a missing, tampered, foreign or unknown signature with 401 invalid_signature, changing nothing', async () => {
    const org = await organization();
    const token = org.firstKey.value;
    const body = reportBody([{ token, ...WHERE }]);
    const good = signatureHeaders(body, harness.signer);
    const stranger = generateSigner();
    const attempts = [
      {},
      { 'Github-Public-Key-Identifier': harness.signer.keyIdentifier },
      signatureHeaders(body.replace('commit', 'gist'), harness.signer),
      { ...good, 'Github-Public-Key-Signature': signatureHeaders(body, stranger)['Github-Public-Key-Signature']! },
      signatureHeaders(body, stranger),
    ];
    for (const headers of attempts) {
      const answer = await harness.reportLeaks(body, { headers });
      expect(answer).toMatchObject({ statusCode: 401, body: { code: 'invalid_signature' } });
    }
    expect(await isLive(token)).toBe(true);
    expect(await leakedEvents(org.id)).toEqual([]);
  });

  it('reads nothing from the table before the signature passes', async () => {
    const org = await organization();
    const sent: string[] = [];
    const watch = (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
      sent.push(String(context.commandName));
      return next(args);
    };
    harness.handlerDynamoDb.middlewareStack.add(watch as never, { step: 'initialize', name: 'watchLeakReads' });
    try {
      const answer = await harness.reportLeaks(reportBody([{ token: org.firstKey.value }]), { signer: generateSigner() });
      expect(answer.statusCode).toBe(401);
      expect(sent).toEqual([]);
      // The watch does see the reads of a report that passes.
      expect((await harness.reportLeaks(reportBody([{ token: org.firstKey.value }]))).statusCode).toBe(200);
      expect(sent).toContain('GetItemCommand');
    } finally {
      harness.handlerDynamoDb.middlewareStack.remove('watchLeakReads');
    }
  });

  it('answers 422 for a signed body of the wrong shape, 400 for one that is not JSON, 413 over 1 MiB', async () => {
    const notArray = JSON.stringify({ token: 'x' });
    expect(await harness.reportLeaks(notArray)).toMatchObject({ statusCode: 422 });
    expect(await harness.reportLeaks('[{"token":1}]')).toMatchObject({ statusCode: 422 });
    const tooMany = reportBody(Array.from({ length: 1001 }, (_, i) => ({ token: `t${i}` })));
    expect(await harness.reportLeaks(tooMany)).toMatchObject({ statusCode: 422 });
    expect(await harness.reportLeaks('[{"token":')).toMatchObject({ statusCode: 400, body: { code: 'invalid_json' } });
    const huge = reportBody([{ token: 'x', url: `https://github.com/${'a'.repeat(1024 * 1024)}` }]);
    expect(await harness.reportLeaks(huge)).toMatchObject({ statusCode: 413 });
  });
});

describe('rotate (the default)', () => {
  it('rotates the key now: the token is gone, a new key has its name and permissions, one api_key.leaked event', async () => {
    const org = await organization();
    const created = await harness.keys.create(org.id, { type: 'system' }, { name: 'ci deploy' });
    const answer = await harness.reportLeaks([{ token: created.value, ...WHERE }]);
    expect(answer.statusCode).toBe(200);
    expect(answer.body).toEqual([{ token_hash: hashToken(created.value), token_type: 'keyward_api_key', label: 'true_positive' }]);
    // Nothing in the answer names the organization or the key.
    expect(JSON.stringify(answer.body)).not.toContain(org.id);
    expect(JSON.stringify(answer.body)).not.toContain(created.id);

    expect(await isLive(created.value)).toBe(false);
    const keys = await harness.listKeys(org.id);
    const replacement = keys.find((key) => key.name === 'ci deploy');
    expect(replacement).toBeDefined();
    expect(replacement!.id).not.toBe(created.id);
    expect(replacement!.permissions).toEqual(created.permissions);

    const events = await harness.keys.listAuditEvents(org.id, { limit: 100 });
    expect(events.items.filter((event) => event.type === 'api_key.rotated')).toEqual([]);
    const [leaked, ...more] = await leakedEvents(org.id);
    expect(more).toEqual([]);
    expect(leaked).toMatchObject({
      api_key_id: created.id,
      actor: { type: 'system' },
      details: { ...WHERE, action: 'rotate', new_api_key_id: replacement!.id, name: 'ci deploy', masked_value: created.masked_value },
    });
    expect(JSON.stringify(leaked)).not.toContain(created.value);
  });

  it("gives the replacement the key's allowed_ips and its organization's usage identifier (plans in AWS)", async () => {
    const org = await organization();
    await harness.store.setUsageIdentifier(org.id, { id: 'uid-leak', value: 'usage-identifier-leak' });
    const created = await harness.keys.create(org.id, { type: 'system' }, { name: 'fenced', allowed_ips: ['203.0.113.0/24'] });
    expect((await harness.store.findByHash(hashToken(created.value)))?.usageIdentifier).toBe('usage-identifier-leak');

    const answer = await harness.reportLeaks([{ token: created.value, ...WHERE }]);
    expect(answer.body[0]!.label).toBe('true_positive');
    expect(await isLive(created.value)).toBe(false);
    const replacement = (await harness.listKeys(org.id)).find((key) => key.name === 'fenced');
    expect(replacement).toBeDefined();
    expect(replacement!.id).not.toBe(created.id);
    expect(replacement!.allowed_ips).toEqual(['203.0.113.0/24']);
    const [leaked] = await leakedEvents(org.id);
    expect(leaked).toMatchObject({ details: { action: 'rotate', new_api_key_id: replacement!.id } });
    // The replacement's hot item (the authorizer's only read) carries the identifier API Gateway meters by.
    const hot = await harness.handlerDynamoDb.send(
      new ScanCommand({
        TableName: harness.tableName,
        FilterExpression: 'sk = :sk AND api_key_id = :id',
        ExpressionAttributeValues: { ':sk': 'KEYHASH', ':id': replacement!.id },
      }),
    );
    expect(hot.Items).toEqual([expect.objectContaining({ usage_identifier: 'usage-identifier-leak' })]);
  });

  it('rotates the last non-expiring key too (the last-key rule never blocks it)', async () => {
    const org = await organization();
    const answer = await harness.reportLeaks([{ token: org.firstKey.value }]);
    expect(answer.body[0]!.label).toBe('true_positive');
    expect(await isLive(org.firstKey.value)).toBe(false);
    expect(await harness.listKeys(org.id)).toHaveLength(1);
  });

  it('acts once on a token reported twice in a batch, again later, and concurrently', async () => {
    const org = await organization();
    const token = org.firstKey.value;
    const first = await harness.reportLeaks([
      { token, ...WHERE },
      { token, ...WHERE },
    ]);
    expect(first.body.map((verdict) => verdict.label)).toEqual(['true_positive', 'true_positive']);
    // A later report (or GitHub's redelivery) of the rotated token: still a true positive, nothing more done.
    const again = await harness.reportLeaks([{ token, url: 'https://gist.github.com/x', source: 'gist' }]);
    expect(again.body[0]!.label).toBe('true_positive');
    expect(await leakedEvents(org.id)).toHaveLength(1);
    expect(await harness.listKeys(org.id)).toHaveLength(1);

    const other = await organization();
    const duplicates = await Promise.all(Array.from({ length: 4 }, () => harness.reportLeaks([{ token: other.firstKey.value }])));
    expect(duplicates.map((answer) => [answer.statusCode, answer.body[0]!.label])).toEqual(Array(4).fill([200, 'true_positive']));
    expect(await leakedEvents(other.id)).toHaveLength(1);
    expect(await harness.listKeys(other.id)).toHaveLength(1);
  });

  it('ends a key pending a scheduled rotation now, superseding the rotation, without another replacement', async () => {
    const org = await organization();
    const scheduled = await harness.call<{ api_key: { id: string } }>('rotate-api-key', {
      organizationId: org.id,
      apiKeyId: org.firstKey.id,
      body: { expires_in: '24h' },
    });
    expect(scheduled.statusCode).toBe(200);
    const answer = await harness.reportLeaks([{ token: org.firstKey.value, ...WHERE }]);
    expect(answer.body[0]!.label).toBe('true_positive');
    expect(await isLive(org.firstKey.value)).toBe(false);
    expect((await harness.listKeys(org.id)).map((key) => key.id)).toEqual([scheduled.body.api_key.id]);
    const [leaked] = await leakedEvents(org.id);
    expect(leaked).toMatchObject({ api_key_id: org.firstKey.id, details: { action: 'rotate' } });
  });

  it('rotates a key with its own expiry into a key without one', async () => {
    const org = await organization();
    const expiring = await expiringKey(org.id, 'temp', '7d');
    const answer = await harness.reportLeaks([{ token: expiring.value }]);
    expect(answer.body[0]!.label).toBe('true_positive');
    expect(await isLive(expiring.value)).toBe(false);
    const replacement = (await harness.listKeys(org.id)).find((key) => key.name === 'temp');
    expect(replacement).toMatchObject({ expires_at: null });
  });

  it('ends a key expiring within the landing margin now, without a replacement (a rotation could not land in time)', async () => {
    const org = await organization();
    const expiring = await expiringKey(org.id, 'dying', '1h');
    const stored = await harness.store.getKey(org.id, expiring.id);
    // Judged half a second before its expiry: alive, but past what a rotation may change (CHANGE_LANDING_MARGIN_MS).
    const clock = { now: () => new Date(Date.parse(stored!.expiresAt!) - 500) };
    const { leaks } = createServices({
      store: harness.store,
      secrets: new LocalSecretBox(randomBytes(32).toString('base64')),
      clock,
      keyPrefix: KEY_PREFIX,
      catalog: DEFAULT_RESOURCE_CATALOG,
    });
    const [verdict] = await leaks.report([{ token: expiring.value, type: 'keyward_api_key', ...WHERE }]);
    expect(verdict!.label).toBe('true_positive');
    expect(await isLive(expiring.value)).toBe(false);
    expect((await harness.listKeys(org.id)).map((key) => key.id)).toEqual([org.firstKey.id]);
    const [leaked, ...more] = await leakedEvents(org.id);
    expect(more).toEqual([]);
    expect(leaked).toMatchObject({ api_key_id: expiring.id, details: { action: 'rotate' } });
    expect(leaked!.details).not.toHaveProperty('new_api_key_id');
  });
});

describe('notify', () => {
  it('leaves the key working, records api_key.leaked once, and still labels later reports true_positive', async () => {
    const org = await organization('notify');
    const token = org.firstKey.value;
    for (let i = 0; i < 2; i++) {
      const answer = await harness.reportLeaks([{ token, ...WHERE }]);
      expect(answer.body[0]!.label).toBe('true_positive');
    }
    await Promise.all([harness.reportLeaks([{ token }]), harness.reportLeaks([{ token }])]);
    expect(await isLive(token)).toBe(true);
    const leaked = await leakedEvents(org.id);
    expect(leaked).toHaveLength(1);
    expect(leaked[0]!.details).toMatchObject({ ...WHERE, action: 'notify' });
    expect(leaked[0]!.details).not.toHaveProperty('new_api_key_id');
  });
});

describe('false positives', () => {
  it('labels look-alikes, other prefixes, unknown and deleted keys false_positive, reading no key for a bad checksum', async () => {
    const org = await organization();
    const token = org.firstKey.value;
    const body = token.slice(0, -6);
    const wrongChecksum = `${body}${checksumOf(`${body}x`)}`;
    const otherPrefix = `zz${token.slice(KEY_PREFIX.length)}`;
    const unknownBody = `${KEY_PREFIX}_${'A'.repeat(30)}`;
    const unknown = `${unknownBody}${checksumOf(unknownBody)}`;
    const extra = await harness.keys.create(org.id, { type: 'system' }, { name: 'gone' });
    await harness.keys.delete(org.id, { type: 'system' }, extra.id);

    const answer = await harness.reportLeaks([
      { token: wrongChecksum },
      { token: otherPrefix },
      { token: unknown },
      { token: extra.value },
    ]);
    expect(answer.body.map((verdict) => verdict.label)).toEqual(Array(4).fill('false_positive'));
    expect(answer.body.map((verdict) => verdict.token_hash)).toEqual([wrongChecksum, otherPrefix, unknown, extra.value].map(hashToken));
    expect(await isLive(token)).toBe(true);
    expect(await leakedEvents(org.id)).toEqual([]);
  });

  it('labels a key past its expires_at (already refused, not yet retired) false_positive and leaves it to its retirement', async () => {
    const org = await organization();
    const expiring = await expiringKey(org.id, 'old', '1h');
    const past = new Date(Date.now() - 60_000).toISOString();
    const raw = documentClient({ ...LOCAL_AWS, endpoint: process.env.DYNAMODB_ENDPOINT });
    try {
      for (const Key of [
        { pk: `ORG#${org.id}`, sk: `KEY#${expiring.id}` },
        { pk: `KEYHASH#${hashToken(expiring.value)}`, sk: 'KEYHASH' },
      ]) {
        await raw.send(
          new UpdateCommand({
            TableName: harness.tableName,
            Key,
            UpdateExpression: 'SET expires_at = :at',
            ExpressionAttributeValues: { ':at': past },
          }),
        );
      }
    } finally {
      raw.destroy();
    }
    const answer = await harness.reportLeaks([{ token: expiring.value }]);
    expect(answer.body[0]!.label).toBe('false_positive');
    expect(await leakedEvents(org.id)).toEqual([]);
  });
});
