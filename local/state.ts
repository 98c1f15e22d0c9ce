import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { PlansConfig } from '../lambdas/domain/plans';

/**
 * The local runtime's state directory (`.keyward/`, git-ignored): DynamoDB Local's files, the
 * master key, the dev issuer's signing key, the key id that opens DynamoDB Local's database, and
 * `runtime.json` while a stack is running. Owner-only: it holds every secret of the local stack.
 */
export const STATE_DIR_NAME = '.keyward';
export const LOCAL_TABLE_NAME = 'keyward-local';
const RUNTIME_FILE = 'runtime.json';
const MASTER_KEY_FILE = 'master-key';
const DYNAMODB_KEY_FILE = 'dynamodb-access-key-id';
/** The dev issuer's sign-in code (API.md §6): who can read it is who can sign in to the local console. */
export const SIGN_IN_CODE_FILE = 'sign-in-code';

/** Directories and files the state directory may hold (mode bits). */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Creates the state directory if needed and makes it and everything in it owner-only, including
 * what earlier versions left readable by others. Symbolic links are left alone (their targets are
 * not the state directory's to change).
 */
export function secureStateDir(stateDir: string): void {
  mkdirSync(stateDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const secure = (path: string): void => {
    const stat = lstatSync(path);
    if (stat.isDirectory()) {
      if ((stat.mode & 0o777) !== PRIVATE_DIR_MODE) chmodSync(path, PRIVATE_DIR_MODE);
      for (const entry of readdirSync(path)) secure(join(path, entry));
    } else if (stat.isFile() && (stat.mode & 0o777) !== PRIVATE_FILE_MODE) {
      chmodSync(path, PRIVATE_FILE_MODE);
    }
  };
  secure(stateDir);
}

/** Writes a file only its owner can read, whatever the umask and whether it existed before. */
export function writePrivateFile(file: string, content: string): void {
  writeFileSync(file, content, { mode: PRIVATE_FILE_MODE });
  chmodSync(file, PRIVATE_FILE_MODE);
}

/** `KEYWARD_STATE_DIR`, else `.keyward/` under `cwd`. */
export function resolveStateDir(cwd = process.cwd(), env = process.env): string {
  return env.KEYWARD_STATE_DIR ? resolve(env.KEYWARD_STATE_DIR) : join(cwd, STATE_DIR_NAME);
}

/** What a running stack publishes so the CLI and the e2e tests can find it. */
export interface RuntimeInfo {
  gateway_url: string;
  dynamodb_endpoint: string;
  dynamodb_region: string;
  /** The state directory's secret: DynamoDB Local shows the table only to clients using this key id. */
  dynamodb_access_key_id: string;
  table_name: string;
  /** The SES emulator: SES endpoint and web inbox (`GET /store` lists the mail). */
  ses_url: string;
  issuer: string;
  audience: string;
  pid: number;
  /** The plans the gateway enforces (API.md §9), so the CLI checks `org set-plan` against them. */
  plans?: PlansConfig;
}

export function writeRuntimeInfo(stateDir: string, info: RuntimeInfo): void {
  mkdirSync(stateDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  writePrivateFile(join(stateDir, RUNTIME_FILE), `${JSON.stringify(info, null, 2)}\n`);
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
  mkdirSync(stateDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const key = randomBytes(32).toString('base64');
  writePrivateFile(file, `${key}\n`);
  return key;
}

/**
 * The state directory's own DynamoDB Local access key id (160 random bits), generated on first
 * use. DynamoDB Local accepts only letters and digits in a key id.
 */
export function loadOrCreateDynamoDbAccessKeyId(stateDir: string): string {
  const file = join(stateDir, DYNAMODB_KEY_FILE);
  if (existsSync(file)) {
    const existing = readFileSync(file, 'utf8').trim();
    if (!/^[A-Za-z0-9]{20,}$/.test(existing))
      throw new Error(`${file} is not a DynamoDB Local access key id: delete it, or start with --fresh`);
    return existing;
  }
  mkdirSync(stateDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const accessKeyId = `keyward${randomBytes(20).toString('hex')}`;
  writePrivateFile(file, `${accessKeyId}\n`);
  return accessKeyId;
}

/** The sign-in code's alphabet: no 0/O, 1/I/L, so it can be typed from the banner without doubt. */
const SIGN_IN_CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const SIGN_IN_CODE = /^[A-Z2-9]{4}(?:-[A-Z2-9]{4}){3}$/;

/**
 * The dev issuer's sign-in code (API.md §6), generated on first use and kept owner-only: four
 * groups of four (`K7QX-…`), 79 random bits, so nobody who cannot read the state directory can
 * guess it. Only the state directory's owner can then sign in to the local console.
 */
export function loadOrCreateSignInCode(stateDir: string): string {
  const file = join(stateDir, SIGN_IN_CODE_FILE);
  if (existsSync(file)) {
    const existing = readFileSync(file, 'utf8').trim();
    if (!SIGN_IN_CODE.test(existing))
      throw new Error(`${file} is not a sign-in code: delete it (a new one is made), or start with --fresh`);
    return existing;
  }
  mkdirSync(stateDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  // Rejection sampling: 248 is the largest multiple of 31 below 256, so every character is equally likely.
  const characters: string[] = [];
  while (characters.length < 16) {
    for (const byte of randomBytes(32)) {
      if (byte < 248 && characters.length < 16) characters.push(SIGN_IN_CODE_ALPHABET[byte % SIGN_IN_CODE_ALPHABET.length]!);
    }
  }
  const code = [0, 4, 8, 12].map((start) => characters.slice(start, start + 4).join('')).join('-');
  writePrivateFile(file, `${code}\n`);
  return code;
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
