import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE_TARGET, KEYWARD_RUNTIME } from '../../lib/constructs/keyward-function';
import { readDocs, tableUnder } from '../support/docs/markdown';

/**
 * One Node (docs/development.md, "Node versions and the AWS SDK"): the Lambda runtime's. The project pins that Node as the `node`
 * devDependency, so npm scripts, npx, the tests and the CLI run on it from node_modules/.bin
 * whatever the machine's own Node is; engines, .nvmrc and the type check name the same major, and
 * the bundle targets it.
 */
const ROOT = join(__dirname, '..', '..');
const major = (version: string): number => Number(/(\d+)/.exec(version)?.[1]);

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
  allowScripts: Record<string, boolean>;
};
const runtime = major(KEYWARD_RUNTIME.name);

describe('Node versions', () => {
  it('pins the Node of the Lambda runtime exactly, and lets its install script fetch the binary', () => {
    expect(pkg.devDependencies.node).toMatch(/^\d+\.\d+\.\d+$/);
    expect(major(pkg.devDependencies.node!)).toBe(runtime);
    // The `node` package's preinstall installs the platform's binary; npm skips unapproved scripts.
    expect(pkg.allowScripts.node).toBe(true);
  });

  it('names the same major in engines, .nvmrc and @types/node (the type check refuses newer APIs)', () => {
    expect(pkg.engines.node).toBe(`>=${runtime}`);
    expect(major(readFileSync(join(ROOT, '.nvmrc'), 'utf8').trim())).toBe(runtime);
    expect(major(pkg.devDependencies['@types/node']!)).toBe(runtime);
  });

  it('bundles the functions for the Node of the runtime', () => {
    expect(BUNDLE_TARGET).toBe(`node${runtime}`);
  });

  it('runs the tests on the Node of the runtime', () => {
    expect(major(process.version)).toBe(runtime);
  });

  it('is the story docs/development.md tells: its table names the versions pinned here', () => {
    const cells = tableUnder(readDocs(ROOT).get('docs/development.md')!, 'node-versions-and-the-aws-sdk').flat();
    const nvmrc = readFileSync(join(ROOT, '.nvmrc'), 'utf8').trim();
    expect(cells.flatMap((cell) => cell.code)).toEqual(
      expect.arrayContaining([pkg.devDependencies.node, pkg.engines.node, nvmrc, KEYWARD_RUNTIME.name, BUNDLE_TARGET]),
    );
    expect(cells.map((cell) => cell.text).join('\n')).toContain(`@types/node ${runtime}.x`);
  });
});
