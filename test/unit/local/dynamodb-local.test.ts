import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertJavaAvailable, compiledLauncher, dynamoDbLocalClassPath } from '../../../local/dynamodb-local';

const ROOT = join(__dirname, '..', '..', '..');

describe('starting the local stack without Java', () => {
  it('explains what is missing and how to install it, and exits 1', () => {
    // A PATH holding node and nothing else: the situation of a machine without a JRE.
    const bin = mkdtempSync(join(tmpdir(), 'keyward-no-java-'));
    try {
      symlinkSync(process.execPath, join(bin, 'node'));
      const result = spawnSync(join(bin, 'node'), ['--import', 'tsx', join(ROOT, 'local', 'start.ts')], {
        cwd: ROOT,
        env: { ...process.env, PATH: bin, KEYWARD_STATE_DIR: join(bin, 'state') },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(result.stderr).toContain('DynamoDB Local needs Java 17 or newer');
      expect(result.stderr).toContain('openjdk-17-jre-headless');
      expect(result.status).toBe(1);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});

describe('the loopback launcher, compiled once', () => {
  let cache: string;
  beforeEach(() => {
    cache = mkdtempSync(join(tmpdir(), 'keyward-launcher-cache-'));
  });
  afterEach(() => rmSync(cache, { recursive: true, force: true }));

  it('compiles on the first start and reuses the classes on the next, until the Java or the classpath changes', async () => {
    const java = assertJavaAvailable();
    const classPath = dynamoDbLocalClassPath();
    const first = await compiledLauncher(classPath, java, cache);
    expect(first).toBeDefined();
    expect(readdirSync(first!)).toContain('LoopbackDynamoDbLocal.class');
    const compiledAt = statSync(join(first!, 'LoopbackDynamoDbLocal.class')).mtimeMs;

    const started = performance.now();
    expect(await compiledLauncher(classPath, java, cache)).toBe(first);
    // No second compilation (a Java start alone takes longer than this).
    expect(performance.now() - started).toBeLessThan(100);
    expect(statSync(join(first!, 'LoopbackDynamoDbLocal.class')).mtimeMs).toBe(compiledAt);

    // Another Java gets classes of its own, and no staging directory is left behind.
    const other = await compiledLauncher(classPath, `${java} (another build)`, cache);
    expect(other).toBeDefined();
    expect(other).not.toBe(first);
    expect(readdirSync(cache).sort()).toEqual([first!, other!].map((dir) => dir.slice(cache.length + 1)).sort());
  }, 120_000);

  it('answers undefined, for source-file mode, when the launcher cannot be compiled', async () => {
    expect(await compiledLauncher('/nonexistent.jar', assertJavaAvailable(), cache)).toBeUndefined();
    expect(readdirSync(cache)).toEqual([]);
  }, 60_000);
});
