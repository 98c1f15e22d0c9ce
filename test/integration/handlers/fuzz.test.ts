import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import type * as AdminModule from '../../../lambdas/admin-authorizer';
import { reasonPhrase } from '../../../lambdas/http/errors';
import { type EntryOperation, OPERATION_LIST } from '../../../lambdas/operations/manifest';
import { LOCAL_AWS } from '../../../local/dynamodb-local';
import { overTheWire } from '../../../local/gateway-integration';
import type { AdminAuthorizerContext } from '../../support/api-gateway-events';
import { authorizerEvent, importWithEnv } from '../../support/authorizer-events';
import { type FieldName, type FuzzRequest, fuzzRequest, proxyEventFor, REPORTED_REQUESTS } from './fuzz-requests';
import { HandlerHarness } from './harness';

/**
 * Property-based fuzzing of every management route (issue 7), in process, against the real
 * handler modules on DynamoDB Local. For every request: never a 5xx, every error body in the
 * contract's shape (API.md §3 Errors) and free of anything token-shaped, no ERROR log line. For
 * every rejected request (any 4xx, 412 included): no write reached the table (so no key, hot
 * item, audit event or counter changed) and no retirement job was created, changed or removed;
 * every 20th request also compares the whole table before and after.
 *
 * `npm test` runs a fixed seed and a few thousand requests; `npm run fuzz` runs 100k with a
 * random seed and prints it; `FUZZ_SEED=<n> npm run fuzz` replays a run.
 */

/**
 * The operations of an organization, which take input of the caller's choosing (path, query, body,
 * headers). `GET /v1/me` and `GET /openapi.json` read none: only the caller's verified identity.
 */
const ROUTES = OPERATION_LIST.filter((operation) => operation.auth === 'organization-admin');
const RUNS = Number(process.env.FUZZ_RUNS ?? 2_400);
const RUNS_PER_ROUTE = Math.ceil(RUNS / ROUTES.length);
/** The CI seed: fixed, so a red build replays exactly. */
const CI_SEED = 7;
const SEED =
  process.env.FUZZ_SEED === undefined
    ? CI_SEED
    : process.env.FUZZ_SEED === 'random'
      ? Math.floor(Math.random() * 2 ** 31)
      : Number(process.env.FUZZ_SEED);
/** The world is rebuilt this often, so that it keeps every kind of key and stays far from the key limit. */
const RESET_EVERY = 150;
/** How often the whole table is compared too (a scan is slow on DynamoDB Local; the write check runs every time). */
const FULL_CHECK_EVERY = 20;

const CALLER = 'admin@fuzz.test';
const ADMIN_ORG = 'fuzz';
const MEMBER_ORG = 'fuzz-member';
const STRANGER_ORG = 'fuzz-stranger';
/** The caller's role in the world's organizations, as the admin authorizer would find it. */
const WORLD_ROLES = { admin: 'admin', member: 'member', stranger: 'none' } as const;
const WORLD_IDS = { admin: ADMIN_ORG, member: MEMBER_ORG, stranger: STRANGER_ORG } as const;

/** The fields each route's body takes, which the generator favours (others still come, as unknown fields). */
const BODY_FIELDS: Partial<Record<string, readonly FieldName[]>> = {
  'create-api-key': ['name', 'permissions'],
  'update-api-key': ['name', 'permissions'],
  'rotate-api-key': ['expires_in', 'expires_at'],
};

/** Commands that only read; every other command the handlers complete counts as a write. */
const READ_COMMAND = /^(Get|BatchGet|TransactGet|Query|Scan|Describe|List)/;
/** Routes whose every success writes (reveal writes its audit event), to prove the write check is live. */
const ALWAYS_WRITES: readonly string[] = ['create-api-key', 'reveal-api-key', 'rotate-api-key', 'delete-api-key'];

let harness: HandlerHarness;
let documents: DynamoDBDocumentClient;
let authorize: AdminModule.AdminAuthorizer;
let errorLines: unknown[][] = [];
/** The commands the handlers' DynamoDB client completed during the current request. */
const completed: string[] = [];

beforeAll(async () => {
  harness = await HandlerHarness.start({ logLevel: 'ERROR' });
  documents = DynamoDBDocumentClient.from(new DynamoDBClient({ ...LOCAL_AWS, endpoint: process.env.DYNAMODB_ENDPOINT }));
  harness.handlerDynamoDb.middlewareStack.add(
    (next, context) => async (args) => {
      const output = await next(args);
      completed.push(String(context.commandName));
      return output;
    },
    { step: 'initialize', name: 'fuzzCommandRecorder' },
  );
  // For a path value outside the world, the real admin authorizer decides the caller's role, as
  // API Gateway would run it; only its JWT check is replaced by a caller who is admin@fuzz.test.
  const admin = await importWithEnv(
    { ADMIN_JWT_ISSUER: 'https://issuer.test', ADMIN_JWT_AUDIENCE: 'keyward-fuzz' },
    () => import('../../../lambdas/admin-authorizer'),
  );
  authorize = admin.createAdminAuthorizer({ store: harness.store, verify: async () => ({ email: CALLER }) });
  if (process.env.FUZZ_RUNS !== undefined) {
    console.log(`fuzzing ${ROUTES.length} routes × ${RUNS_PER_ROUTE} requests, seed ${SEED} (replay: FUZZ_SEED=${SEED} npm run fuzz)`);
  }
});

