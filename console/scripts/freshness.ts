import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Whether a console build is up to date, by modification times: shared by the build script (which
 * skips an up-to-date build) and the CDK app (which builds the console during synth when it is
 * missing or stale, lib/constructs/admin-console.ts). Node built-ins only, so either can import it.
 */

/** What a build is made from, relative to the console's directory. */
export const BUILD_INPUTS = ['index.html', 'vite.config.ts', 'package.json', 'tsconfig.json', 'src', join('..', 'package-lock.json')];

/** The newest modification time under `path` (itself included); missing paths count as never changed. */
export function newestChange(path: string): number {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(path);
  } catch {
    return Number.NEGATIVE_INFINITY;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((entry) => newestChange(join(path, entry))));
}

/** When the build in `distDir` was made (its index.html), or -Infinity when there is none. */
export function builtAt(distDir: string): number {
  try {
    return statSync(join(distDir, 'index.html')).mtimeMs;
  } catch {
    return Number.NEGATIVE_INFINITY;
  }
}

/** True when `<consoleDir>/dist` exists and no input changed after it was built. */
export function consoleBuildIsFresh(consoleDir: string, distDir = join(consoleDir, 'dist')): boolean {
  const made = builtAt(distDir);
  return made !== Number.NEGATIVE_INFINITY && Math.max(...BUILD_INPUTS.map((input) => newestChange(join(consoleDir, input)))) <= made;
}
