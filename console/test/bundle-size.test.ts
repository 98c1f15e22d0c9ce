// @vitest-environment node
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Manifest } from 'vite';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkFirstLoadBudget,
  FIRST_LOAD_BUDGET,
  firstLoadFiles,
  firstLoadGzip,
  formatSizes,
  MANIFEST,
  measureBuild,
} from '../scripts/bundle-size';

/**
 * The first-load calculator on a build made by hand: a page whose entry imports a shared chunk and a
 * stylesheet, and loads a page chunk and a dialog chunk (which imports the shared chunk too) later.
 */
const manifest: Manifest = {
  'index.html': {
    file: 'assets/index-1.js',
    src: 'index.html',
    isEntry: true,
    imports: ['_shared-1.js'],
    dynamicImports: ['src/Page.tsx', 'src/Dialog.tsx'],
    css: ['assets/index-1.css'],
    assets: ['assets/favicon-1.svg'],
  },
  '_shared-1.js': { file: 'assets/shared-1.js', imports: ['_vendor-1.js'] },
  '_vendor-1.js': { file: 'assets/vendor-1.js', imports: ['_shared-1.js'] },
  'src/Page.tsx': { file: 'assets/Page-1.js', src: 'src/Page.tsx', isDynamicEntry: true, imports: ['index.html'] },
  'src/Dialog.tsx': { file: 'assets/Dialog-1.js', src: 'src/Dialog.tsx', isDynamicEntry: true, imports: ['_shared-1.js', '_lazy-1.js'] },
  '_lazy-1.js': { file: 'assets/lazy-1.js' },
};

const dist = mkdtempSync(join(tmpdir(), 'keyward-bundle-size-'));
afterAll(() => rmSync(dist, { recursive: true, force: true }));
const contents: Record<string, string> = {
  'index.html': '<!doctype html><script type="module" src="/console/assets/index-1.js"></script>',
  'assets/index-1.js': 'import "./shared-1.js";'.repeat(40),
  'assets/index-1.css': 'body { margin: 0 }',
  'assets/favicon-1.svg': '<svg/>',
  'assets/shared-1.js': 'export const shared = 1;'.repeat(30),
  'assets/vendor-1.js': Array.from({ length: 200 }, (_, i) => `export const v${i} = ${i * 7919};`).join('\n'),
  'assets/Page-1.js': 'export default 1;',
  'assets/Dialog-1.js': 'export default 2;',
  'assets/lazy-1.js': 'export default 3;',
  [MANIFEST]: JSON.stringify(manifest),
};
mkdirSync(join(dist, 'assets'));
mkdirSync(join(dist, '.vite'));
for (const [file, content] of Object.entries(contents)) writeFileSync(join(dist, file), content);
const gzipped = (file: string) => gzipSync(contents[file]!).length;

describe('the first load', () => {
  it('is the page, its entry chunk with its stylesheet, and every chunk imported statically from it, never a dynamic import', () => {
    expect(firstLoadFiles(manifest)).toEqual([
      'index.html',
      'assets/index-1.js',
      'assets/index-1.css',
      'assets/shared-1.js',
      'assets/vendor-1.js',
    ]);
  });

  it('measures every emitted file raw and gzipped, the manifest aside, and sums the first load gzipped', () => {
    const sizes = measureBuild(dist);
    expect(sizes.map((size) => size.file).sort()).toEqual(
      Object.keys(contents)
        .filter((file) => file !== MANIFEST)
        .sort(),
    );
    const vendor = sizes.find((size) => size.file === 'assets/vendor-1.js')!;
    expect(vendor).toEqual({
      file: 'assets/vendor-1.js',
      raw: contents['assets/vendor-1.js']!.length,
      gzip: gzipped('assets/vendor-1.js'),
      firstLoad: true,
    });
    expect(sizes.find((size) => size.file === 'assets/lazy-1.js')!.firstLoad).toBe(false);
    const firstLoad = ['index.html', 'assets/index-1.js', 'assets/index-1.css', 'assets/shared-1.js', 'assets/vendor-1.js'];
    expect(firstLoadGzip(sizes)).toBe(firstLoad.reduce((total, file) => total + gzipped(file), 0));
    // First-load files lead the table, each marked; the last line is the total against the budget.
    expect(sizes.slice(0, 5).every((size) => size.firstLoad)).toBe(true);
    const table = formatSizes(sizes, 1000);
    expect(table.filter((line) => line.startsWith('  * '))).toHaveLength(5);
    expect(table.at(-1)).toBe(`  first load (*): 5 files, ${(firstLoadGzip(sizes) / 1000).toFixed(1)} kB gzipped; budget 1.0 kB`);
  });

  it('passes a budget it fits in, and fails one it does not, naming its files', () => {
    const sizes = measureBuild(dist);
    const total = firstLoadGzip(sizes);
    expect(() => checkFirstLoadBudget(sizes, total)).not.toThrow();
    expect(() => checkFirstLoadBudget(sizes, total - 1)).toThrow(
      `the console's first load is ${(total / 1000).toFixed(1)} kB gzipped, over its budget of`,
    );
    expect(() => checkFirstLoadBudget(sizes, 100)).toThrow(/over its budget of 0\.1 kB: /);
    for (const file of firstLoadFiles(manifest)) expect(() => checkFirstLoadBudget(sizes, 100)).toThrow(file);
    expect(() => checkFirstLoadBudget(sizes, 100)).not.toThrow('lazy-1.js');
    expect(FIRST_LOAD_BUDGET).toBe(150_000);
  });
});
