import { type ServerResponse, STATUS_CODES } from 'node:http';
import { defaultGatewayResponse, renderGatewayResponse } from '../lambdas/http/gateway-responses';

/**
 * The answers the local gateway gives itself: JSON bodies, the contract's gateway responses
 * (`lambdas/http/gateway-responses.ts`, shared with the CDK stack), and the bare HTTP of a request
 * Node's parser refused. Each returns the status it sent, for the request log.
 */

export function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): number {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
  return status;
}

export function gatewayResponse(
  response: ServerResponse,
  gatewayAnswer: { status: number; body: string },
  context: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): number {
  return send(response, gatewayAnswer.status, renderGatewayResponse(gatewayAnswer.body, context), headers);
}

/**
 * The answer to a request Node's parser refused with `code` (headers over the size limit: 431; a
 * timeout: 408; anything else: 400), as raw HTTP on a connection that then closes: there is no
 * ServerResponse for it.
 */
export function refusal(code: string | undefined): { status: number; http: string } {
  const status = code === 'HPE_HEADER_OVERFLOW' ? 431 : code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const body = defaultGatewayResponse(status).body;
  return {
    status,
    http:
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
      `connection: close\r\n\r\n${body}`,
  };
}
