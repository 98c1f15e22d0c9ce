import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer } from 'node:net';
import startSesServer from 'aws-ses-v2-local';
import { SES_MAX_RECIPIENTS } from '../lambdas/adapters/ses-mailer';

export const DEFAULT_SES_PORT = 8005;
const HOST = '127.0.0.1';

export interface SesEmulator {
  /** SES endpoint for the SDK (`SES_ENDPOINT`); the web inbox is served at the same address. */
  endpoint: string;
  stop(): Promise<void>;
}

/** Fails with a clear message when the port is taken (the emulator would otherwise crash the process). */
function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(`SES emulator: port ${port} on ${HOST} is not available (${error.code}); set SES_PORT`)),
    );
    probe.listen(port, HOST, () => probe.close(() => resolve()));
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    // The inbox page keeps connections alive; close them so stop() does not wait on a browser.
    server.closeAllConnections();
  });
}

/** The emulator's own limit (`express.json({ limit: '25mb' })`). */
const MAX_BODY_BYTES = 25 * 1024 * 1024;
/** A request the emulator leaves unanswered (e.g. an unknown v1 Action) is not waited on forever. */
const UPSTREAM_TIMEOUT_MS = 10_000;

class RefusedRequest extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        request.removeAllListeners('data');
        request.resume();
        reject(new RefusedRequest(413, 'request body too large'));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
    request.on('close', () => {
      if (!request.complete) reject(new Error('client closed the connection'));
    });
  });
}

/**
 * Refuses, before they reach aws-ses-v2-local, the inbox requests whose error paths answer twice
 * and reject a promise nobody handles (`GET /get-emlContent` for an unknown message, `GET /store`
 * with a bad `since`): in this process, that would be an unhandled rejection.
 */
async function refuseBrokenInboxRequests(url: URL, innerUrl: string): Promise<void> {
  if (url.pathname === '/store') {
    const since = url.searchParams.getAll('since');
    if (since.length > 1 || (since.length === 1 && !/^(0|-?[1-9][0-9]*)$/.test(since[0]!))) {
      throw new RefusedRequest(400, 'since must be one integer (epoch seconds)');
    }
  }
  if (url.pathname === '/get-emlContent') {
    const messageIds = url.searchParams.getAll('messageId');
    if (messageIds.length !== 1 || messageIds[0] === '') throw new RefusedRequest(400, 'messageId must be given once');
    const store = (await (await fetch(`${innerUrl}/store`, { signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS) })).json()) as {
      emails?: { messageId?: string }[];
    };
    if (!store.emails?.some((email) => email.messageId === messageIds[0])) throw new RefusedRequest(404, 'no such message');
  }
}

/** `Destination.BccAddresses.member.1`, `.member.2`, … of an SES v1 query request, in order. */
function members(form: URLSearchParams, prefix: string): string[] {
  const out: string[] = [];
  for (let n = 1; form.has(`${prefix}.member.${n}`); n++) out.push(form.get(`${prefix}.member.${n}`)!);
  return out;
}

/** An SES v1 (query protocol) error answer, as the SDK parses it into the named exception. */
function sesError(response: ServerResponse, code: string, message: string): void {
  response.writeHead(400, { 'content-type': 'text/xml' });
  response.end(`<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error></ErrorResponse>`);
}

/**
 * The SES v1 `SendEmail` request (what `@aws-sdk/client-ses` sends) as the emulator's SES v2
 * request. aws-ses-v2-local's own v1 handler keeps only the first address of each recipient list,
 * so an email BCC'd to three admins would show one; its v2 handler keeps them all.
 */
function v1SendEmailAsV2(form: URLSearchParams): unknown {
  const body: Record<string, { Data: string; Charset?: string }> = {};
  for (const part of ['Text', 'Html'] as const) {
    const data = form.get(`Message.Body.${part}.Data`);
    if (data !== null) body[part] = { Data: data, Charset: form.get(`Message.Body.${part}.Charset`) ?? undefined };
  }
  return {
    FromEmailAddress: form.get('Source'),
    Destination: {
      ToAddresses: members(form, 'Destination.ToAddresses'),
      CcAddresses: members(form, 'Destination.CcAddresses'),
      BccAddresses: members(form, 'Destination.BccAddresses'),
    },
    ReplyToAddresses: members(form, 'ReplyToAddresses'),
    Content: { Simple: { Subject: { Data: form.get('Message.Subject.Data') ?? '' }, Body: body } },
  };
}

