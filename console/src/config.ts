import * as z from 'zod/mini';

/**
 * The console's run-time settings, read from `config.json` next to index.html. Whoever serves the
 * console writes it (the local gateway, the CDK deployment), so one build works everywhere.
 */
const configSchema = z.object({
  /** The OIDC issuer admins sign in with (Cognito, another issuer, the local dev issuer). */
  authority: z.url(),
  /** The console's client id at that issuer (the `aud` the management API requires). */
  client_id: z.string().check(z.minLength(1)),
  /** Where the issuer sends the browser back. @default the console's own URL */
  redirect_uri: z.optional(z.url()),
  /** Base URL of the management API. @default the console's origin */
  api_base_url: z.optional(z.url()),
  /** @default "openid email" */
  scope: z.optional(z.string().check(z.minLength(1))),
});

export interface ConsoleConfig {
  authority: string;
  clientId: string;
  redirectUri: string;
  apiBaseUrl: string;
  scope: string;
}

/** The console's own URL (`https://host/console/`), which every relative default resolves against. */
export function consoleUrl(): string {
  return new URL(import.meta.env.BASE_URL, window.location.origin).href;
}

export class ConfigError extends Error {}

export async function loadConfig(): Promise<ConsoleConfig> {
  const url = new URL('config.json', consoleUrl());
  let raw: unknown;
  try {
    const response = await fetch(url, { cache: 'no-store' });
    if (!response.ok) throw new ConfigError(`${url.pathname} answered ${response.status}`);
    raw = await response.json();
  } catch (error) {
    throw error instanceof ConfigError ? error : new ConfigError(`${url.pathname} could not be read (${String(error)})`);
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
    throw new ConfigError(`${url.pathname} is invalid: ${problems}`);
  }
  const config = parsed.data;
  return {
    authority: config.authority,
    clientId: config.client_id,
    redirectUri: config.redirect_uri ?? consoleUrl(),
    apiBaseUrl: config.api_base_url ?? window.location.origin,
    scope: config.scope ?? 'openid email',
  };
}
