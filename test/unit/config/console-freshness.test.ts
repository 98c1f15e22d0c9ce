import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { consoleBuildIsFresh } from '../../../console/scripts/freshness';

describe('consoleBuildIsFresh (whether synth must build the console)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-freshness-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const at = (path: string, seconds: number) => utimesSync(join(dir, path), seconds, seconds);

  beforeAll(() => {
    mkdirSync(join(dir, 'src', 'pages'), { recursive: true });
    writeFileSync(join(dir, 'index.html'), '');
    writeFileSync(join(dir, 'src', 'pages', 'keys.tsx'), '');
  });

  it('is false without a build', () => {
    expect(consoleBuildIsFresh(dir)).toBe(false);
  });

  it('is true when the build is newer than every input, false once any input (however deep) is newer', () => {
    mkdirSync(join(dir, 'dist'), { recursive: true });
    writeFileSync(join(dir, 'dist', 'index.html'), '');
    for (const path of ['index.html', 'src/pages/keys.tsx', 'src/pages', 'src']) at(path, 1_000);
    at('dist/index.html', 2_000);
    expect(consoleBuildIsFresh(dir)).toBe(true);

    at('src/pages/keys.tsx', 3_000);
    expect(consoleBuildIsFresh(dir)).toBe(false);
  });
});
