import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateDynamoDbAccessKeyId, loadOrCreateSignInCode, secureStateDir } from '../../../local/state';

const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);

describe('the state directory', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'keyward-state-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('makes what an earlier version left readable by others owner-only, and leaves symbolic links alone', () => {
    const stateDir = join(root, '.keyward');
    mkdirSync(join(stateDir, 'dynamodb'), { recursive: true });
    writeFileSync(join(stateDir, 'dynamodb', 'shared-local-instance.db'), '');
    writeFileSync(join(stateDir, 'runtime.json'), '{}');
    writeFileSync(join(root, 'outside'), '');
    chmodSync(join(root, 'outside'), 0o644);
    symlinkSync(join(root, 'outside'), join(stateDir, 'link'));
    for (const path of [stateDir, join(stateDir, 'dynamodb')]) chmodSync(path, 0o755);
    for (const path of [join(stateDir, 'dynamodb', 'shared-local-instance.db'), join(stateDir, 'runtime.json')]) chmodSync(path, 0o644);

    secureStateDir(stateDir);

    expect([mode(stateDir), mode(join(stateDir, 'dynamodb'))]).toEqual(['700', '700']);
    expect([mode(join(stateDir, 'dynamodb', 'shared-local-instance.db')), mode(join(stateDir, 'runtime.json'))]).toEqual(['600', '600']);
    expect(mode(join(root, 'outside'))).toBe('644');
  });

  it('creates a missing state directory owner-only', () => {
    secureStateDir(join(root, 'new', '.keyward'));
    expect(mode(join(root, 'new', '.keyward'))).toBe('700');
  });

  it('keeps one random DynamoDB Local key id per state directory, owner-only, made of the letters and digits DynamoDB Local accepts', () => {
    const first = loadOrCreateDynamoDbAccessKeyId(join(root, 'a'));
    expect(first).toMatch(/^[A-Za-z0-9]{40,}$/);
    expect(loadOrCreateDynamoDbAccessKeyId(join(root, 'a'))).toBe(first);
    expect(loadOrCreateDynamoDbAccessKeyId(join(root, 'b'))).not.toBe(first);
    expect(mode(join(root, 'a', 'dynamodb-access-key-id'))).toBe('600');
    expect(readFileSync(join(root, 'a', 'dynamodb-access-key-id'), 'utf8').trim()).toBe(first);
  });

  it('refuses a key id file that DynamoDB Local would not accept', () => {
    mkdirSync(join(root, 'c'));
    writeFileSync(join(root, 'c', 'dynamodb-access-key-id'), 'not/a key\n');
    expect(() => loadOrCreateDynamoDbAccessKeyId(join(root, 'c'))).toThrow('is not a DynamoDB Local access key id');
  });

  it('keeps one random sign-in code per state directory, owner-only, whatever the umask (issue 16 item 7)', () => {
    const previous = process.umask(0o022);
    try {
      const first = loadOrCreateSignInCode(join(root, 'a'));
      expect(first).toMatch(/^[A-HJKMNP-Z2-9]{4}(-[A-HJKMNP-Z2-9]{4}){3}$/);
      expect(loadOrCreateSignInCode(join(root, 'a'))).toBe(first);
      expect(loadOrCreateSignInCode(join(root, 'b'))).not.toBe(first);
      expect(mode(join(root, 'a', 'sign-in-code'))).toBe('600');
      expect(mode(join(root, 'a'))).toBe('700');
    } finally {
      process.umask(previous);
    }
  });

  it('refuses a sign-in code file that holds no code, rather than accepting anything', () => {
    mkdirSync(join(root, 'd'));
    writeFileSync(join(root, 'd', 'sign-in-code'), '\n');
    expect(() => loadOrCreateSignInCode(join(root, 'd'))).toThrow('is not a sign-in code');
  });
});
