import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDbUsageCounters } from '../../lambdas/adapters/dynamodb/usage-counters';
import { documentClient } from '../../lambdas/runtime/clients';
import { createUsageAggregator, encodeLogsEvent } from '../../lambdas/usage/aggregator';
import { localClientConfig } from '../../local/dynamodb-local';
import { browserSession, CONSOLE_URL, eventually, expectAccessible, keyRow, SCREENSHOTS, signIn } from './browser/browser';
import { admin, consumer, newOrganization, stack, type TestOrganization } from './support';

/**
 * Usage in the console (API.md §9) in a real browser against `npm start`'s stack: the keys
 * table's **Requests (24h)** column and the **Usage** tab (chart, key filter, the same figures as
 * a table), fed by real requests through the gateway, its access log and the aggregator.
 */

const session = browserSession();

const masked = (token: string) => `kw_••••••••${token.slice(-4)}`;

async function readOnlyKey(org: TestOrganization, name: string) {
  const reply = await admin('POST', org.keysPath, { jwt: org.jwt, body: { name, permissions: { customer: ['read'] } } });
  expect(reply.status).toBe(201);
  return reply.body.api_key as { id: string; value: string; masked_value: string };
}

/** Waits until the API counts `total` requests for the organization (the shipper delivers every second). */
async function counted(org: TestOrganization, total: number): Promise<void> {
  await eventually(
    `${total} requests counted`,
    async () => {
      const reply = await admin('GET', `/v1/organizations/${org.id}/usage?granularity=hour`, { jwt: org.jwt });
      const sum = (reply.body.usage as { allowed: number; denied: Record<string, number>; throttled: number }[]).reduce(
        (all, bucket) => all + bucket.allowed + bucket.throttled + Object.values(bucket.denied).reduce((a, b) => a + b, 0),
        0,
      );
      return sum >= total;
    },
    30_000,
  );
}

describe('usage in the console', () => {
  it('shows each key’s requests of the last 24 hours in the keys table, and the Usage tab charts and tabulates them, by key', async () => {
    const org = await newOrganization('usage-ui');
    const readOnly = await readOnlyKey(org, 'reporting');
    for (let i = 0; i < 5; i++) expect((await consumer('GET', '/v1/customers', org.key)).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await consumer('POST', '/v1/customers', readOnly.value)).status).toBe(403);
    await counted(org, 7);

    await signIn(session.page, org.adminEmail);
    const table = session.page.getByRole('table');
    await table.waitFor();
    const headers = (await table.getByRole('columnheader').allTextContents()).map((text) => text.trim());
    expect(headers).toEqual(['Name', 'Token', 'Last used', 'Requests (24h)', 'Created']);
    await keyRow(session.page, masked(org.key)).getByRole('cell', { name: '5', exact: true }).waitFor();
    await keyRow(session.page, 'reporting').getByRole('cell', { name: '2', exact: true }).waitFor();

    await session.page.getByRole('link', { name: 'Usage' }).click();
    await session.page.getByRole('heading', { name: 'Usage', level: 1 }).waitFor();
    const chart = session.page.getByRole('img', { name: /requests per hour over the last 7 days: 5 allowed, 2 denied, 0 throttled/ });
    await chart.waitFor();
    expect(await chart.locator('canvas').count()).toBe(1);
    const figures = session.page.getByRole('table', { name: /Requests per hour/ });
    const hourRow = figures.getByRole('row').nth(1);
    expect((await hourRow.getByRole('cell').allTextContents()).map((text) => text.trim())).toEqual(['5', '2', '0']);
    expect((await figures.getByRole('columnheader').allTextContents()).map((text) => text.trim())).toEqual([
      'Hour',
      'Allowed',
      'Denied',
      'Throttled',
    ]);
    await expectAccessible(session.page, 'usage');

    // One key: its figures only.
    await session.page.getByRole('combobox', { name: 'Key' }).selectOption({ label: `reporting (${readOnly.masked_value})` });
    await session.page.getByRole('img', { name: /0 allowed, 2 denied, 0 throttled/ }).waitFor();
    expect((await figures.getByRole('row').nth(1).getByRole('cell').allTextContents()).map((text) => text.trim())).toEqual(['0', '2', '0']);
    await session.page.getByRole('combobox', { name: 'Key' }).selectOption({ label: 'All keys' });
    await session.page.getByRole('img', { name: /5 allowed, 2 denied/ }).waitFor();
  });

  it('draws a week of traffic (the screenshot docs/console.md shows)', async () => {
    const org = await newOrganization('usage-week');
    const reporting = await readOnlyKey(org, 'reporting');
    // A week of an access log, counted by the real aggregator into the stack's table: a daily
    // rhythm on the first key, a few denials and throttles on the second.
    const aggregate = createUsageAggregator({
      counters: new DynamoDbUsageCounters(
        documentClient(localClientConfig(stack.dynamodbEndpoint, stack.dynamodbAccessKeyId)),
        stack.tableName,
      ),
    });
    const now = Date.now();
    const lines: string[] = [];
    for (let hoursAgo = 7 * 24 - 1; hoursAgo >= 0; hoursAgo--) {
      const at = String(now - hoursAgo * 3_600_000);
      const hourOfDay = new Date(now - hoursAgo * 3_600_000).getUTCHours();
      const allowed = Math.round(20 + 18 * Math.sin(((hourOfDay - 6) / 24) * 2 * Math.PI) + (hoursAgo % 5));
      for (let i = 0; i < allowed; i++)
        lines.push(
          JSON.stringify({
            organization_id: org.id,
            api_key_id: org.keyId,
            principal_id: org.keyId,
            status: '200',
            request_time_epoch: at,
          }),
        );
      if (hourOfDay % 6 === 0) {
        for (let i = 0; i < 6; i++) {
          lines.push(
            JSON.stringify({
              organization_id: org.id,
              principal_id: reporting.id,
              deny_code: 'write_action_not_allowed_for_customer',
              status: '403',
              request_time_epoch: at,
            }),
          );
        }
      }
      if (hourOfDay === 14) {
        for (let i = 0; i < 9; i++)
          lines.push(
            JSON.stringify({
              organization_id: org.id,
              api_key_id: reporting.id,
              principal_id: reporting.id,
              status: '429',
              request_time_epoch: at,
            }),
          );
      }
    }
    await aggregate(
      encodeLogsEvent({
        messageType: 'DATA_MESSAGE',
        owner: 'local',
        logGroup: 'keyward-e2e-screenshot',
        logStream: org.id,
        subscriptionFilters: ['usage'],
        logEvents: lines.map((message, index) => ({ id: String(index).padStart(24, '0'), timestamp: now, message })),
      }),
    );

    await signIn(session.page, org.adminEmail);
    await session.page.goto(`${CONSOLE_URL}#/organizations/${org.id}/usage`);
    await session.page.getByRole('img', { name: /requests per hour over the last 7 days/ }).waitFor();
    const figures = session.page.getByRole('table', { name: /Requests per hour/ });
    await figures.waitFor();
    expect(await figures.getByRole('row').count()).toBe(7 * 24 + 1);
    // The viewport, not the full page: the chart and the start of the table (168 rows follow).
    mkdirSync(SCREENSHOTS, { recursive: true });
    await session.page.screenshot({ path: join(SCREENSHOTS, 'console-usage.png') });
  });
});
