import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

/**
 * The console is served under `/console/` (the local gateway, CloudFront). Its run-time settings
 * come from `config.json` next to index.html, so one build works in every deployment.
 */
export default defineConfig({
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // One chunk on purpose: every page is needed within a click of the first, and React alone is
    // most of it. The figure is reported (README, Console) rather than warned about on every build.
    chunkSizeWarningLimit: 1024,
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
