/**
 * Section 11 of `npm run bench` (also `npx tsx bench/leaks.ts` alone): how long a secret-scanning
 * report of 1,000 tokens takes (API.md §10: at most 1,000 per report, within the function's time
 * limit), on DynamoDB Local through the real leak service, for the three kinds of token a report
 * holds: look-alikes the checksum drops (no read), well-formed tokens of no key (two reads), and
 * live keys rotated at once (reads and one transaction each). Plus the signature check of a
 * 1,000-item body. Prints figures, asserts nothing; tables only (./quiet, bench/format.ts).
 */
import './quiet';

import { sign, verify } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbKeyStore } from '../lambdas/adapters/dynamodb/key-store';
import { systemClock } from '../lambdas/domain/clock';
import type { LeakReportItem } from '../lambdas/domain/leak';
import { DEFAULT_RESOURCE_CATALOG } from '../lambdas/domain/permissions';
import { checksumOf } from '../lambdas/domain/token';
import { createServices } from '../lambdas/runtime/services';
import { LOCAL_AWS, startDynamoDbLocal } from '../local/dynamodb-local';
import { generateSigner, reportBody } from '../local/secret-scanning';
import { ensureTable } from '../local/table';
import { plainSecretBox } from '../test/support/fakes';
import { freePort } from '../test/support/free-port';
import { count, formatTable, kb, ms } from './format';

const TOKENS = 1000;
const KEYS_PER_ORGANIZATION = 100;
const SYSTEM = { type: 'system' } as const;

const item = (token: string): LeakReportItem => ({
  token,
  type: 'keyward_api_key',
  url: 'https://github.com/o/r/blob/1/.env',
  source: 'commit',
});

/** Rows of `[case, total, per token]` for 1,000-token reports against `tableName`. */
export async function leakReportFigures(db: DynamoDBDocumentClient, client: DynamoDBClient, tableName: string): Promise<string[][]> {
  await ensureTable(client, tableName);
  const services = createServices({
    store: new DynamoDbKeyStore(db, tableName),
    secrets: plainSecretBox,
    clock: systemClock,
    keyPrefix: 'kw',
    catalog: DEFAULT_RESOURCE_CATALOG,
  });
  const live: string[] = [];
  for (let org = 0; live.length < TOKENS; org++) {
    const created = await services.organizations.create({ name: `Leaks ${org}`, id: `leaks-${org}`, admins: ['bench@example.test'] });
    live.push(created.api_key.value);
    const more = Math.min(KEYS_PER_ORGANIZATION, TOKENS - live.length + 1) - 1;
    const keys = await Promise.all(Array.from({ length: more }, () => services.keys.create(created.organization.id, SYSTEM, {})));
    live.push(...keys.map((key) => key.value));
  }
  const lookAlikes = live.map((token) => `${token.slice(0, -6)}${checksumOf(`${token.slice(0, -6)}x`)}`);
  const unknown = Array.from({ length: TOKENS }, (_, i) => {
    const body = `kw_${String(i).padStart(30, 'Z')}`;
    return `${body}${checksumOf(body)}`;
  });

  const time = async (tokens: string[]) => {
    const started = performance.now();
    const verdicts = await services.leaks.report(tokens.map(item));
    const total = performance.now() - started;
    return { total, positives: verdicts.filter((verdict) => verdict.label === 'true_positive').length };
  };
  const row = (name: string, figure: { total: number; positives: number }) => [
    name,
    ms(figure.total),
    ms(figure.total / TOKENS),
    count(figure.positives),
  ];

  const signer = generateSigner();
  const body = Buffer.from(reportBody(live.map((token) => ({ token }))));
  const signature = sign('sha256', body, { key: signer.privateKey, dsaEncoding: 'der' });
  const verifyStarted = performance.now();
  verify('sha256', body, { key: signer.publicKeyPem, dsaEncoding: 'der' }, signature);
  const verifyMs = performance.now() - verifyStarted;

  return [
    ['1,000-token report', 'total', 'per token', 'true positives'],
    [`signature check of the ${kb(body.length)} body`, ms(verifyMs), '', ''],
    row('look-alikes (checksum drops them, no read)', await time(lookAlikes)),
    row('well-formed, no such key (2 reads each)', await time(unknown)),
    row('live keys, rotated now', await time(live)),
    row('the same report again (already rotated: 1 read each)', await time(live)),
  ];
}

if (require.main === module) {
  void (async () => {
    const dynamo = await startDynamoDbLocal({ port: await freePort() });
    const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: dynamo.endpoint });
    try {
      const db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
      const rows = await leakReportFigures(db, client, 'keyward-bench-leaks');
      console.log(formatTable('11. Secret-scanning reports of 1,000 tokens (API.md §10), DynamoDB Local', rows));
    } finally {
      client.destroy();
      await dynamo.stop();
    }
  })().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
