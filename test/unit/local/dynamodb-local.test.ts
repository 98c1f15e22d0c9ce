import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
