import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

/**
 * The policy simulator, @cloud-copilot/iam-simulate, is AGPL-3.0: keyward (Apache-2.0) uses it in
 * its tests only. It must never become a runtime dependency nor reach a Lambda bundle, where it
 * would be distributed with every deployment.
 */
const ROOT = join(__dirname, '..', '..', '..');
const SIMULATOR = /node_modules\/@cloud-copilot\//;

describe('the AGPL policy simulator', () => {
  it('is a dev dependency only', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    expect(manifest.devDependencies).toHaveProperty('@cloud-copilot/iam-simulate');
    for (const section of ['dependencies', 'optionalDependencies', 'peerDependencies', 'bundleDependencies']) {
      expect(Object.keys(manifest[section] ?? {}).filter((name) => name.startsWith('@cloud-copilot/'))).toEqual([]);
    }
  });

  it('is in no Lambda bundle: every entry file under lambdas/, bundled as the stack bundles it', async () => {
    const entries = readdirSync(join(ROOT, 'lambdas')).filter((name) => name.endsWith('.ts'));
    const result = await build({
      entryPoints: entries.map((name) => join(ROOT, 'lambdas', name)),
      bundle: true,
      write: false,
      metafile: true,
      outdir: 'out',
      platform: 'node',
      format: 'cjs',
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);

    expect(entries.length).toBeGreaterThan(15);
    expect(inputs.filter((input) => input.startsWith('lambdas/adapters/')).length).toBeGreaterThan(5);
    expect(inputs.filter((input) => SIMULATOR.test(input))).toEqual([]);
  });
});
