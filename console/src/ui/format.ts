/**
 * Dates as the admin reads them: the browser's locale and time zone, to the minute
 * (`Nov 28, 2026, 10:53 AM` in en-US).
 */
export function formatDateTime(iso: string): string {
  return new Intl.DateTimeFormat(navigator.languages, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

export function lastUsedText(lastUsedAt: string | null): string {
  return lastUsedAt === null ? 'Never used' : `Last used: ${formatDateTime(lastUsedAt)}`;
}

export function keyName(name: string | null | undefined): string {
  return name || 'Unnamed key';
}