/**
 * Starts `aws-ses-v2-local` (in this process, on loopback only) behind a small front server on
 * `port`: it accepts SES SendEmail calls, keeps the mail in memory, and serves a web inbox at `/`
 * and the mail as JSON at `GET /store`. The front server forwards everything as is, except the
 * v1 SendEmail it re-encodes (see `v1SendEmailAsV2`) or refuses as SES would (more than
 * `SES_MAX_RECIPIENTS` recipients: `InvalidParameterValue`).
 */
export async function startSesEmulator(options: { port?: number } = {}): Promise<SesEmulator> {
  const port = options.port ?? DEFAULT_SES_PORT;
  await assertPortFree(port);
  const inner: Server = await startSesServer({ host: HOST, port: 0 });
  const address = inner.address();
  const innerUrl = `http://${HOST}:${typeof address === 'object' && address ? address.port : 0}`;

  const forward = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const target = request.url?.startsWith('/') ? request.url : '/';
    if (request.method === 'GET') await refuseBrokenInboxRequests(new URL(`http://emulator${target}`), innerUrl);
    const raw = await readBody(request);
    const form = request.method === 'POST' && request.url === '/' ? new URLSearchParams(raw.toString('utf8')) : undefined;
    if (form?.get('Action') === 'SendEmail') {
      // SES refuses more recipients than this in one message (To, Cc and Bcc together); the emulator takes any number.
      const recipients = ['To', 'Cc', 'Bcc'].flatMap((kind) => members(form, `Destination.${kind}Addresses`)).length;
      if (recipients > SES_MAX_RECIPIENTS) {
        sesError(response, 'InvalidParameterValue', `Recipient count exceeds ${SES_MAX_RECIPIENTS}.`);
        return;
      }
      const sent = await fetch(`${innerUrl}/v2/email/outbound-emails`, {
        method: 'POST',
        signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS),
        // The emulator checks only that a request is signed; the original signature serves.
        headers: { 'content-type': 'application/json', authorization: request.headers.authorization ?? '' },
        body: JSON.stringify(v1SendEmailAsV2(form)),
      });
      const result = (await sent.json()) as { MessageId?: string; message?: string };
      if (!sent.ok || !result.MessageId) {
        sesError(response, 'MessageRejected', result.message ?? 'rejected');
        return;
      }
      response.writeHead(200, { 'content-type': 'text/xml' });
      response.end(
        `<?xml version="1.0" encoding="UTF-8"?><SendEmailResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><SendEmailResult><MessageId>${result.MessageId}</MessageId></SendEmailResult></SendEmailResponse>`,
      );
      return;
    }
    const headers = Object.fromEntries(
      Object.entries(request.headers).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[0] !== 'host'),
    );
    const upstream = await fetch(`${innerUrl}${target}`, {
      method: request.method,
      signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS),
      headers,
      body: request.method === 'GET' || request.method === 'HEAD' ? undefined : raw,
    });
    response.writeHead(
      upstream.status,
      Object.fromEntries([...upstream.headers].filter(([name]) => name !== 'content-encoding' && name !== 'transfer-encoding')),
    );
    response.end(Buffer.from(await upstream.arrayBuffer()));
  };

  const front = createHttpServer((request, response) => {
    forward(request, response).catch((error: unknown) => {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      response.writeHead(error instanceof RefusedRequest ? error.status : 502, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ message: error instanceof Error ? error.message : String(error) }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.listen(port, HOST, () => resolve());
  });
  return {
    endpoint: `http://${HOST}:${port}`,
    stop: async () => {
      await Promise.all([closeServer(front), closeServer(inner)]);
    },
  };
}