afterAll(async () => {
  documents.destroy();
  await harness.stop();
});

beforeEach(() => {
  jest.spyOn(console, 'error').mockImplementation((...line: unknown[]) => {
    errorLines.push(line);
  });
});
afterEach(() => jest.restoreAllMocks());

async function scanTable(): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(new ScanCommand({ TableName: harness.tableName, ConsistentRead: true, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items.sort((a, b) => `${a.pk} ${a.sk}`.localeCompare(`${b.pk} ${b.sk}`));
}

/** The retirement jobs: file name → content. */
async function readJobs(): Promise<Record<string, string>> {
  const jobs: Record<string, string> = {};
  for (const file of (await readdir(harness.scheduleDir)).sort()) jobs[file] = await readFile(join(harness.scheduleDir, file), 'utf8');
  return jobs;
}

/** The world as first seeded: later resets write it back instead of rebuilding ~100 keys. */
let seededWorld: { table: Record<string, unknown>[]; jobs: Record<string, string> } | undefined;

async function batchWrite(requests: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < requests.length; i += 25) {
    await documents.send(new BatchWriteCommand({ RequestItems: { [harness.tableName]: requests.slice(i, i + 25) } }));
  }
}

/** Empties the table and the job directory, then seeds the world every run starts from. */
async function resetWorld(): Promise<void> {
  await batchWrite((await scanTable()).map(({ pk, sk }) => ({ DeleteRequest: { Key: { pk, sk } } })));
  await Promise.all(Object.keys(await readJobs()).map((file) => rm(join(harness.scheduleDir, file), { force: true })));
  if (seededWorld) {
    await batchWrite(seededWorld.table.map((item) => ({ PutRequest: { Item: item } })));
    for (const [file, content] of Object.entries(seededWorld.jobs)) await writeFile(join(harness.scheduleDir, file), content);
    return;
  }

  const actor = { type: 'user', email: CALLER } as const;
  await harness.orgs.create({ name: 'Fuzz', id: ADMIN_ORG, admins: [CALLER] });
  await harness.orgs.create({ name: 'Fuzz member', id: MEMBER_ORG, admins: ['owner@fuzz.test'] });
  await harness.orgs.addMember(MEMBER_ORG, CALLER, 'member');
  await harness.orgs.create({ name: 'Fuzz stranger', id: STRANGER_ORG, admins: ['owner@fuzz.test'] });
  await harness.keys.create(ADMIN_ORG, actor, { name: 'read only', permissions: { customer: ['read'] } });
  await harness.keys.create(ADMIN_ORG, actor, { name: 'billing' });
  // 98 keys in all: two creates or scheduled rotations succeed, then api_key_limit_reached, the
  // refusal that used to leave a retirement job behind.
  for (let i = 0; i < 93; i++) await harness.keys.create(ADMIN_ORG, actor, { name: `filler ${i}` });
  const rotating = await harness.keys.create(ADMIN_ORG, actor, { name: 'rotating' });
  const scheduled = await harness.call('rotate-api-key', { organizationId: ADMIN_ORG, apiKeyId: rotating.id, body: { expires_in: '7d' } });
  if (scheduled.statusCode !== 200) throw new Error(`could not seed a scheduled rotation: ${JSON.stringify(scheduled.body)}`);
  seededWorld = { table: await scanTable(), jobs: await readJobs() };
}

/** The key ids the symbolic key targets pick from, re-read only when a request may have changed them. */
interface KeyIds {
  own: string[];
  foreign: string[];
}

async function readKeyIds(): Promise<KeyIds> {
  const ids = async (organizationId: string) => (await harness.listKeys(organizationId)).map((key) => key.id);
  return { own: await ids(ADMIN_ORG), foreign: await ids(MEMBER_ORG) };
}

function apiKeyIdFor(request: FuzzRequest, keyIds: KeyIds): string {
  if (request.key.kind === 'raw') return request.key.value;
  const ids = keyIds[request.key.kind];
  return ids[request.key.index % ids.length] ?? '01J00000000000000000000000';
}

async function callerIn(route: EntryOperation, request: FuzzRequest, organizationId: string): Promise<AdminAuthorizerContext> {
  if (request.org.kind !== 'raw') return { email: CALLER, role: WORLD_ROLES[request.org.kind] };
  const verdict = await authorize(
    overTheWire(
      authorizerEvent({
        method: route.method,
        resource: route.path,
        pathParameters: { organization_id: organizationId },
        headers: [...request.headers, ['Authorization', 'Bearer fuzz']],
        queryStringParameters: request.query,
      }),
    ),
  );
  return verdict.context as AdminAuthorizerContext;
}

/** Anything shaped like an API key of any prefix (API.md §2), stated here independently of the code under test. */
const TOKEN_SHAPED = /[a-z][a-z0-9]{0,15}_[0-9A-Za-z]{36}/;

/** API.md §3 Request bodies: only an empty body or a JSON object can be accepted. */
function isObjectOrEmpty({ body }: FuzzRequest): boolean {
  if (body === null || body.trim() === '') return true;
  const parsed: unknown = JSON.parse(body);
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
}

/** Every key name in a success body (`api_key`, `rotated_api_key`, `api_keys[]`). */
function namesIn(body: Record<string, unknown>): string[] {
  const keys = [body.api_key, body.rotated_api_key, ...(Array.isArray(body.api_keys) ? body.api_keys : [])];
  return keys.flatMap((key) =>
    typeof key === 'object' && key !== null && typeof (key as { name?: unknown }).name === 'string' ? [(key as { name: string }).name] : [],
  );
}

const ERROR_FIELDS = new Set(['status', 'error', 'code', 'error_details']);

/** API.md §3 Errors: `{status, error, code[, error_details]}`, 401 without a code. */
function expectContractError(statusCode: number, body: Record<string, unknown>): void {
  expect(Object.keys(body).filter((field) => !ERROR_FIELDS.has(field))).toEqual([]);
  expect(body.status).toBe(statusCode);
  expect(body.error).toBe(reasonPhrase(statusCode));
  if (statusCode === 401) expect(body.code).toBeUndefined();
  else expect(typeof body.code).toBe('string');
  if (body.code === 'validation_errors') expect(typeof body.error_details).toBe('object');
  if (body.error_details !== undefined) {
    expect(body.code).toBe('validation_errors');
    for (const reasons of Object.values(body.error_details as Record<string, unknown>)) {
      expect(Array.isArray(reasons) && reasons.length > 0 && reasons.every((reason) => typeof reason === 'string')).toBe(true);
    }
  }
}

describe.each(ROUTES.map((route, index) => [route.method, route.path, route, index] as const))(
  'fuzzing %s %s',
  (_method, _path, route, index) => {
    it(
      'never answers 5xx, answers errors in the contract shape without a token or an ERROR log, and a rejected request changes nothing',
      async () => {
        const outcomes = new Map<number, number>();
        let cases = 0;
        let keyIds: KeyIds | undefined;
        await resetWorld();
        const property = fc.asyncProperty(fuzzRequest(BODY_FIELDS[route.entry] ?? []), async (request) => {
          cases++;
          if (cases % RESET_EVERY === 0) {
            await resetWorld();
            keyIds = undefined;
          }
          keyIds ??= await readKeyIds();
          const organizationId = request.org.kind === 'raw' ? request.org.value : WORLD_IDS[request.org.kind];
          const apiKeyId = apiKeyIdFor(request, keyIds);
          const authorizer = await callerIn(route, request, organizationId);
          const fullCheck = cases % FULL_CHECK_EVERY === 0;
          const before = { jobs: await readJobs(), table: fullCheck ? await scanTable() : undefined };
          completed.length = 0;
          errorLines = [];

          const result = await harness.invoke(route.entry, proxyEventFor({ route, organizationId, apiKeyId, request, authorizer }));

          outcomes.set(result.statusCode, (outcomes.get(result.statusCode) ?? 0) + 1);
          const writes = completed.filter((command) => !READ_COMMAND.test(command));
          expect(result.statusCode).toBeLessThan(500);
          expect(errorLines).toEqual([]);
          const body = JSON.parse(result.body) as Record<string, unknown>;
          if (result.statusCode < 400) {
            if (BODY_FIELDS[route.entry]) expect(isObjectOrEmpty(request)).toBe(true);
            expect(namesIn(body).filter((name) => TOKEN_SHAPED.test(name))).toEqual([]);
            if (ALWAYS_WRITES.includes(route.entry)) expect(writes.length).toBeGreaterThan(0);
            if (writes.length > 0) keyIds = undefined;
            return;
          }
          expectContractError(result.statusCode, body);
          expect(result.body).not.toMatch(TOKEN_SHAPED);
          expect(writes).toEqual([]);
          expect(await readJobs()).toEqual(before.jobs);
          if (fullCheck) expect(await scanTable()).toEqual(before.table);
        });
        await fc.assert(property, {
          numRuns: RUNS_PER_ROUTE,
          seed: SEED + index,
          examples: REPORTED_REQUESTS.map((request) => [request]),
        });

        const statuses = [...outcomes.entries()].sort(([a], [b]) => a - b);
        if (process.env.FUZZ_RUNS !== undefined)
          console.log(`${route.method} ${route.path}: ${statuses.map(([s, n]) => `${s}×${n}`).join(' ')}`);
        // A generator that drifted into refusing everything (or nothing) would make this suite vacuous.
        expect(statuses.some(([status]) => status < 400)).toBe(true);
        expect(statuses.some(([status]) => status >= 400)).toBe(true);
      },
      Math.max(60_000, RUNS_PER_ROUTE * 200),
    );
  },
);
