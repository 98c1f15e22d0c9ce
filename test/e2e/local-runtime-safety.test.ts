import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, ListTablesCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { localClientConfig } from '../../local/dynamodb-local';
import { stack } from './support';

/**
 * API.md §6 "Safe on a shared network", against the running stack: DynamoDB Local answers on
 * loopback only and refuses any client without the state directory's secret, storing nothing for
 * it; the gateway and the SES emulator answer on loopback only; state is owner-only; only who can
 * read the state directory can sign in.
 */

/** A non-loopback IPv4 address of this machine, where someone on the network would connect. */
const networkAddress = Object.values(networkInterfaces())
  .flat()
  .find((address) => address?.family === 'IPv4' && !address.internal)?.address;

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.setTimeout(5000, () => {
      socket.destroy();
      resolve(false);
    });
  });
}

const { port: dynamodbPort } = new URL(stack.dynamodbEndpoint);

describe('DynamoDB Local of the local stack', () => {
  const endpoint = `http://127.0.0.1:${dynamodbPort}`;
  const databases = () => readdirSync(join(stack.stateDir, 'dynamodb')).sort();

  it('serves the table to the stack, with the state directory key', async () => {
    const insider = new DynamoDBClient(localClientConfig(endpoint, stack.dynamodbAccessKeyId));
    try {
      expect((await insider.send(new ListTablesCommand({}))).TableNames).toContain(stack.tableName);
      const key = { pk: { S: 'ORG#demo' }, sk: { S: 'ORG' } };
      expect((await insider.send(new GetItemCommand({ TableName: stack.tableName, Key: key }))).Item).toBeDefined();
    } finally {
      insider.destroy();
    }
  });

  it('refuses every request signed with another key id, and stores nothing for it: no database file (issue 16 item 8)', async () => {
    const before = databases();
    expect(before).toContain(`${stack.dynamodbAccessKeyId}_us-east-1.db`);
    // Other credentials, and other regions: DynamoDB Local would keep a database (a file) per key id and region.
    const outsiders = [
      new DynamoDBClient({ ...localClientConfig(endpoint, 'local'), maxAttempts: 1 }),
      new DynamoDBClient({
        endpoint,
        region: 'eu-west-1',
        credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x' },
        maxAttempts: 1,
      }),
      // One character off the stack's own.
      new DynamoDBClient({ ...localClientConfig(endpoint, `${stack.dynamodbAccessKeyId.slice(0, -1)}x`), maxAttempts: 1 }),
    ];
    const table = `intruder-${Date.now()}`;
    try {
      for (const outsider of outsiders) {
        for (const command of [
          new ListTablesCommand({}),
          new CreateTableCommand({
            TableName: table,
            AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
            KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
            BillingMode: 'PAY_PER_REQUEST',
          }),
          new PutItemCommand({ TableName: table, Item: { pk: { S: 'x'.repeat(1000) } } }),
          new GetItemCommand({ TableName: stack.tableName, Key: { pk: { S: 'ORG#demo' }, sk: { S: 'ORG' } } }),
        ]) {
          // biome-ignore lint/suspicious/noExplicitAny: one loop over commands of different outputs.
          await expect(outsider.send(command as any)).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
        }
      }
      // Unsigned, as curl would send it.
      const unsigned = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.ListTables' },
        body: '{}',
      });
      expect(unsigned.status).toBe(400);
    } finally {
      for (const client of outsiders) client.destroy();
    }
    expect(databases()).toEqual(before);
  });

  it('cannot be reached on a non-loopback address of this machine (issue 16 item 8)', async () => {
    if (!networkAddress) {
      console.warn('skipped: this machine has no non-loopback IPv4 address to try DynamoDB Local on');
      return;
    }
    const before = databases();
    expect(await reachable('127.0.0.1', Number(dynamodbPort))).toBe(true);
    expect(await reachable(networkAddress, Number(dynamodbPort))).toBe(false);
    const peer = new DynamoDBClient({ ...localClientConfig(`http://${networkAddress}:${dynamodbPort}`, 'peer'), maxAttempts: 1 });
    try {
      await expect(peer.send(new ListTablesCommand({}))).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      peer.destroy();
    }
    expect(databases()).toEqual(before);
  });

  it('lets no web page read its answers (CORS allows no origin, not even the gateway)', async () => {
    for (const origin of [new URL(stack.url).origin, 'http://evil.example']) {
      const preflight = await fetch(stack.dynamodbEndpoint, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-amz-target' },
      });
      expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    }
  });
});

