import optimizeLocales from '@react-aria/optimize-locales-plugin';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

/**
 * The console is served under `/console/` (the local gateway, CloudFront). Its run-time settings
 * come from `config.json` next to index.html, so one build works in every deployment.
 */
export default defineConfig({
  base: '/console/',
  plugins: [
    react(),
    // The console speaks English only: react-aria's built-in strings (its hidden labels and
    // announcements) of its 30-odd other locales would be dead weight in the first load.
    optimizeLocales.vite({ locales: ['en-US'] }),
  ],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // dist/.vite/manifest.json: the chunk graph the first-load budget is computed from (scripts/bundle-size.ts).
    manifest: true,
    // Files, never data: URLs, so the favicon is a real asset (and the browser never asks the gateway for /favicon.ico).
    assetsInlineLimit: 0,
  },
  test: {
    environment: 'jsdom',
    include: ['test/**/*.test.{ts,tsx}'],
    setupFiles: ['test/setup.ts'],
    // Dates render in the browser's time zone: pin it so the expected strings are exact. Vitest
    // serves from "/", so the base the build uses is set here too.
    env: { TZ: 'UTC', BASE_URL: '/console/' },
    testTimeout: 20_000,
  },
});
