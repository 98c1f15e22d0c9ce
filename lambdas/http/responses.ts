import type { APIGatewayProxyResult } from 'aws-lambda';
import { etagOf } from './etag';

export interface JsonOptions {
  /**
   * Marks a response that carries a plaintext token (`value`): no browser, proxy or CDN may keep
   * a copy of it.
   */
  noStore?: boolean;
  /** The version of the one key the response returns, sent as its `ETag`. */
  version?: number;
}

/** A JSON response; every management response, success or error, is built here. */
export function json(statusCode: number, body: unknown, options: JsonOptions = {}): APIGatewayProxyResult {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (options.noStore) headers['cache-control'] = 'no-store';
  if (options.version !== undefined) headers.etag = etagOf(options.version);
  return { statusCode, headers, body: JSON.stringify(body) };
}

export const ok = (body: unknown, options?: JsonOptions) => json(200, body, options);
export const created = (body: unknown, options?: JsonOptions) => json(201, body, options);
