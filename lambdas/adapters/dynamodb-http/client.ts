import * as http from 'node:http';
import * as https from 'node:https';
import * as aws4 from 'aws4';
import { type CancellationReason, ConditionalCheckFailed, DynamoDbHttpError, RetriesExhausted, TransactionCanceled } from './errors';

/**
 * A minimal DynamoDB client for the api-key authorizer's hot path: DynamoDB's JSON protocol over
 * Node's own HTTP client, requests signed (SigV4) by aws4. It exists for cold start: the SDK's
 * client is most of the authorizer's bundle and module load (docs/benchmarks.md), for two
 * operations. Every other function keeps the SDK.
 *
 * What it keeps of the SDK: credentials and region from the Lambda environment; retries with
 * jittered backoff on throttling, 5xx, timeouts and lost connections within a bounded budget;
 * typed errors; a timeout per attempt; and keep-alive connections reused across invocations (one
 * keep-alive agent per client, like the SDK's NodeHttpHandler).
 *
 * Why aws4 and `http.request` rather than aws4fetch and `fetch` (measured for issue 12, Node 20,
 * one GetItem on loopback): aws4fetch builds a `Headers`, and `fetch` is undici, which Node loads
 * on first use, so the first request of a cold start came 80 ms after the module load instead of
 * 15 ms; and per call, WebCrypto signing and `fetch` cost 380 µs of CPU against 150 µs. Both
 * signers are Michael Hart's; @smithy/signature-v4 (the SDK's) signs as fast but bundles 145 KB.
 */

export type Operation = 'GetItem' | 'UpdateItem' | 'TransactWriteItems';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Each attempt is aborted after this long, response body included. */
  attemptTimeoutMs: number;
  /** The delay before retry n is uniform in [0, min(cap, base × 2^(n-1))) ("full jitter"). */
  backoffBaseMs: number;
  backoffCapMs: number;
}

/**
 * At most 3 attempts of at most 2 s, with under 50 ms then 100 ms of backoff between them: a
 * failing table costs a request at most ≈ 6.2 s, well within the authorizer's 10 s function
 * timeout, so it always ends as a thrown error (API Gateway's 500), never as a Lambda timeout.
 * A healthy strongly consistent GetItem takes single-digit milliseconds.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 3, attemptTimeoutMs: 2000, backoffBaseMs: 50, backoffCapMs: 1000 };

export interface DynamoDbHttpClientOptions {
  region: string;
  credentials: Credentials;
  /** E.g. DynamoDB Local's `http://127.0.0.1:8000`. @default `https://dynamodb.<region>.amazonaws.com` (`.com.cn` in China) */
  endpoint?: string;
  retry?: Partial<RetryPolicy>;
}

