import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE_TARGET, KEYWARD_RUNTIME } from '../../lib/constructs/keyward-function';
import { readDocs, tableUnder } from '../support/docs/markdown';

/**
 * One Node version story (docs/development.md, "Node versions and the AWS SDK"): the code is developed, tested and type-checked
 * on the `engines` floor, and deployed on a Lambda runtime at least as new, bundled for it.
 */
const ROOT = join(__dirname, '..', '..');
const major = (version: string): number => Number(/(\d+)/.exec(version)?.[1]);

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
};
const floor = major(pkg.engines.node);

describe('Node versions', () => {
  it('develops on the engines floor: .nvmrc and @types/node name the same major', () => {
    expect(pkg.engines.node).toMatch(/^>=\d+\.\d+$/);
    expect(major(readFileSync(join(ROOT, '.nvmrc'), 'utf8').trim())).toBe(floor);
    // The type check then refuses a Node API newer than the floor, in runtime code too.
    expect(major(pkg.devDependencies['@types/node']!)).toBe(floor);
  });

  it('deploys on a Lambda runtime no older than the floor, bundled for that runtime', () => {
    const runtime = major(KEYWARD_RUNTIME.name);
    expect(runtime).toBeGreaterThanOrEqual(floor);
    expect(BUNDLE_TARGET).toBe(`node${runtime}`);
  });

  it('is the story docs/development.md tells: its table names the versions pinned here', () => {
    const cells = tableUnder(readDocs(ROOT).get('docs/development.md')!, 'node-versions-and-the-aws-sdk').flat();
    const nvmrc = readFileSync(join(ROOT, '.nvmrc'), 'utf8').trim();
    expect(cells.flatMap((cell) => cell.code)).toEqual(
      expect.arrayContaining([pkg.engines.node, nvmrc, KEYWARD_RUNTIME.name, BUNDLE_TARGET]),
    );
    expect(cells.map((cell) => cell.text).join('\n')).toContain(`@types/node ${major(pkg.devDependencies['@types/node']!)}.x`);
  });
});
