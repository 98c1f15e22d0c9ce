import { type OutgoingHttpHeaders, validateHeaderName, validateHeaderValue } from 'node:http';
import { join } from 'node:path';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';

/** The Lambda side of the local gateway: the real entry files as handlers, and their proxy results as HTTP answers. */

export type AnyHandler = (event: unknown, context: Context) => Promise<unknown>;

/**
 * The handler of an entry file (`<lambdasDir>/<entry>.ts`), loaded once, on first use, after the
 * runtime has set their environment; a load that failed is tried again next time.
 */
export function handlerLoader(lambdasDir: string): (entry: string) => Promise<AnyHandler> {
  const modules = new Map<string, Promise<AnyHandler>>();
  return (entry) => {
    let loaded = modules.get(entry);
    if (!loaded) {
      loaded = import(join(lambdasDir, entry)).then((module: { handler?: AnyHandler; default?: { handler?: AnyHandler } }) => {
        const handler = module.handler ?? module.default?.handler;
        if (typeof handler !== 'function') throw new Error(`lambdas/${entry} does not export a handler`);
        return handler;
      });
      modules.set(entry, loaded);
      loaded.catch(() => modules.delete(entry));
    }
    return loaded;
  };
}

/**
 * A value as it crosses the Lambda boundary: an event or a result travels as JSON, so the function
 * (or API Gateway) gets plain objects with only JSON's own properties (`{"__proto__":"1"}` parses
 * to an own `__proto__` entry), never the objects the other side built. Throws for a value JSON
 * cannot carry, as the Lambda runtime fails such an invocation.
 */
export function overTheWire<T>(value: T): T {
  const text = JSON.stringify(value);
  return (text === undefined ? null : JSON.parse(text)) as T;
}

/** What API Gateway sends for a Lambda proxy result; undefined when the result is not a valid one. */
export function proxyResponse(result: unknown): { status: number; headers: OutgoingHttpHeaders; body: Buffer } | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const proxy = result as Partial<APIGatewayProxyResult>;
  const { statusCode, body } = proxy;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) return undefined;
  if (body !== undefined && body !== null && typeof body !== 'string') return undefined;
  const headers: Record<string, string | string[]> = {};
  try {
    for (const [name, values] of Object.entries(proxy.multiValueHeaders ?? {})) {
      if (!Array.isArray(values)) return undefined;
      headers[name.toLowerCase()] = values.map(String);
    }
    for (const [name, value] of Object.entries(proxy.headers ?? {})) headers[name.toLowerCase()] = String(value);
    for (const [name, value] of Object.entries(headers)) {
      validateHeaderName(name);
      for (const one of [value].flat()) validateHeaderValue(name, one);
    }
  } catch {
    return undefined;
  }
  const text = body ?? '';
  return { status: statusCode, headers, body: proxy.isBase64Encoded ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8') };
}
