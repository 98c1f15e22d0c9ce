import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { checkFirstLoadBudget, formatSizes, measureBuild } from './bundle-size';
import { consoleBuildIsFresh } from './freshness';
import { generateApiTypes } from './generate-api';

/**
 * Builds the console into console/dist when its sources are newer than the last build (or when
 * forced), so `npm start` and `npm test` can call it every time at no cost when nothing changed.
 * `npm run console:build` runs it; `-- --force` rebuilds regardless. A build prints the size of
 * every file it emitted and the first load against its budget (scripts/bundle-size.ts); over
 * budget it warns, and `npm test` fails (console/test/build.test.ts).
 */
export const CONSOLE_DIR = fileURLToPath(new URL('..', import.meta.url));
export const CONSOLE_DIST = join(CONSOLE_DIR, 'dist');

export async function buildConsole({ force = false, log = (line: string) => process.stdout.write(`${line}\n`) } = {}): Promise<{
  built: boolean;
}> {
  await generateApiTypes();
  if (!force && consoleBuildIsFresh(CONSOLE_DIR, CONSOLE_DIST)) {
    log(`console: ${CONSOLE_DIST} is up to date`);
    return { built: false };
  }
  log('console: building…');
  await build({ root: CONSOLE_DIR, configFile: join(CONSOLE_DIR, 'vite.config.ts'), logLevel: 'warn' });
  log(`console: built into ${CONSOLE_DIST}`);
  const sizes = measureBuild(CONSOLE_DIST);
  for (const line of formatSizes(sizes)) log(line);
  try {
    checkFirstLoadBudget(sizes);
  } catch (error) {
    log(`console: warning: ${(error as Error).message}`);
  }
  return { built: true };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildConsole({ force: process.argv.includes('--force') });
}
