import { connect } from 'node:net';
import { stack } from './support';

/**
 * Malformed requests on a raw socket against the running local stack (API.md §6 "Robust"): each
 * gets an answer in the contract's shape (or a closed socket), and the stack keeps serving. The
 * stack runs in its own process, as `npm start` runs it: a request that crashed the gateway would
 * take the whole process, and /health, with it.
 */

const { hostname, port } = new URL(stack.url);

interface RawReply {
  /** The status of the first response on the connection; undefined when it was closed without one. */
  status: number | undefined;
  body: unknown;
}

function parse(raw: Buffer): RawReply {
  const text = raw.toString('latin1');
  const status = /^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1];
  if (!status) return { status: undefined, body: undefined };
  const split = text.indexOf('\r\n\r\n');
  const head = text.slice(0, split).toLowerCase();
  let body = text.slice(split + 4);
  if (head.includes('transfer-encoding: chunked')) {
    let decoded = '';
    for (;;) {
      const lineEnd = body.indexOf('\r\n');
      const size = Number.parseInt(body.slice(0, lineEnd), 16);
      if (!size) break;
      decoded += body.slice(lineEnd + 2, lineEnd + 2 + size);
      body = body.slice(lineEnd + 2 + size + 2);
    }
    body = decoded;
  }
  return { status: Number(status), body: body === '' ? undefined : JSON.parse(body) };
}

/** Sends `request` as is, half-closes, and collects what comes back until the server closes. */
function raw(request: Buffer | string): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(port), hostname, () => socket.end(request));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? undefined : reject(error)));
    socket.on('close', () => resolve(parse(Buffer.concat(chunks))));
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer and no close within 10 s')));
  });
}

async function expectStackUp(): Promise<void> {
  const health = await fetch(`${stack.url}/health`);
  expect(health.status).toBe(200);
  expect(await health.json()).toEqual({ status: 'ok' });
}

const contractError = (status: number, error: string, code: string) => ({ status, body: { status, error, code } });
const BAD_REQUEST = contractError(400, 'Bad Request', 'bad_request');
const INVALID_PATH = contractError(400, 'Bad Request', 'invalid_path');
const ROUTE_NOT_ALLOWED = contractError(403, 'Forbidden', 'route_not_allowed');

describe('the local gateway under malformed requests', () => {
  it.each([
    ['a target URL parsers reject (GET //[)', 'GET //[ HTTP/1.1\r\nHost: x\r\n\r\n', ROUTE_NOT_ALLOWED],
    ['an absolute-form target that does not parse', 'GET http://[::1 HTTP/1.1\r\nHost: x\r\n\r\n', BAD_REQUEST],
    ['an asterisk-form target', 'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n', BAD_REQUEST],
    ['a path that is not percent-encoding, protected API', 'GET /v1/customers/%ZZ HTTP/1.1\r\nHost: x\r\n\r\n', INVALID_PATH],
    [
      'a path that is not percent-encoding, management API',
      'GET /v1/organizations/demo/api_keys/%E0%A4%A HTTP/1.1\r\nHost: x\r\n\r\n',
      INVALID_PATH,
    ],
    [
      'an escape that is not UTF-8, with a body',
      'POST /v1/organizations/demo/api_keys/%C0%AF/rotate HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}',
      INVALID_PATH,
    ],
    ['a NUL byte in the target', 'GET /v1/cust\0omers HTTP/1.1\r\nHost: x\r\n\r\n', BAD_REQUEST],
    ['a NUL byte in a header', 'GET /v1/customers HTTP/1.1\r\nHost: x\r\nX-Api-Key: kw\0x\r\n\r\n', BAD_REQUEST],
    [
      'headers over the size limit',
      `GET /v1/customers HTTP/1.1\r\nHost: x\r\nX-Filler: ${'a'.repeat(20 * 1024)}\r\n\r\n`,
      contractError(431, 'Request Header Fields Too Large', 'bad_request'),
    ],
    ['a method HTTP does not know', 'BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n', BAD_REQUEST],
    ['a Content-Length that is not a number', 'POST /v1/customers HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', BAD_REQUEST],
    [
      'two different Content-Lengths',
      'POST /v1/customers HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
      BAD_REQUEST,
    ],
    ['a header line without a colon', 'GET /v1/customers HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n', BAD_REQUEST],
    ['an HTTP version that does not exist', 'GET /v1/customers HTTP/7.3\r\nHost: x\r\n\r\n', BAD_REQUEST],
    ['binary garbage (a TLS ClientHello)', Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]), BAD_REQUEST],
  ])('answers %s in the contract shape and keeps serving', async (_label, request, expected) => {
    expect(await raw(request)).toEqual(expected);
    await expectStackUp();
  });

  it('closes the connection of a CONNECT request, which API Gateway REST APIs do not serve, and keeps serving', async () => {
    expect(await raw('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n')).toEqual({ status: undefined, body: undefined });
    await expectStackUp();
  });

  it('never switches to WebSocket: the request is answered as a plain one (or its connection closed), and the stack keeps serving', async () => {
    const reply = await raw('GET /v1/customers HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    // Without a key, the plain request's answer is the authorizer's 401.
    expect([undefined, 401]).toContain(reply.status);
    if (reply.status) expect(reply.body).toEqual({ status: 401, error: 'Unauthorized' });
    await expectStackUp();
  });

  it('answers an absolute-form request by its path, ignoring the host in it', async () => {
    expect(await raw('GET http://elsewhere.example/health HTTP/1.1\r\nHost: x\r\n\r\n')).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('answers an HTTP/0.9-style request line (no version) like the same HTTP/1.1 request', async () => {
    expect(await raw('GET /v1/nope\r\n\r\n')).toEqual(ROUTE_NOT_ALLOWED);
    await expectStackUp();
  });

  it('keeps serving after a chunked body with a broken chunk size (answered or closed)', async () => {
    const reply = await raw('POST /v1/customers HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nabc\r\n');
    expect([undefined, 400]).toContain(reply.status);
    if (reply.status) expect(reply).toEqual(BAD_REQUEST);
    await expectStackUp();
  });

  it('keeps serving after a client drops its connection in the middle of a body, on both APIs', async () => {
    for (const path of ['/v1/customers', '/v1/organizations/demo/api_keys']) {
      await new Promise<void>((resolve, reject) => {
        const socket = connect(Number(port), hostname, () => {
          socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"name":`);
          setTimeout(() => {
            socket.destroy();
            resolve();
          }, 100);
        });
        socket.on('error', reject);
      });
    }
    await expectStackUp();
  });

  it('answers a malformed request that follows a good one on a keep-alive connection', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      let received = '';
      const socket = connect(Number(port), hostname, () => socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'));
      socket.on('data', (chunk: Buffer) => {
        const first = received === '';
        received += chunk.toString('latin1');
        if (first) socket.end('GET /v1/cust\0omers HTTP/1.1\r\nHost: x\r\n\r\n');
      });
      socket.on('error', reject);
      socket.on('close', () => resolve(received));
    });
    expect(reply).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(reply).toContain('HTTP/1.1 400 Bad Request\r\n');
    expect(reply).toContain('{"status":400,"error":"Bad Request","code":"bad_request"}');
    await expectStackUp();
  });
});
