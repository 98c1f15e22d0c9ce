import * as path from 'node:path';
import { build } from 'esbuild';
import { OPERATION_LIST } from '../../../lambdas/operations/manifest';

const ROOT = path.join(__dirname, '..', '..', '..');

describe('the operation manifest', () => {
  it('can be imported by lib/ at synth time without loading any AWS SDK client (only zod and the schemas)', async () => {
    const result = await build({
      entryPoints: [path.join(ROOT, 'lambdas/operations/manifest.ts')],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      logLevel: 'silent',
    });
    const packages = new Set(
      Object.keys(result.metafile.inputs)
        .map((input) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1])
        .filter((name) => name !== undefined),
    );
    // ipaddr.js: the allowlist's CIDR parsing in the request schemas (pure, no I/O).
    expect([...packages].sort()).toEqual(['ipaddr.js', 'zod']);
  });

  it('has one row per method and path, each with its own entry file', () => {
    const routes = OPERATION_LIST.map((operation) => `${operation.method} ${operation.path}`);
    expect(new Set(routes).size).toBe(routes.length);
    for (const operation of OPERATION_LIST) {
      expect(() => require.resolve(path.join(ROOT, 'lambdas', `${operation.entry}.ts`))).not.toThrow();
    }
  });
});
