import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Manifest } from 'vite';

/**
 * The console's bundle, measured from what the build emitted: every file with its size raw and
 * gzipped (zlib's default level), and the first load, what a browser fetches before the keys page
 * can render: index.html, its entry chunk, every chunk that imports statically (index.html
 * modulepreloads them) and their stylesheets. The chunks of the other pages, the dialogs, the row menu, the tooltip and
 * the toasts are imported dynamically and come later.
 */

/** The first load's budget, gzipped bytes (kB = 1,000 bytes, as Vite prints them). `npm test` holds the build to it. */
export const FIRST_LOAD_BUDGET = 150_000;

/** Where Vite writes the build's manifest (`build.manifest`), relative to the build's directory. */
export const MANIFEST = join('.vite', 'manifest.json');

export interface FileSize {
  /** Relative to the build's directory, with `/` separators (`assets/index-BWI9wJY9.js`). */
  file: string;
  raw: number;
  gzip: number;
  firstLoad: boolean;
}

export function readManifest(distDir: string): Manifest {
  return JSON.parse(readFileSync(join(distDir, MANIFEST), 'utf8')) as Manifest;
}

/** The first load's files: each HTML entry, its chunk, then what that imports statically, depth first, with their CSS. */
export function firstLoadFiles(manifest: Manifest): string[] {
  const files = new Set<string>();
  const visited = new Set<string>();
  const visit = (key: string) => {
    const chunk = manifest[key];
    if (!chunk || visited.has(key)) return;
    visited.add(key);
    // An HTML entry's key is its page, emitted under the same name (`index.html`).
    if (chunk.isEntry && key.endsWith('.html')) files.add(key);
    files.add(chunk.file);
    for (const css of chunk.css ?? []) files.add(css);
    for (const imported of chunk.imports ?? []) visit(imported);
  };
  for (const [key, chunk] of Object.entries(manifest)) if (chunk.isEntry) visit(key);
  return [...files];
}

function emittedFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .filter((file) => !file.startsWith('.vite/'));
}

/** Every file the build emitted (the manifest itself aside), first-load files first, then the largest first. */
export function measureBuild(distDir: string): FileSize[] {
  const firstLoad = new Set(firstLoadFiles(readManifest(distDir)));
  return emittedFiles(distDir)
    .map((file) => {
      const content = readFileSync(join(distDir, file));
      return { file, raw: content.length, gzip: gzipSync(content).length, firstLoad: firstLoad.has(file) };
    })
    .sort((a, b) => Number(b.firstLoad) - Number(a.firstLoad) || b.gzip - a.gzip || a.file.localeCompare(b.file));
}

export function firstLoadGzip(sizes: readonly FileSize[]): number {
  return sizes.filter((size) => size.firstLoad).reduce((total, size) => total + size.gzip, 0);
}

const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;

/** Throws, naming the first load's files, when they weigh more than `budget` gzipped bytes. */
export function checkFirstLoadBudget(sizes: readonly FileSize[], budget = FIRST_LOAD_BUDGET): void {
  const total = firstLoadGzip(sizes);
  if (total <= budget) return;
  const files = sizes.filter((size) => size.firstLoad).map((size) => `${size.file} ${kB(size.gzip)}`);
  throw new Error(`the console's first load is ${kB(total)} gzipped, over its budget of ${kB(budget)}: ${files.join(', ')}`);
}

/** The table the build prints: every file, raw and gzipped, `*` marking the first load, then its total against the budget. */
export function formatSizes(sizes: readonly FileSize[], budget = FIRST_LOAD_BUDGET): string[] {
  const width = Math.max(...sizes.map((size) => size.file.length));
  const row = (mark: string, file: string, raw: string, gzip: string) =>
    `  ${mark} ${file.padEnd(width)}  ${raw.padStart(9)}  ${gzip.padStart(9)}`;
  const firstLoad = sizes.filter((size) => size.firstLoad);
  return [
    row(' ', 'file', 'raw', 'gzip'),
    ...sizes.map((size) => row(size.firstLoad ? '*' : ' ', size.file, kB(size.raw), kB(size.gzip))),
    `  first load (*): ${firstLoad.length} files, ${kB(firstLoadGzip(sizes))} gzipped; budget ${kB(budget)}`,
  ];
}
