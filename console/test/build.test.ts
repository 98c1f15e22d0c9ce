// @vitest-environment node
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { checkFirstLoadBudget, firstLoadFiles, measureBuild, readManifest } from '../scripts/bundle-size';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = mkdtempSync(join(tmpdir(), 'keyward-console-'));
beforeAll(async () => {
  // What `npm run console:build` ships: Vite builds React's development files when NODE_ENV says
  // so, and Vitest sets it to "test".
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ root, configFile: join(root, 'vite.config.ts'), logLevel: 'silent', build: { outDir, emptyOutDir: true } });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
}, 120_000);
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

it('builds a page that a strict CSP allows: no inline script, style or handler, every asset under /console/', () => {
  const html = readFileSync(join(outDir, 'index.html'), 'utf8');

  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  expect(scripts.length).toBeGreaterThan(0);
  for (const [, attributes, body] of scripts) {
    expect(attributes).toMatch(/\bsrc="\/console\/assets\/[^"]+\.js"/);
    expect(body!.trim()).toBe('');
  }
  expect(html).not.toMatch(/<style\b/);
  expect(html).not.toMatch(/\sstyle=/);
  expect(html).not.toMatch(/\son[a-z]+=/);
  const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map(([, url]) => url!);
  expect(assets.length).toBeGreaterThanOrEqual(2);
  for (const asset of assets) {
    expect(asset).toMatch(/^\/console\/assets\//);
    expect(existsSync(join(outDir, asset.replace(/^\/console\//, '')))).toBe(true);
  }
  // The run-time settings are the server's to write; the build must not ship a stale one.
  expect(existsSync(join(outDir, 'config.json'))).toBe(false);
});

it('keeps the first load (the page, its entry chunk, what that imports statically, their CSS) within its budget', () => {
  const sizes = measureBuild(outDir);
  expect(() => checkFirstLoadBudget(sizes)).not.toThrow();
});

it('loads the other pages, the dialogs, the row menu, the tooltip and the toasts after the keys page, from chunks of their own', () => {
  const manifest = readManifest(outDir);
  const firstLoad = new Set(firstLoadFiles(manifest));
  const lazy = ['ApiKeyFormPage', 'AuditLogPage', 'SettingsPage', 'UsagePage', 'KeyDialogs', 'KeyMenu', 'ExpiryTooltip', 'Toaster'];
  for (const name of lazy) {
    const chunk = Object.values(manifest).find((candidate) => candidate.src?.endsWith(`/${name}.tsx`));
    expect({ name, isDynamicEntry: chunk?.isDynamicEntry }).toEqual({ name, isDynamicEntry: true });
    expect({ name, inFirstLoad: firstLoad.has(chunk!.file) }).toEqual({ name, inFirstLoad: false });
  }
  // Every modulepreload of the page is in the first load, and the reverse: the page and the calculator agree.
  const html = readFileSync(join(outDir, 'index.html'), 'utf8');
  const linked = [...html.matchAll(/(?:src|href)="\/console\/(assets\/[^"]+\.(?:js|css))"/g)].map(([, file]) => file!);
  expect(new Set(linked)).toEqual(new Set([...firstLoad].filter((file) => file !== 'index.html')));
});
