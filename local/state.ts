import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The local runtime's state directory (`.keyward/`, git-ignored): DynamoDB Local's files, the
 * master key, the dev issuer's signing key, and `runtime.json` while a stack is running.
 */
export const STATE_DIR_NAME = '.keyward';
export const LOCAL_TABLE_NAME = 'keyward-local';
const RUNTIME_FILE = 'runtime.json';
const MASTER_KEY_FILE = 'master-key';

/** `KEYWARD_STATE_DIR`, else `.keyward/` under `cwd`. */
export function resolveStateDir(cwd = process.cwd(), env = process.env): string {
  return env.KEYWARD_STATE_DIR ? resolve(env.KEYWARD_STATE_DIR) : join(cwd, STATE_DIR_NAME);
}

/** What a running stack publishes so the CLI and the e2e tests can find it. */
export interface RuntimeInfo {
  gateway_url: string;
  dynamodb_endpoint: string;
  table_name: string;
  /** The SES emulator: SES endpoint and web inbox (`GET /store` lists the mail). */
  ses_url: string;
  issuer: string;
  audience: string;
  pid: number;
}

export function writeRuntimeInfo(stateDir: string, info: RuntimeInfo): void {
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(join(stateDir, RUNTIME_FILE), `${JSON.stringify(info, null, 2)}\n`);
}

export function removeRuntimeInfo(stateDir: string): void {
  rmSync(join(stateDir, RUNTIME_FILE), { force: true });
}

/** The running stack's info, or undefined when none is running (no file, or its process is gone). */
export function readRuntimeInfo(stateDir: string): RuntimeInfo | undefined {
  const file = join(stateDir, RUNTIME_FILE);
  if (!existsSync(file)) return undefined;
  const info = JSON.parse(readFileSync(file, 'utf8')) as RuntimeInfo;
  return isProcessAlive(info.pid) ? info : undefined;
}

export function isProcessAlive(pid: number): boolean {
  try {
    // Signal 0 checks existence and permission without delivering anything.
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The local master key that stands in for KMS (base64, 32 bytes): generated on first use and kept
 * with mode 0600, because losing it makes every stored key impossible to reveal.
 */
export function loadOrCreateMasterKey(stateDir: string): string {
  const file = join(stateDir, MASTER_KEY_FILE);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(stateDir, { recursive: true });
  const key = randomBytes(32).toString('base64');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return key;
}

/** The master key of an existing state dir (the CLI never creates one). */
export function readMasterKey(stateDir: string): string {
  const file = join(stateDir, MASTER_KEY_FILE);
  if (!existsSync(file)) throw new Error(`no local master key at ${file}: start the local stack with \`npm start\``);
  return readFileSync(file, 'utf8').trim();
}

export function wipeState(stateDir: string): void {
  rmSync(stateDir, { recursive: true, force: true });
}
