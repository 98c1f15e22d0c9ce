import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * AWS SDK packages on one version line (docs/development.md, "Node versions and the AWS SDK"). The SDK publishes
 * each client only when it changes, so the clients' own versions differ; what must agree is what
 * they share: exactly one copy of every `@aws-sdk/*` and `@smithy/*` package in the lock file (one
 * `@aws-sdk/core`, one `@smithy/core`), so no bundle carries two SDK cores and every client runs
 * the core that was tested.
 */
const ROOT = join(__dirname, '..', '..');
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string }>;
};
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

const SDK_PACKAGE = /(?:^|\/)node_modules\/((?:@aws-sdk|@smithy)\/[^/]+)$/;

describe('AWS SDK versions', () => {
  const copies = new Map<string, string[]>();
  for (const [path, entry] of Object.entries(lock.packages)) {
    const name = SDK_PACKAGE.exec(path)?.[1];
    if (name) copies.set(name, [...(copies.get(name) ?? []), `${path}@${entry.version}`]);
  }

  it('resolves every @aws-sdk and @smithy package to a single copy', () => {
    expect(copies.get('@aws-sdk/core')).toHaveLength(1);
    expect(copies.get('@smithy/core')).toHaveLength(1);
    expect([...copies].filter(([, paths]) => paths.length > 1)).toEqual([]);
  });

  it('pins each direct SDK dependency to exactly the version the lock file installs', () => {
    const direct = Object.entries(pkg.dependencies).filter(([name]) => name.startsWith('@aws-sdk/'));
    expect(direct.length).toBeGreaterThan(0);
    for (const [name, range] of direct) expect(`${name}@${range}`).toBe(`${name}@${lock.packages[`node_modules/${name}`]?.version}`);
  });
});
