import type { HotKey } from '../domain/api-key';
import type { Clock } from '../domain/clock';
import type { KeyLookup } from '../domain/ports';

export interface HotKeyCacheOptions {
  /**
   * How long a found key is served from memory. This is the revocation lag the cache adds: a
   * deleted, rotated or re-scoped key keeps its old answer for up to this long per instance.
   */
  ttlMs: number;
  /** Beyond this many keys the least recently used one is dropped, which bounds the memory. */
  maxEntries: number;
  clock: Clock;
}

interface Entry {
  key: HotKey;
  /** Epoch ms, taken before the read, so no answer is ever served older than `ttlMs`. */
  freshUntil: number;
}

/**
 * An optional, bounded, in-function cache in front of `findByHash` (DESIGN.md "Quality targets"):
 * one key's hot item lives in one partition, which serves at most 3,000 strongly consistent reads
 * per second, so a single key at 10k req/s needs the authorizer to read it less often. With this
 * cache each warm instance reads a hot key at most once per `ttlMs`.
 *
 * Only found keys are cached: a key created a moment ago must work at once. Concurrent misses for
 * one hash are not merged, because a Lambda instance serves one request at a time.
 */
export function withHotKeyCache<S extends KeyLookup>(store: S, options: HotKeyCacheOptions): S {
  // A Map iterates in insertion order; re-inserting on every hit keeps the least recently used first.
  const entries = new Map<string, Entry>();
  const cached: S = Object.create(store);

  cached.findByHash = async (tokenHash) => {
    const now = options.clock.now().getTime();
    const entry = entries.get(tokenHash);
    if (entry !== undefined) {
      entries.delete(tokenHash);
      if (now < entry.freshUntil) {
        entries.set(tokenHash, entry);
        return entry.key;
      }
    }
    const key = await store.findByHash(tokenHash);
    if (key !== undefined) {
      entries.set(tokenHash, { key, freshUntil: now + options.ttlMs });
      if (entries.size > options.maxEntries) entries.delete(entries.keys().next().value!);
    }
    return key;
  };

  cached.recordUsage = async (key, at, staleBefore) => {
    const wrote = await store.recordUsage(key, at, staleBefore);
    const entry = entries.get(key.tokenHash);
    if (entry !== undefined) {
      // Wrote: the cached copy learns the new last_used_at, so the next minute's requests skip the
      // write as they would after a fresh read. Did not write: another instance recorded the use,
      // or the key vanished; either way the copy is stale, and keeping it would retry a doomed
      // conditional write on every request until it expires, so the next request re-reads instead.
      if (wrote) entry.key = { ...entry.key, lastUsedAt: at.toISOString() };
      else entries.delete(key.tokenHash);
    }
    return wrote;
  };

  return cached;
}
