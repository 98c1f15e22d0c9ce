/**
 * Section 7 of the bench (run.ts): end to end, at equal concurrency, through the local gateway
 * (autocannon, loopback): the gateway alone, the gateway + authorizer + echo, and one GetItem
 * straight to DynamoDB Local.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import * as aws4 from 'aws4';
import { LOCAL_AWS } from '../../local/dynamodb-local';
import { printTable, TABLE } from '../harness';
import { load } from '../load';

const LOAD = { connections: 8, seconds: 5 };

type LoadResult = Awaited<ReturnType<typeof load>>;

/** The three loads, one after the other. */
export async function measureEndToEnd(target: {
  gatewayUrl: string;
  dynamoEndpoint: string;
  /** The bench key's token. */
  token: string;
  /** The bench key's hot item. */
  hotKey: { pk: string; sk: string };
}): Promise<{ health: LoadResult; authorized: LoadResult; getItem: LoadResult }> {
  const { gatewayUrl, dynamoEndpoint, token, hotKey } = target;
  // The GetItem signed once: DynamoDB Local checks no signature.
  const getItemBody = JSON.stringify({ TableName: TABLE, Key: marshall(hotKey), ConsistentRead: true });
  const signed = aws4.sign(
    {
      host: new URL(dynamoEndpoint).host,
      method: 'POST',
      service: 'dynamodb',
      region: LOCAL_AWS.region,
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.GetItem' },
      body: getItemBody,
    },
    LOCAL_AWS.credentials,
  );
  return {
    health: await load(`${gatewayUrl}/health`, LOAD),
    authorized: await load(`${gatewayUrl}/v1/customers`, { ...LOAD, headers: { 'x-api-key': token } }),
    getItem: await load(`${dynamoEndpoint}/`, {
      ...LOAD,
      method: 'POST',
      headers: Object.fromEntries(Object.entries(signed.headers ?? {}).map(([name, value]) => [name, String(value)])),
      body: getItemBody,
    }),
  };
}

/** Prints section 7. */
export function printEndToEnd(e2e: { health: LoadResult; authorized: LoadResult; getItem: LoadResult }): void {
  const row = (name: string, result: LoadResult) => [
    name,
    `${result.requestsPerSecond.toFixed(0)} req/s`,
    `${result.p50} ms`,
    `${result.p99} ms`,
    `${result.non2xx + result.errors}`,
  ];
  printTable(`7. End to end (autocannon, ${LOAD.connections} connections × ${LOAD.seconds} s each, loopback)`, [
    ['target', 'throughput', 'p50', 'p99', 'non-2xx + errors'],
    row('gateway GET /health', e2e.health),
    row('gateway GET /v1/customers (authorizer + echo)', e2e.authorized),
    row('DynamoDB Local GetItem, direct', e2e.getItem),
  ]);
}
