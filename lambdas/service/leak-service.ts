import { isExpired, isPendingRotation, landingDeadline, type StoredApiKey } from '../domain/api-key';
import type { Actor, AuditEvent } from '../domain/audit-event';
import type { Clock } from '../domain/clock';
import { ApiKeyNotFound, RotationAlreadyScheduled } from '../domain/errors';
import {
  DEFAULT_LEAKED_KEY_ACTION,
  LeakAlreadyRecorded,
  type LeakLabel,
  type LeakRecord,
  type LeakReportItem,
  type LeakVerdict,
} from '../domain/leak';
import { type KeyStore, StaleState } from '../domain/ports';
import { hashToken, isWellFormedToken, maskTokenShapes } from '../domain/token';
import { logger } from '../observability/logger';
import type { ApiKeyService } from './api-key-service';

/** Keys found in public are acted on by keyward itself. */
const SYSTEM: Actor = { type: 'system' };

/**
 * How many tokens of a report are looked up at once: a 1,000-token report is a few dozen rounds
 * of reads, well within the function's time limit, without a burst that throttles the table.
 */
const CONCURRENCY = 32;

/** A key that changed under a report (rotated by an admin, or by a concurrent report) is judged again, at most this often. */
const ATTEMPTS = 3;

export interface LeakServiceDeps {
  store: KeyStore;
  keys: ApiKeyService;
  clock: Clock;
  keyPrefix: string;
}

/**
 * Secret-scanning reports (API.md §10). Each token is judged on its own: a look-alike (wrong
 * prefix or checksum) is a false positive without any read; the token of a live key is acted on
 * as its organization's `leaked_key_action` says, once (the leak's record is written in the same
 * transaction as what is done); a token whose leak was already acted on is a true positive that
 * changes nothing. The verdicts name no organization and no key.
 */
export class LeakService {
  constructor(private readonly deps: LeakServiceDeps) {}

  async report(items: readonly LeakReportItem[]): Promise<LeakVerdict[]> {
    // A token reported twice in one batch is judged once.
    const judged = new Map<string, Promise<LeakLabel>>();
    const labels = new Array<Promise<LeakLabel>>(items.length);
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const index = next++;
        const item = items[index]!;
        const hash = hashToken(item.token);
        let label = judged.get(hash);
        if (!label) {
          label = this.judge(item, hash);
          judged.set(hash, label);
        }
        labels[index] = label;
        await label;
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
    return Promise.all(
      items.map(async (item, index) => ({ token_hash: hashToken(item.token), token_type: item.type, label: await labels[index]! })),
    );
  }

  private async judge(item: LeakReportItem, tokenHash: string): Promise<LeakLabel> {
    if (!isWellFormedToken(item.token, this.deps.keyPrefix)) return 'false_positive';
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.act(item, tokenHash);
      } catch (error) {
        if (error instanceof LeakAlreadyRecorded) return 'true_positive';
        // The key changed between the reads and the write (rotated, scheduled, deleted): judge it again as it is now.
        const changed = error instanceof ApiKeyNotFound || error instanceof RotationAlreadyScheduled || error instanceof StaleState;
        if (!changed || attempt >= ATTEMPTS) throw error;
      }
    }
  }

  private async act(item: LeakReportItem, tokenHash: string): Promise<LeakLabel> {
    const { store, clock } = this.deps;
    // Both reads at once: most reported tokens are neither, and a report must fit the function's time limit.
    const [leak, hot] = await Promise.all([store.findLeak(tokenHash), store.findByHash(tokenHash)]);
    if (leak) return 'true_positive';
    if (!hot || isExpired(hot.expiresAt, clock.now())) return 'false_positive';
    const [key, settings] = await Promise.all([store.getKey(hot.organizationId, hot.apiKeyId), store.getSettings(hot.organizationId)]);
    if (!key || isExpired(key.expiresAt, clock.now())) return 'false_positive';
    const action = settings?.leakedKeyAction ?? DEFAULT_LEAKED_KEY_ACTION;
    const where = { source: maskTokenShapes(item.source), url: maskTokenShapes(item.url) };
    const record = (newApiKeyId: string | null): LeakRecord => ({
      tokenHash,
      organizationId: key.organizationId,
      apiKeyId: key.id,
      action,
      newApiKeyId,
      reportedAt: clock.now().toISOString(),
      ...where,
    });
    const event = (old: StoredApiKey, details: Record<string, unknown>): AuditEvent =>
      this.deps.keys.event('api_key.leaked', old, SYSTEM, { ...where, action, ...details });

    if (action === 'notify') {
      await store.recordLeak(record(null), event(key, {}));
    } else if (isPendingRotation(key)) {
      // Its replacement exists already: the scheduled rotation ends now instead of at its time.
      await this.deps.keys.supersedeRotation(key, event(key, {}), record(null));
    } else if (key.expiresAt !== null && isExpired(key.expiresAt, landingDeadline(clock.now()))) {
      // It expires before a rotation could land (rotations refuse it, API.md §8), and its owner
      // planned no successor: it ends now, like a superseded rotation, without a replacement.
      await this.deps.keys.supersedeRotation(key, event(key, {}), record(null));
    } else {
      await this.deps.keys.rotate(key.organizationId, SYSTEM, key.id, { expires_in: 'now' }, undefined, (old, next) => ({
        event: event(old, { new_api_key_id: next.id, new_masked_value: next.maskedValue }),
        leak: record(next.id),
      }));
    }
    logger.info('leaked key acted on', { organization_id: key.organizationId, api_key_id: key.id, action });
    return 'true_positive';
  }
}
