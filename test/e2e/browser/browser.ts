import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { stack } from '../support';

/**
 * The console in a real browser: Debian's Chromium (`apt-get install chromium`; .ci/run installs
 * it) driven by playwright-core, whose own browser download cannot reach its host from here.
 * One browser per test file, a fresh context (cookies, storage) per scenario.
 */

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Where the screenshots docs/console.md describes go (git-ignored). */
export const SCREENSHOTS = join(__dirname, '..', '..', '..', 'screenshots');
export const CONSOLE_URL = `${stack.url}/console/`;

/** Dates are asserted in this locale and zone, which the console formats in (the browser's). */
export const LOCALE = 'en-US';
export const TIME_ZONE = 'UTC';

export function launchBrowser(): Promise<Browser> {
  // Chromium's sandbox refuses to run as root (CI runs as root).
  const sandbox = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: sandbox });
}

/** A test file's browser, and the context and page of the test that runs now. */
export interface BrowserSession {
  readonly browser: Browser;
  /** A new one for each test: no cookies or storage carried over. */
  readonly context: BrowserContext;
  readonly page: Page;
}

/**
 * Registers the Jest hooks of a browser test file: Chromium launched once for the file, a fresh
 * context and page before each test, closed after it. Call it at the top of the file and read
 * `session.page` inside the tests (each test gets its own).
 */
export function browserSession(): BrowserSession {
  // A real browser on a shared machine: axe-core alone takes seconds on the permissions table.
  jest.setTimeout(180_000);
  let browser: Browser | undefined;
  let current: { context: BrowserContext; page: Page } | undefined;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });
  beforeEach(async () => {
    const context = await newContext(browser!);
    current = { context, page: await context.newPage() };
  });
  afterEach(async () => {
    await current?.context.close();
    current = undefined;
  });
  const running = () => {
    if (current === undefined) throw new Error('the browser session has a page only while a test runs');
    return current;
  };
  return {
    get browser() {
      if (browser === undefined) throw new Error('the browser is launched in beforeAll');
      return browser;
    },
    get context() {
      return running().context;
    },
    get page() {
      return running().page;
    },
  };
}

export async function newContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({ locale: LOCALE, timezoneId: TIME_ZONE, viewport: { width: 1280, height: 800 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.url });
  context.setDefaultTimeout(15_000);
  return context;
}

/** Signs in through the dev issuer's page, as a person does: **Sign in**, **Email**, **Sign-in code** (the banner's), **Sign in**. */
export async function signIn(page: Page, email: string): Promise<void> {
  await page.goto(CONSOLE_URL);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('textbox', { name: 'Email' }).fill(email);
  await page.getByRole('textbox', { name: 'Sign-in code' }).fill(stack.signInCode);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** Fails on any axe-core violation rated serious or critical on the page as it is now. */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const grave = violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
  const report = grave.map(
    (violation) => `${violation.id} (${violation.impact}): ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
  );
  expect({ page: what, violations: report }).toEqual({ page: what, violations: [] });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** The row of the keys table whose cells contain `text` (a name, a masked value). */
export function keyRow(page: Page, text: string): Locator {
  return page.getByRole('row').filter({ hasText: text });
}

/** Waits until `check` holds (the page updates after the API answers); fails with `what` otherwise. */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`still not true after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The date and time as the console shows it: the browser's locale and zone, to the minute. */
export function shownDateTime(iso: string): string {
  return new Intl.DateTimeFormat(LOCALE, { dateStyle: 'medium', timeStyle: 'short', timeZone: TIME_ZONE }).format(new Date(iso));
}
