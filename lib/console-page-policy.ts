/**
 * The admin console's Content-Security-Policy, one definition for both places that serve it: the
 * local gateway (local/console-site.ts) and CloudFront (lib/constructs/admin-console.ts). Scripts
 * and styles come from the console's own origin only (index.html has no inline script or style);
 * `connect-src` adds the origins it calls: the management API and the OIDC issuer.
 */
export function consolePagePolicy(connectSources: readonly string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    // The checkboxes' ticks are data: SVG images in the stylesheet.
    "img-src 'self' data:",
    ['connect-src', "'self'", ...connectSources].join(' '),
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}