describe('the gateway and the SES emulator', () => {
  const services = [
    ['gateway', Number(new URL(stack.url).port)],
    ['SES emulator', Number(new URL(stack.sesUrl).port)],
  ] as const;

  it.each(services)('the %s answers on loopback', async (_name, port) => {
    expect(await reachable('127.0.0.1', port)).toBe(true);
  });

  it.each(services)('the %s cannot be reached on a non-loopback address of this machine', async (name, port) => {
    if (!networkAddress) {
      console.warn(`skipped: this machine has no non-loopback IPv4 address to try the ${name} on`);
      return;
    }
    expect(await reachable(networkAddress, port)).toBe(false);
  });
});

describe('the state directory', () => {
  it('is owner-only: 0700 directories and 0600 files, DynamoDB Local tables included', () => {
    const modes: Record<string, { mode: string; directory: boolean }> = {};
    const walk = (path: string): void => {
      const stat = lstatSync(path);
      modes[path.slice(stack.stateDir.length) || '/'] = { mode: (stat.mode & 0o777).toString(8), directory: stat.isDirectory() };
      if (stat.isDirectory()) for (const entry of readdirSync(path)) walk(join(path, entry));
    };
    walk(stack.stateDir);

    const names = Object.keys(modes);
    // What a running stack always holds, so the check below cannot pass on an empty directory.
    for (const expected of [
      '/master-key',
      '/dev-issuer-key.json',
      '/dynamodb-access-key-id',
      '/sign-in-code',
      '/runtime.json',
      '/dynamodb',
    ]) {
      expect(names).toContain(expected);
    }
    expect(names).toContainEqual(expect.stringMatching(/^\/dynamodb\/.+\.db$/));
    const wrong = Object.entries(modes).filter(([, { mode, directory }]) => mode !== (directory ? '700' : '600'));
    expect(wrong).toEqual([]);
  });
});

describe('the dev issuer (issue 16 item 7)', () => {
  const consoleUrl = `${stack.url}/console/`;
  const verifier = randomBytes(32).toString('base64url');

  /** The sign-in page's POST, as a browser sends it; answers 303 back to the console with a code, or the page again. */
  function signIn(fields: Record<string, string>): Promise<Response> {
    const form = new URLSearchParams({
      response_type: 'code',
      client_id: stack.audience,
      redirect_uri: consoleUrl,
      scope: 'openid email',
      state: 's',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      ...fields,
    });
    return fetch(`${stack.issuer}/authorize`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
  }

  it('keeps the sign-in code the banner printed in the state directory, owner-only', () => {
    const file = join(stack.stateDir, 'sign-in-code');
    expect(readFileSync(file, 'utf8').trim()).toBe(stack.signInCode);
    expect((statSync(file).mode & 0o777).toString(8)).toBe('600');
  });

  it('issues no code for an email alone or with a wrong sign-in code, and one with the code', async () => {
    const attempts: Record<string, string>[] = [
      { email: 'admin@demo.test' },
      { email: 'admin@demo.test', sign_in_code: 'AAAA-BBBB-CCCC-DDDD' },
    ];
    for (const fields of attempts) {
      const refused = await signIn(fields);
      expect([refused.status, refused.headers.get('location')]).toEqual([403, null]);
    }
    const accepted = await signIn({ email: 'admin@demo.test', sign_in_code: stack.signInCode });
    expect(accepted.status).toBe(303);
    expect(new URL(accepted.headers.get('location')!).searchParams.get('code')).toMatch(/^[\w-]{43}$/);
  });

  it('another user of the machine can read neither the code nor the signing key, so cannot sign in', async () => {
    if (process.getuid?.() !== 0) {
      console.warn('skipped: only root can run a probe as another user');
      return;
    }
    // As `nobody`: what that user could learn from the state directory.
    const probe = `const fs = require('fs');
      for (const file of ['sign-in-code', 'dev-issuer-key.json']) {
        try { fs.readFileSync(require('path').join(process.argv[1], file)); console.log(file + ': read'); }
        catch (error) { console.log(file + ': ' + error.code); }
      }`;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', probe, stack.stateDir], { uid: 65534, gid: 65534 });
    expect(stdout.trim().split('\n')).toEqual(['sign-in-code: EACCES', 'dev-issuer-key.json: EACCES']);
  });
});
