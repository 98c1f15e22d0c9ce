import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildProgram } from '../../../bin/cli';
import { CONTEXT_KEYS } from '../../../lib/config';
import type { CommandWorld } from './commands';

export const ROOT = join(__dirname, '..', '..', '..');

interface PackageJson {
  name: string;
  scripts?: Record<string, string>;
  bin?: Record<string, string>;
  workspaces?: string[];
}

const readPackage = (dir: string): PackageJson => JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as PackageJson;

/** True when git runs `args` in the repository and exits 0. */
const git = (...args: string[]): boolean => spawnSync('git', args, { cwd: ROOT, stdio: 'ignore' }).status === 0;

/** This repository as the docs may refer to it: its scripts, bins, CLI, context keys, paths and variables. */
export function repositoryWorld(): CommandWorld {
  const root = readPackage('.');
  const scripts = new Map<string, ReadonlySet<string>>([['', new Set(Object.keys(root.scripts ?? {}))]]);
  for (const dir of root.workspaces ?? []) {
    const workspace = readPackage(dir);
    const names = new Set(Object.keys(workspace.scripts ?? {}));
    scripts.set(dir, names).set(workspace.name, names);
  }

  // What git ignores on purpose (state, build output) is a path the docs may name: it exists once the stack or a build ran.
  const ignoredTopLevel = readFileSync(join(ROOT, '.gitignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim().replace(/\/$/, ''))
    .filter((line) => line !== '' && !line.startsWith('#') && !/[*/]/.test(line));

  const silentIo = { out: () => {}, err: () => {}, env: {}, cwd: ROOT };
  return {
    scripts,
    bins: new Set([...readdirSync(join(ROOT, 'node_modules', '.bin')), ...Object.keys(root.bin ?? {})]),
    cli: buildProgram(silentIo),
    contextKeys: new Set(CONTEXT_KEYS),
    topLevel: new Set([...readdirSync(ROOT).filter((entry) => entry !== '.git'), ...ignoredTopLevel]),
    // A pattern such as `console/dist/` matches only a folder: ask for the path as a folder too.
    pathExists: (path) =>
      existsSync(join(ROOT, path)) ||
      git('check-ignore', '--quiet', '--no-index', path) ||
      git('check-ignore', '--quiet', '--no-index', `${path}/`),
    // Named in code, configuration or scripts: not only in the docs, or in the docs checks' own examples.
    readsVariable: (name) =>
      git(
        'grep',
        '--quiet',
        '--word-regexp',
        '--fixed-strings',
        '-e',
        name,
        '--',
        '.',
        ':!docs',
        ':!README.md',
        ':!test/unit/docs',
        ':!test/support/docs',
      ),
  };
}
