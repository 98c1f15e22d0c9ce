import type { ApiKeyView, ApiKeyWithValue } from '../../lambdas/domain/api-key';
import { escapeControlCharacters } from '../../lambdas/domain/text';
import type { UsageBucket } from '../../lambdas/domain/usage';

/**
 * Stored text as the CLI prints it: names and emails come from the table, where data written
 * before names were checked (or by anything else) may hold ESC sequences, CR or LF; shown escaped
 * (`\u001b`), they can neither act on the operator's terminal nor start a line of their own.
 */
export const shown = escapeControlCharacters;

/** Columns padded to their widest cell: readable in a terminal, and `--json` is there for scripts. Every cell is shown escaped. */
export function table(header: string[], cells: string[][]): string {
  const rows = cells.map((row) => row.map(shown));
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** Keys as the management API lists them; "Expires" is when a rotated-out or expiring key stops working. */
export function keyTable(keys: ApiKeyView[]): string {
  if (keys.length === 0) return 'No API keys.';
  return table(
    ['ID', 'Name', 'Key', 'Allowed IPs', 'Created', 'Expires', 'Last used'],
    keys.map((key) => [
      key.id,
      key.name ?? '(unnamed)',
      key.masked_value,
      key.allowed_ips === null ? 'any' : key.allowed_ips.join(' '),
      key.created_at,
      key.expires_at ?? '-',
      key.last_used_at ?? 'never',
    ]),
  );
}

/** A new token, shown once. */
export function newKeyText(intro: string, key: ApiKeyWithValue): string {
  return [
    intro,
    '',
    `  ${key.value}`,
    '',
    'Store it now: it will not be shown again here (an admin can reveal it through the management API).',
  ].join('\n');
}

/** A key object as the management API returns it: the version travels in its ETag, not in the body. */
export function withoutVersion<T extends { version?: unknown }>(key: T): Omit<T, 'version'> {
  const { version: _version, ...rest } = key;
  return rest;
}

/** Usage buckets as `GET …/usage` answers them, one row per key and bucket, denials summed with their codes. */
export function usageTable(usage: readonly UsageBucket[]): string {
  if (usage.length === 0) return 'No requests in this range.';
  return table(
    ['Start', 'Key', 'Allowed', 'Denied', 'Throttled', 'Denied by code'],
    usage.map((bucket) => {
      const codes = Object.entries(bucket.denied);
      return [
        bucket.start,
        bucket.api_key_id,
        String(bucket.allowed),
        String(codes.reduce((sum, [, count]) => sum + count, 0)),
        String(bucket.throttled),
        codes.map(([code, count]) => `${code} ${count}`).join(', ') || '-',
      ];
    }),
  );
}
