/**
 * `npm run bench:allowlist` (issue 18 item 5): what a key's IP allowlist costs the api-key
 * authorizer, on the real engine (DynamoDB Local), in one run: p50/p99 of the same allowed
 * decision for a key without an allowlist, with one block and with the maximum of 20 (the
 * matching block last), interleaved so drift and load elsewhere affect all alike, with the process's
 * CPU per call; the hot item's size (DynamoDB's item-size rules, what a read unit is charged by)
 * for each; and the CPU of the decision alone (`decide`, no I/O), where the allowlist's parsing
 * and matching show. Its own file, so `npm run bench` stays as it is; asserts nothing.
 */

// First: no Powertools logger or metric lines between the figures.
import './quiet';
import { performance } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { DynamoDbKeyStore } from '../lambdas/adapters/dynamodb/key-store';
import { DynamoDbHttpClient } from '../lambdas/adapters/dynamodb-http/client';
import { DynamoDbHttpKeyLookup } from '../lambdas/adapters/dynamodb-http/key-lookup';
import { allowedIpsSchema } from '../lambdas/domain/allowed-ips';
import { decide } from '../lambdas/domain/authorization';
import { systemClock } from '../lambdas/domain/clock';
import { DEFAULT_RESOURCE_CATALOG } from '../lambdas/domain/permissions';
import { buildRouteTable, EXAMPLE_ROUTES, findRoute } from '../lambdas/domain/routes';
import { hashToken } from '../lambdas/domain/token';
import { createServices } from '../lambdas/runtime/services';
import { type ApiTarget, authorizerEvent } from '../local/api-gateway-events';
import { LOCAL_AWS, startDynamoDbLocal } from '../local/dynamodb-local';
import { ensureTable } from '../local/table';
import { plainSecretBox } from '../test/support/fakes';
import { freePort } from '../test/support/free-port';
import { formatTable, ms, times, us } from './format';
import { itemSize } from './item-size';
import { percentile } from './stats';

const TABLE = 'keyward-bench-allowlist';
const WARMUP_ROUNDS = 300;
const ROUNDS = 3000;
/** Calls of the decision alone (`decide`, no I/O) per case, for its CPU time. */
const DECISIONS = 20_000;
const SOURCE_IP = '198.51.100.20';
const API: ApiTarget = { region: 'us-east-1', accountId: '123456789012', apiId: 'bench', stage: 'prod' };

async function main(): Promise<void> {
  const dynamo = await startDynamoDbLocal({ port: await freePort() });
  Object.assign(process.env, {
    TABLE_NAME: TABLE,
    DYNAMODB_ENDPOINT: dynamo.endpoint,
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
  });
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: dynamo.endpoint });
  try {
    await ensureTable(client, TABLE);
    const db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    const { keys, organizations } = createServices({
      store: new DynamoDbKeyStore(db, TABLE),
      secrets: plainSecretBox,
      clock: systemClock,
      keyPrefix: 'kw',
      catalog: DEFAULT_RESOURCE_CATALOG,
    });
    const { api_key: open, organization } = await organizations.create({ name: 'Bench', admins: ['bench@example.test'] });
    const admin = { type: 'user', email: 'bench@example.test' } as const;
    const blocks = (n: number) => allowedIpsSchema.parse([...Array.from({ length: n - 1 }, (_, i) => `10.${i}.0.0/16`), '198.51.100.0/24']);
    const one = await keys.create(organization.id, admin, { allowed_ips: blocks(1) });
    const twenty = await keys.create(organization.id, admin, { allowed_ips: blocks(20) });

    const { createApiKeyAuthorizer } = await import('../lambdas/api-key-authorizer');
    const lookup = new DynamoDbHttpKeyLookup(new DynamoDbHttpClient({ ...LOCAL_AWS, endpoint: dynamo.endpoint }), TABLE);
    const authorize = createApiKeyAuthorizer({ store: lookup, clock: systemClock, keyPrefix: 'kw', routes: EXAMPLE_ROUTES });
    const request = (token: string): APIGatewayRequestAuthorizerEvent => {
      const event = authorizerEvent({ method: 'GET', resource: '/v1/customers', headers: { 'x-api-key': token }, api: API });
      event.requestContext.identity.sourceIp = SOURCE_IP;
      return event;
    };
    const cases = { 'no allowlist': request(open.value), '1 block': request(one.value), '20 blocks': request(twenty.value) };
    const names = Object.keys(cases) as (keyof typeof cases)[];
    for (const name of names) {
      const result = await authorize(cases[name]);
      if (result.policyDocument.Statement[0]?.Effect !== 'Allow') throw new Error(`${name}: not allowed`);
    }
    const wall = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<keyof typeof cases, number[]>;
    // The process's CPU (user + system) per call: what Lambda bills, DynamoDB Local's own apart.
    const cpu = Object.fromEntries(names.map((name) => [name, 0])) as Record<keyof typeof cases, number>;
    for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
      for (let i = 0; i < names.length; i++) {
        const name = names[(round + i) % names.length]!;
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        await authorize(cases[name]);
        if (round >= WARMUP_ROUNDS) {
          const used = process.cpuUsage(c0);
          cpu[name] += used.user + used.system;
          wall[name].push(performance.now() - t0);
        }
      }
    }

    const hotItem = async (token: string) =>
      (await db.send(new GetCommand({ TableName: TABLE, Key: { pk: `KEYHASH#${hashToken(token)}`, sk: 'KEYHASH' }, ConsistentRead: true })))
        .Item ?? {};
    const tokens = { 'no allowlist': open.value, '1 block': one.value, '20 blocks': twenty.value };
    const base = percentile(wall['no allowlist'], 50);
    const rows: string[][] = [['case', 'p50', 'p99', 'p50 vs none', 'CPU per call', 'hot item']];
    for (const name of names) {
      const size = itemSize(await hotItem(tokens[name]));
      const p50 = percentile(wall[name], 50);
      rows.push([
        name,
        ms(p50),
        ms(percentile(wall[name], 99)),
        times(p50 / base),
        us(cpu[name] / ROUNDS),
        `${size} B (${Math.ceil(size / 4096)} read unit)`,
      ]);
    }
    console.log(
      formatTable(`Authorizer with and without an IP allowlist (${ROUNDS} interleaved calls each, DynamoDB Local, thin adapter)`, rows),
    );

    // The decision alone, on the hot items as read: the allowlist's own CPU, without the round trip's.
    const route = findRoute(buildRouteTable(EXAMPLE_ROUTES), 'GET', '/v1/customers');
    const decisionRows: string[][] = [['case', 'CPU per decision', 'vs none']];
    const perDecision: Partial<Record<keyof typeof cases, number>> = {};
    for (const name of names) {
      const key = await lookup.findByHash(hashToken(tokens[name]));
      const now = new Date();
      for (let i = 0; i < DECISIONS / 10; i++) decide(key, route, now, SOURCE_IP);
      const c0 = process.cpuUsage();
      for (let i = 0; i < DECISIONS; i++) {
        if (decide(key, route, now, SOURCE_IP).kind !== 'allow') throw new Error(`${name}: not allowed`);
      }
      const used = process.cpuUsage(c0);
      perDecision[name] = (used.user + used.system) / DECISIONS;
      decisionRows.push([name, us(perDecision[name]), times(perDecision[name] / perDecision['no allowlist']!)]);
    }
    console.log(formatTable(`The decision alone (decide, ${DECISIONS} calls each, no I/O)`, decisionRows));
  } finally {
    client.destroy();
    await dynamo.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
