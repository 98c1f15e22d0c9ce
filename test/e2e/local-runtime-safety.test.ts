import { lstatSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand, ListTablesCommand, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { localClientConfig } from '../../local/dynamodb-local';
import { stack } from './support';

/**
 * API.md §6 "Safe on a shared network", against the running stack: DynamoDB Local (which can only
 * listen on every interface) shows nothing to a client without the state directory's secret; the
 * gateway and the SES emulator answer on loopback only; state is owner-only.
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
const hosts = ['127.0.0.1', ...(networkAddress ? [networkAddress] : [])];

describe('DynamoDB Local of the local stack', () => {
  it.each(hosts)('shows no table to a client on %s without the state directory key', async (host) => {
    const key = { pk: { S: 'ORG#demo' }, sk: { S: 'ORG' } };
    const insider = new DynamoDBClient(localClientConfig(`http://${host}:${dynamodbPort}`, stack.dynamodbAccessKeyId));
    // Other credentials, and other regions: DynamoDB Local keeps a database per key id and region.
    const outsiders = [
      new DynamoDBClient(localClientConfig(`http://${host}:${dynamodbPort}`, 'local')),
      new DynamoDBClient({
        endpoint: `http://${host}:${dynamodbPort}`,
        region: 'eu-west-1',
        credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x' },
      }),
    ];
    try {
      expect((await insider.send(new ListTablesCommand({}))).TableNames).toContain(stack.tableName);
      expect((await insider.send(new GetItemCommand({ TableName: stack.tableName, Key: key }))).Item).toBeDefined();
      for (const outsider of outsiders) {
        expect((await outsider.send(new ListTablesCommand({}))).TableNames).toEqual([]);
        await expect(outsider.send(new GetItemCommand({ TableName: stack.tableName, Key: key }))).rejects.toBeInstanceOf(
          ResourceNotFoundException,
        );
      }
    } finally {
      for (const client of [insider, ...outsiders]) client.destroy();
    }
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
    for (const expected of ['/master-key', '/dev-issuer-key.json', '/dynamodb-access-key-id', '/runtime.json', '/dynamodb']) {
      expect(names).toContain(expected);
    }
    expect(names).toContainEqual(expect.stringMatching(/^\/dynamodb\/.+\.db$/));
    const wrong = Object.entries(modes).filter(([, { mode, directory }]) => mode !== (directory ? '700' : '600'));
    expect(wrong).toEqual([]);
  });
});
