import type { RequestInput } from './api-gateway-events';

/**
 * API Gateway's authorizer result cache, as the local gateway emulates it when a TTL is configured
 * (`authorizerCacheTtlSeconds`): the key is the values of the authorizer's identity sources; a
 * fresh entry is the authorizer's whole result (policy, principal, context), applied to the next
 * request with the same key without invoking the authorizer, and evaluated against that request's
 * method ARN. Only valid results are kept: a thrown `Unauthorized` or a failure is decided again
 * on the next request.
 */

export interface CachedResult {
  result: unknown;
  expiresAt: number;
}

/** What the identity sources name in a request, or undefined when one is missing or empty (API Gateway's own 401). */
export function identityOf(
  sources: readonly string[],
  input: Pick<RequestInput, 'method' | 'resource' | 'sourceIp'>,
  header: (name: string) => string | string[] | undefined,
): string | undefined {
  const values: string[] = [];
  for (const source of sources) {
    let value: string | string[] | undefined;
    if (source.startsWith('method.request.header.')) value = header(source.slice('method.request.header.'.length));
    else if (source === 'context.httpMethod') value = input.method;
    else if (source === 'context.resourcePath') value = input.resource;
    else if (source === 'context.identity.sourceIp') value = input.sourceIp;
    else throw new Error(`the local gateway does not emulate the identity source ${source}`);
    if (Array.isArray(value)) value = value.join(',');
    if (value === undefined || value.trim() === '') return undefined;
    values.push(value);
  }
  return JSON.stringify(values);
}

export class AuthorizerResultCache {
  private readonly entries = new Map<string, CachedResult>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The result cached for `identity`, while fresh. */
  get(identity: string): unknown {
    const entry = this.entries.get(identity);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(identity);
      return undefined;
    }
    return entry.result;
  }

  set(identity: string, result: unknown): void {
    this.entries.set(identity, { result, expiresAt: this.now() + this.ttlMs });
  }
}
