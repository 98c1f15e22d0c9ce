import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AdminConsole } from '../../lib/constructs/admin-console';

/**
 * `npm ci && npx cdk synth` on a fresh clone: a console workspace without a build (or with a stale
 * one) is built during synth by the asset's local bundling. A stand-in workspace whose
 * scripts/build.ts writes a tiny build and counts its runs keeps this fast.
 */
const FAKE_BUILD = `import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
const dir = fileURLToPath(new URL('..', import.meta.url));
appendFileSync(join(dir, 'runs'), 'x');
mkdirSync(join(dir, 'dist', 'assets'), { recursive: true });
mkdirSync(join(dir, 'dist', '.vite'), { recursive: true });
writeFileSync(join(dir, 'dist', 'index.html'), '<!doctype html>');
writeFileSync(join(dir, 'dist', 'assets', 'app-1a2b.js'), 'console.log(1)');
writeFileSync(join(dir, 'dist', '.vite', 'manifest.json'), '{}');
`;

function fakeConsole(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-console-'));
  mkdirSync(join(dir, 'scripts'));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'scripts', 'build.ts'), FAKE_BUILD);
  writeFileSync(join(dir, 'index.html'), '<!doctype html>');
  writeFileSync(join(dir, 'src', 'main.tsx'), 'export {}');
  return dir;
}

/** Synthesizes the console alone (bundling on, as `cdk synth` does) and returns the files of its two deployments. */
function synth(consoleDir: string): { assets: string[]; page: string[] } {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'keyward-console-out-')) });
  const stack = new Stack(app, 'Console');
  const adminConsole = new AdminConsole(stack, 'AdminConsole', { stage: 'dev', isDevStage: true, consoleDir });
  adminConsole.publish({
    apiBaseUrl: 'https://api.example.com/dev/',
    authority: 'https://login.example.com',
    clientId: 'c',
    connectOrigins: [],
  });
  const assembly = app.synth().directory;
  const deployments = Object.values(Template.fromStack(stack).findResources('Custom::CDKBucketDeployment')) as {
    Properties: { DestinationBucketKeyPrefix: string; SourceObjectKeys: string[] };
  }[];
  const files = (prefix: string) => {
    const key = deployments.find((d) => d.Properties.DestinationBucketKeyPrefix === prefix)!.Properties.SourceObjectKeys[0]!;
    const dir = join(assembly, `asset.${key.replace(/\.zip$/, '')}`);
    return (readdirSync(dir, { recursive: true }) as string[]).sort();
  };
  const result = { assets: files('console/assets/'), page: files('console/') };
  rmSync(assembly, { recursive: true, force: true });
  return result;
}

describe('the console build during synth', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  const runs = (dir: string) => readFileSync(join(dir, 'runs'), 'utf8').length;

  it('builds a missing console once, and deploys its assets and its page (without Vite’s manifest)', () => {
    const dir = fakeConsole();
    dirs.push(dir);

    const files = synth(dir);

    expect(runs(dir)).toBe(1);
    expect(files.assets).toEqual(['app-1a2b.js']);
    expect(files.page).toEqual(['index.html']);
  });

  it('uses an up-to-date build as it is, and rebuilds a stale one', () => {
    const dir = fakeConsole();
    dirs.push(dir);
    synth(dir);

    synth(dir);
    expect(runs(dir)).toBe(1);

    // A source edited after the build makes it stale (the build dated a minute back, the source now).
    const earlier = new Date(Date.now() - 60_000);
    utimesSync(join(dir, 'dist', 'index.html'), earlier, earlier);
    writeFileSync(join(dir, 'src', 'main.tsx'), 'export const edited = true;');
    synth(dir);
    expect(runs(dir)).toBe(2);
  });
});
