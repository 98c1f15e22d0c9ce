import '@testing-library/jest-dom/vitest';
import { cleanup, configure } from '@testing-library/react';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, vi } from 'vitest';

/** One MSW server for every test file: each test installs its own fake API with `server.use`. */
export const server = setupServer();

const inBrowser = typeof window !== 'undefined';

// The pages, dialogs and overlays the keys page does not show are imported lazily (src/app/routes.tsx):
// Vitest transforms such a module graph on its first import, which on a busy machine takes longer
// than Testing Library's default second of waiting for what it renders.
configure({ asyncUtilTimeout: 5000 });

if (inBrowser) {
  // jsdom has no canvas; axe-core probes one (for icon fonts) and only needs to learn that.
  HTMLCanvasElement.prototype.getContext = () => null;
}

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  server.resetHandlers();
  vi.restoreAllMocks();
  if (!inBrowser) return;
  cleanup();
  // react-aria's live announcer lives outside React, in <body>, and outlives a test by seconds:
  // its pending announcements point at toasts that the cleanup just removed.
  for (const log of document.querySelectorAll('[data-live-announcer] [role="log"]')) log.replaceChildren();
  window.sessionStorage.clear();
  window.localStorage.clear();
  window.history.replaceState(null, '', '/console/');
});
afterAll(() => server.close());
