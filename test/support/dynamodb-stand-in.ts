import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { marshall } from '@aws-sdk/util-dynamodb';
import { hashToken } from '../../lambdas/domain/token';
import { freePort } from './free-port';

/** One request as DynamoDB would receive it over its JSON protocol. */
export interface StandInRequest {
  /** `GetItem`, `TransactWriteItems`, … (from `X-Amz-Target: DynamoDB_20120810.<operation>`). */
  operation: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body. */
  body: Record<string, unknown>;
}

/** How the stand-in answers one request. */
export type Reply =
  | { status?: number; json: unknown }
  | { status: number; text: string; contentType?: string }
  /** Sends the status and headers, then only the start of the promised body, then closes the connection. */
  | { truncated: string }
  /** Closes the connection without an answer (a reset, as a proxy or a load balancer may). */
  | { reset: true }
  /** Never answers (the client's timeout must end the attempt). */
  | { hang: true };

export interface DynamoDbStandIn {
  endpoint: string;
  requests: StandInRequest[];
  /** TCP connections accepted so far. */
  connections(): number;
  /** Sets how the next requests are answered; the default answers every request with `{}`. */
  respond(reply: (request: StandInRequest) => Reply): void;
  close(): Promise<void>;
}

/**
 * The hot item of `token` as DynamoDB's JSON protocol carries it: key `key-1` of organization
 * `acme`, allowed to read customers, with `attributes` (plain values) added or replaced.
 */
export function wireHotItem(token: string, attributes: Record<string, unknown> = {}): Record<string, unknown> {
  return marshall({
    pk: `KEYHASH#${hashToken(token)}`,
    sk: 'KEYHASH',
    organization_id: 'acme',
    api_key_id: 'key-1',
    permissions: { customer: ['read'] },
    ...attributes,
  });
}

/** DynamoDB's error body for `code` (the JSON protocol's `__type`). */
export function dynamoError(code: string, message = code, extra: Record<string, unknown> = {}): Reply {
  return { status: 400, json: { __type: `com.amazonaws.dynamodb.v20120810#${code}`, message, ...extra } };
}

/**
 * A local HTTP server on a free loopback port that speaks just enough of DynamoDB's JSON protocol
 * to produce what DynamoDB Local cannot: throttling, 5xx, hangs, malformed or truncated bodies,
 * reset connections. It records every request.
 */
export async function startDynamoDbStandIn(): Promise<DynamoDbStandIn> {
  const requests: StandInRequest[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  let reply: (request: StandInRequest) => Reply = () => ({ json: {} });

  const send = (response: ServerResponse, answer: Reply): void => {
    if ('reset' in answer) {
      response.socket?.destroy();
    } else if ('hang' in answer) {
      // Nothing: the client gives up, and close() ends the socket.
    } else if ('truncated' in answer) {
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'content-length': answer.truncated.length + 100 });
      response.write(answer.truncated, () => response.socket?.destroy());
    } else if ('json' in answer) {
      response.writeHead(answer.status ?? 200, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(answer.json));
    } else {
      response.writeHead(answer.status, { 'content-type': answer.contentType ?? 'text/html' }).end(answer.text);
    }
  };

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      const recorded: StandInRequest = {
        operation: target.replace(/^DynamoDB_20120810\./, ''),
        headers: request.headers,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'),
      };
      requests.push(recorded);
      send(response, reply(recorded));
    });
  });
  server.on('connection', (socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));

  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    connections: () => connections,
    respond(next) {
      reply = next;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
