import { join } from 'node:path';
import { build } from 'esbuild';

/**
 * The api-key authorizer's cold start is on every consumer's path (docs/benchmarks.md): its
 * bundle must not pull an AWS SDK client back in, e.g. through an import of the SDK store.
 */
describe('api-key authorizer import graph', () => {
  it('bundles no AWS SDK client, only the thin DynamoDB adapter', async () => {
    const root = join(__dirname, '..', '..', '..');
    const result = await build({
      entryPoints: [join(root, 'lambdas/api-key-authorizer.ts')],
      bundle: true,
      write: false,
      metafile: true,
      treeShaking: true,
      outdir: 'out',
      platform: 'node',
      format: 'cjs',
      logLevel: 'silent',
    });
    // What ends up in the output (a module imported for nothing is shaken off and weighs 0 bytes).
    const inputs = Object.values(result.metafile.outputs).flatMap((output) =>
      Object.entries(output.inputs)
        .filter(([, input]) => input.bytesInOutput > 0)
        .map(([path]) => path),
    );
    expect(inputs.filter((input) => /node_modules\/(@aws-sdk\/(client-|lib-)|@smithy\/)/.test(input))).toEqual([]);
    expect(inputs).toContain('lambdas/adapters/dynamodb-http/client.ts');
    expect(inputs.some((input) => input.startsWith('node_modules/aws4/'))).toBe(true);
  });
});
