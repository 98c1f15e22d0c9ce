import type { IncomingMessage } from 'node:http';

/** API Gateway's limits, as the local gateway applies them: payload size, integration timeout, stage throttling. */

/** API Gateway's hard payload limit. */
export const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

/** API Gateway's integration timeout: a handler that has not answered by then gets 504. */
export const INTEGRATION_TIMEOUT_MS = 29_000;

export class PayloadTooLargeError extends Error {}
/** The client closed the connection before its request was complete: nobody is left to answer. */
export class ClientGoneError extends Error {}

/** The request's body, refused (PayloadTooLargeError) as soon as it is known to exceed the limit. */
export function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > MAX_PAYLOAD_BYTES) return reject(new PayloadTooLargeError());
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_PAYLOAD_BYTES) {
        request.removeAllListeners('data');
        request.resume();
        reject(new PayloadTooLargeError());
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', () => reject(new ClientGoneError()));
    request.on('close', () => {
      if (!request.complete) reject(new ClientGoneError());
    });
  });
}

export const TIMED_OUT = Symbol('timed out');

/** `work`, or TIMED_OUT once `ms` have passed (the work itself goes on: nothing can cancel a handler). */
export async function within<T>(work: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * API Gateway's throttling algorithm: a bucket of `burstLimit` requests, refilled at `rateLimit`
 * per second; a request finding it empty is throttled.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rateLimit: number,
    private readonly burstLimit: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burstLimit;
    this.last = now();
  }

  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.burstLimit, this.tokens + ((now - this.last) / 1000) * this.rateLimit);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
