import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteItemCommand, DynamoDBClient, GetItemCommand, ListTablesCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { databaseFile, LOCAL_AWS, localClientConfig, migrateSharedDatabase, startDynamoDbLocal } from '../../local/dynamodb-local';
import { LOCAL_TABLE_NAME, loadOrCreateDynamoDbAccessKeyId } from '../../local/state';
import { ensureTable } from '../../local/table';
import { freePort } from '../support/free-port';

/**
 * API.md §6 "Stoppable": `npm start` exactly as a user runs it (npm → sh → node → Java), stopped
 * the usual ways, leaves no process and no listening port behind within 10 s.
 */

const ROOT = join(__dirname, '..', '..');
const STARTUP_TIMEOUT_MS = 120_000;
const STOP_WITHIN_MS = 10_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Proc {
  pid: number;
  ppid: number;
  command: string;
  zombie: boolean;
}

/** Each process with its command line (not `comm`: Node 24 names its main thread, so its `comm` is MainThread). */
function processes(): Proc[] {
  return execFileSync('ps', ['-A', '-o', 'pid=,ppid=,stat=,args='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => {
      const [pid, ppid, stat, ...command] = line.trim().split(/\s+/);
      return { pid: Number(pid), ppid: Number(ppid), command: command.join(' '), zombie: stat!.startsWith('Z') };
    });
}

/** `root` and every process below it. */
function processTree(root: number): Proc[] {
  const all = processes();
  const tree = all.filter((proc) => proc.pid === root);
  for (let i = 0; i < tree.length; i++) tree.push(...all.filter((proc) => proc.ppid === tree[i]!.pid));
  return tree;
}

/** Which of `pids` still run (a zombie runs nothing and holds no port). */
function stillRunning(pids: number[]): Proc[] {
  return processes().filter((proc) => pids.includes(proc.pid) && !proc.zombie);
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

interface NpmStart {
  npm: ChildProcess;
  ports: number[];
  output(): string;
  /** The processes npm start runs once it is up: npm, sh, node, Java and Java's watchdog. */
  tree: Proc[];
}

/** `npm start -- <args>` in its own process group, as a terminal runs a foreground job. */
async function npmStart(stateDir: string, args: string[]): Promise<NpmStart> {
  const ports = [await freePort(), await freePort(), await freePort()];
  const [port, dynamodbPort, sesPort] = ports;
  const npm = spawn('npm', ['start', '--', ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      DYNAMODB_PORT: String(dynamodbPort),
      SES_PORT: String(sesPort),
      KEYWARD_STATE_DIR: stateDir,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  npm.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  npm.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    if (npm.exitCode !== null) throw new Error(`npm start exited with code ${npm.exitCode}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`npm start did not become healthy:\n${output}`);
    try {
      // Ready, and the banner printed: it follows readiness by a moment (minting the admin JWT).
      if ((await fetch(`http://127.0.0.1:${port}/health`)).status === 200 && output.includes('Press Ctrl+C to stop.')) break;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  return { npm, ports, output: () => output, tree: processTree(npm.pid!) };
}

/** Polls until no process of `started` runs and none of its ports listens, for at most 10 s. */
async function leftAfterStop(started: NpmStart): Promise<{ processes: string[]; ports: number[] }> {
  const deadline = Date.now() + STOP_WITHIN_MS;
  const pids = started.tree.map((proc) => proc.pid);
  for (;;) {
    const left = {
      processes: stillRunning(pids).map((proc) => `${proc.pid} ${proc.command}`),
      ports: (await Promise.all(started.ports.map(async (port) => ((await listening(port)) ? [port] : [])))).flat(),
    };
    if ((left.processes.length === 0 && left.ports.length === 0) || Date.now() > deadline) return left;
    await sleep(200);
  }
}

/** Whatever a failed test left running, from the processes it started. */
function killLeftovers(started: NpmStart | undefined): void {
  for (const proc of stillRunning(started?.tree.map((each) => each.pid) ?? [])) {
    try {
      process.kill(proc.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

/**
 * Makes the state look like an earlier version's, which wrote no membership items (`GET /v1/me`'s
 * lookup by email): removes the demo admin's, on the state's own database.
 */
async function forgetMemberships(stateDir: string): Promise<void> {
  const accessKeyId = loadOrCreateDynamoDbAccessKeyId(stateDir);
  const dynamo = await startDynamoDbLocal({ port: await freePort(), dbPath: join(stateDir, 'dynamodb'), accessKeyId });
  const client = new DynamoDBClient(localClientConfig(dynamo.endpoint, accessKeyId));
  try {
    const key = { pk: { S: 'USER#admin@demo.test' }, sk: { S: 'MEMBERSHIP#demo' } };
    expect((await client.send(new GetItemCommand({ TableName: LOCAL_TABLE_NAME, Key: key }))).Item).toBeDefined();
    await client.send(new DeleteItemCommand({ TableName: LOCAL_TABLE_NAME, Key: key }));
  } finally {
    client.destroy();
    await dynamo.stop();
  }
}

describe('npm start', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'keyward-npm-start-'));
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  it('stops everything within 10 s of SIGTERM to the npm process, leaving no process and no listening port', async () => {
    let started: NpmStart | undefined;
    try {
      started = await npmStart(stateDir, ['--fresh']);
      const commands = started.tree.map((proc) => proc.command);
      expect(commands).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^npm start/),
          expect.stringMatching(/^(\S*\/)?node /),
          expect.stringMatching(/^(\S*\/)?java /),
        ]),
      );

      process.kill(started.npm.pid!, 'SIGTERM');

      expect(await leftAfterStop(started)).toEqual({ processes: [], ports: [] });
    } finally {
      killLeftovers(started);
    }
  }, 180_000);

  it('stops everything within 10 s of Ctrl-C, and the next start finds the state it left, brought up to this version', async () => {
    let started: NpmStart | undefined;
    try {
      await forgetMemberships(stateDir);
      started = await npmStart(stateDir, []);
      // The first start seeded demo; this one reads it from the database the state's key opens.
      expect(started.output()).toContain('Demo API key: created on the first start');
      // The start wrote the membership items an earlier version never had.
      const jwt = /export ADMIN_JWT=(\S+)/.exec(started.output())![1]!;
      const me = await fetch(`http://127.0.0.1:${started.ports[0]}/v1/me`, { headers: { authorization: `Bearer ${jwt}` } });
      expect(await me.json()).toEqual({ email: 'admin@demo.test', organizations: [{ id: 'demo', name: 'Demo', role: 'admin' }] });

      // What a terminal does on Ctrl-C: SIGINT to every process of the foreground job's group.
      process.kill(-started.npm.pid!, 'SIGINT');

      expect(await leftAfterStop(started)).toEqual({ processes: [], ports: [] });
    } finally {
      killLeftovers(started);
    }
  }, 180_000);
});

describe('DynamoDB Local', () => {
  it('does not outlive the process that started it, even one killed with SIGKILL', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(__dirname, 'local-runtime-fixtures', 'dynamodb-local-child.ts'), String(await freePort())],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let javaPid: number | undefined;
    try {
      javaPid = await new Promise<number>((resolve, reject) => {
        let output = '';
        child.stdout?.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const match = /java (\d+)/.exec(output);
          if (match) resolve(Number(match[1]));
        });
        child.once('exit', (code) => reject(new Error(`the child exited with code ${code} before starting DynamoDB Local`)));
      });
      expect(stillRunning([javaPid])).toHaveLength(1);

      child.kill('SIGKILL');

      const deadline = Date.now() + STOP_WITHIN_MS;
      while (stillRunning([javaPid]).length > 0 && Date.now() < deadline) await sleep(100);
      expect(stillRunning([javaPid])).toEqual([]);
    } finally {
      child.kill('SIGKILL');
      if (javaPid !== undefined && stillRunning([javaPid]).length > 0) process.kill(javaPid, 'SIGKILL');
    }
  }, 90_000);

  it("keeps an earlier version's shared database, now opened by the state directory key only", async () => {
    const dbPath = mkdtempSync(join(tmpdir(), 'keyward-migrate-'));
    const accessKeyId = 'keywardmigrationtest0123456789';
    const item = { pk: { S: 'ORG#old' }, sk: { S: 'ORG' } };
    try {
      // An earlier version: -sharedDb, any credentials.
      const earlier = await startDynamoDbLocal({ port: await freePort(), dbPath });
      const before = new DynamoDBClient({ ...LOCAL_AWS, endpoint: earlier.endpoint });
      await ensureTable(before, 'keyward-local');
      await before.send(new PutItemCommand({ TableName: 'keyward-local', Item: item }));
      before.destroy();
      await earlier.stop();

      expect(migrateSharedDatabase(dbPath, accessKeyId)).toBe(true);
      expect(existsSync(join(dbPath, databaseFile(accessKeyId)))).toBe(true);
      expect(migrateSharedDatabase(dbPath, accessKeyId)).toBe(false);

      const now = await startDynamoDbLocal({ port: await freePort(), dbPath, accessKeyId });
      const owner = new DynamoDBClient(localClientConfig(now.endpoint, accessKeyId));
      const stranger = new DynamoDBClient(localClientConfig(now.endpoint, 'local'));
      try {
        expect((await owner.send(new GetItemCommand({ TableName: 'keyward-local', Key: item }))).Item).toEqual(item);
        await expect(stranger.send(new ListTablesCommand({}))).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
        expect(readdirSync(dbPath)).toEqual([databaseFile(accessKeyId)]);
      } finally {
        owner.destroy();
        stranger.destroy();
        await now.stop();
      }
    } finally {
      rmSync(dbPath, { recursive: true, force: true });
    }
  }, 120_000);
});