/** DynamoDB's answers that mean "not now" rather than "no": the same request may pass after a pause. */
const THROTTLING = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded']);

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export class DynamoDbHttpClient {
  private readonly url: URL;
  private readonly transport: typeof http | typeof https;
  private readonly agent: http.Agent;
  private readonly retry: RetryPolicy;

  constructor(private readonly options: DynamoDbHttpClientOptions) {
    const suffix = options.region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
    this.url = new URL(options.endpoint ?? `https://dynamodb.${options.region}.${suffix}/`);
    this.transport = this.url.protocol === 'https:' ? https : http;
    // Idle connections stay open between invocations; one closed meanwhile fails its request as a
    // lost connection, which is retried.
    this.agent = new this.transport.Agent({ keepAlive: true });
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  }

  /**
   * The client of a Lambda function: region and credentials as the Lambda runtime provides them
   * (`AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`). They are
   * read once, like the SDK's environment credentials; a missing one fails the cold start.
   */
  static fromEnvironment(endpoint?: string, env: NodeJS.ProcessEnv = process.env): DynamoDbHttpClient {
    const missing = ['AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'].filter((name) => !env[name]?.trim());
    if (missing.length > 0) throw new Error(`invalid DynamoDB client configuration: ${missing.join(', ')} must be set`);
    return new DynamoDbHttpClient({
      region: env.AWS_REGION!.trim(),
      credentials: {
        accessKeyId: env.AWS_ACCESS_KEY_ID!.trim(),
        secretAccessKey: env.AWS_SECRET_ACCESS_KEY!.trim(),
        sessionToken: env.AWS_SESSION_TOKEN?.trim() || undefined,
      },
      endpoint,
    });
  }

  /** Sends one request, retried within the budget; resolves to DynamoDB's JSON answer. */
  async send(operation: Operation, input: object): Promise<Record<string, unknown>> {
    const body = JSON.stringify(input);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(operation, body);
      } catch (failure) {
        if (!(failure instanceof DynamoDbHttpError) || !failure.retryable) throw failure;
        if (attempt >= this.retry.maxAttempts) throw new RetriesExhausted(operation, attempt, failure);
        const ceiling = Math.min(this.retry.backoffCapMs, this.retry.backoffBaseMs * 2 ** (attempt - 1));
        await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
      }
    }
  }

  private async attempt(operation: Operation, body: string): Promise<Record<string, unknown>> {
    // Signed per attempt: a retry carries its own X-Amz-Date.
    const signed = aws4.sign(
      {
        host: this.url.host,
        path: this.url.pathname,
        method: 'POST',
        service: 'dynamodb',
        region: this.options.region,
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDB_20120810.${operation}` },
        body,
      },
      this.options.credentials,
    );
    const response = await this.exchange(signed.headers ?? {}, body);
    if (response.status < 200 || response.status > 299) throw errorFrom(response);
    const output = parseJson(response.text);
    if (!isRecord(output)) {
      throw new DynamoDbHttpError(
        `${operation} answered ${response.status} with a body that is not a JSON object`,
        'MalformedResponse',
        false,
      );
    }
    return output;
  }

  /** One POST and its whole answer, or a retryable Timeout / NetworkError. */
  private exchange(headers: http.OutgoingHttpHeaders, body: string): Promise<HttpAnswer> {
    const signal = AbortSignal.timeout(this.retry.attemptTimeoutMs);
    return new Promise((resolve, reject) => {
      const fail = (error: Error) =>
        reject(
          signal.aborted
            ? new DynamoDbHttpError('the request timed out', 'Timeout', true, { cause: error })
            : new DynamoDbHttpError(`the connection failed: ${error.message}`, 'NetworkError', true, { cause: error }),
        );
      const request = this.transport.request(this.url, { method: 'POST', headers, agent: this.agent, signal }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        // A connection closed before the whole body arrived is an error, not a short answer.
        response.on('error', fail);
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') }),
        );
      });
      request.on('error', fail);
      request.end(body);
    });
  }
}

interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The typed error of a non-2xx answer; its body, when it is not DynamoDB's error JSON, is not repeated (a proxy's page says nothing useful). */
function errorFrom(response: HttpAnswer): DynamoDbHttpError {
  const parsed = parseJson(response.text);
  const json = isRecord(parsed) ? parsed : {};
  const header = response.headers['x-amzn-errortype'];
  const type = typeof json.__type === 'string' ? json.__type : typeof header === 'string' ? header : '';
  // `com.amazonaws.dynamodb.v20120810#ThrottlingException`, or the header's `ThrottlingException:http://…`.
  const code = type.split('#').pop()!.split(':')[0]! || `Http${response.status}`;
  const rawMessage = json.message ?? json.Message;
  const message = typeof rawMessage === 'string' ? rawMessage : `HTTP ${response.status}`;
  if (code === 'ConditionalCheckFailedException') return new ConditionalCheckFailed(message);
  if (code === 'TransactionCanceledException') {
    const reasons = Array.isArray(json.CancellationReasons) ? json.CancellationReasons.filter(isRecord) : [];
    return new TransactionCanceled(message, reasons as CancellationReason[]);
  }
  const retryable = response.status >= 500 || response.status === 429 || THROTTLING.has(code);
  return new DynamoDbHttpError(`${code}: ${message}`, code, retryable);
}
