import { Conflict } from './errors';
import { StaleState } from './ports';

export interface RetryOnConflictOptions {
  /** Which failures mean "a concurrent change won the race". @default error instanceof StaleState */
  isConflict?: (error: unknown) => boolean;
  /** @default 6 */
  attempts?: number;
}

const DEFAULT_ATTEMPTS = 6;
const BASE_DELAY_MS = 10;

/**
 * The one retry loop of the runtime (DESIGN.md "Concurrency"): runs `attempt` again when it lost a
 * race to a concurrent change, after a jittered exponential pause (at most 10, 20, 40… ms) so the
 * racers do not collide again in lockstep. Any other failure propagates; so does the last
 * conflict, as Conflict (409 `conflict`, API.md §3: nothing changed, safe to retry) when the
 * conflicts are the default StaleState ones, as itself otherwise (the caller explains it).
 * Each attempt must start from a fresh read of what it depends on.
 */
export async function retryOnConflict<T>(attempt: () => Promise<T>, options: RetryOnConflictOptions = {}): Promise<T> {
  const isConflict = options.isConflict ?? ((error: unknown) => error instanceof StaleState);
  const attempts = options.attempts ?? DEFAULT_ATTEMPTS;
  for (let made = 1; ; made++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isConflict(error)) throw error;
      if (made >= attempts) throw options.isConflict === undefined ? new Conflict() : error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * BASE_DELAY_MS * 2 ** (made - 1)));
    }
  }
}
