import type { z } from 'zod';
import { PublicKeyDirectory } from './adapters/github-public-keys';
import { systemClock } from './domain/clock';
import { InvalidJson } from './domain/errors';
import type { secretScanningReportSchema } from './http/schemas';
import { parseWith } from './http/validation';
import { OPERATIONS } from './operations/manifest';
import { secretScanningConfig } from './runtime/config';
import { operation } from './runtime/operation';

/** The signer's keys, cached for the life of this execution environment. */
const signer = new PublicKeyDirectory({ url: secretScanningConfig().SECRET_SCANNING_KEYS_URL, clock: systemClock });

/**
 * `POST /v1/secret_scanning/github` (API.md §10): GitHub's secret-scanning report. The signature
 * over the raw body is checked before anything else, and before the body is even parsed; then
 * each token is judged, and keys found in public are rotated or reported to their admins.
 */
export const handler = operation('report-secret-scanning', async ({ event, services }) => {
  const raw = Buffer.from(event.body ?? '', 'utf8');
  await signer.verify(raw, event.headers['github-public-key-identifier'], event.headers['github-public-key-signature']);
  let report: unknown;
  try {
    report = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new InvalidJson();
  }
  const items = parseWith(OPERATIONS['report-secret-scanning'].signed.body, report) as z.output<typeof secretScanningReportSchema>;
  return { body: await services.leaks.report(items) };
});
