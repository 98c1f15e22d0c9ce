import { AwsV4Signer } from 'aws4fetch';
import { type CancellationReason, ConditionalCheckFailed, DynamoDbHttpError, RetriesExhausted, TransactionCanceled } from './errors';

/**
 * A minimal DynamoDB client for the api-key authorizer's hot path: DynamoDB's JSON protocol over
 * the runtime's `fetch`, requests signed (SigV4) by aws4fetch. It exists for cold start: the SDK's
 * client is most of the authorizer's bundle and module load (README "Benchmarks"), for two
 * operations. Every other function keeps the SDK.
 *
 * What it keeps of the SDK: credentials and region from the Lambda environment; retries with
 * jittered backoff on throttling, 5xx, timeouts and lost connections within a bounded budget;
 * typed errors; a timeout per attempt; and keep-alive connections reused across invocations
 * (`fetch`'s undici pool is module-level state, like the SDK client's agent).
 */

export type Operation = 'GetItem' | 'TransactWriteItems';

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
  private readonly url: string;
  private readonly retry: RetryPolicy;
  /** aws4fetch's cache of derived signing keys (one per day and region), so each request signs with one HMAC. */
  private readonly signingKeys = new Map<string, ArrayBuffer>();

  constructor(private readonly options: DynamoDbHttpClientOptions) {
    const suffix = options.region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
    this.url = options.endpoint ?? `https://dynamodb.${options.region}.${suffix}/`;
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
      } catch (error) {
        const failure = asHttpError(error);
        if (!failure.retryable) throw failure;
        if (attempt >= this.retry.maxAttempts) throw new RetriesExhausted(operation, attempt, failure);
        const ceiling = Math.min(this.retry.backoffCapMs, this.retry.backoffBaseMs * 2 ** (attempt - 1));
        await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
      }
    }
  }

  private async attempt(operation: Operation, body: string): Promise<Record<string, unknown>> {
    // Signed per attempt: a retry carries its own X-Amz-Date.
    const signed = await new AwsV4Signer({
      url: this.url,
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDB_20120810.${operation}` },
      body,
      ...this.options.credentials,
      service: 'dynamodb',
      region: this.options.region,
      cache: this.signingKeys,
    }).sign();
    const response = await fetch(signed.url, {
      method: 'POST',
      headers: signed.headers,
      body,
      signal: AbortSignal.timeout(this.retry.attemptTimeoutMs),
    });
    const text = await response.text();
    if (!response.ok) throw errorFrom(response, text);
    const output = parseJson(text);
    if (!isRecord(output))
      throw new DynamoDbHttpError(
        `${operation} answered ${response.status} with a body that is not a JSON object`,
        'MalformedResponse',
        false,
      );
    return output;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The typed error of a non-2xx answer; its body, when it is not DynamoDB's error JSON, is not repeated (a proxy's page says nothing useful). */
function errorFrom(response: Response, text: string): DynamoDbHttpError {
  const parsed = parseJson(text);
  const json = isRecord(parsed) ? parsed : {};
  const type = typeof json.__type === 'string' ? json.__type : (response.headers.get('x-amzn-errortype') ?? '');
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

/**
 * A failure of `fetch` itself: an aborted attempt (timeout), or a connection refused, reset or
 * closed mid-answer (undici's TypeError). Told apart by name: `fetch` may throw from another realm
 * than this module's (jest's sandbox, for one), where `instanceof` does not hold.
 */
function asHttpError(error: unknown): DynamoDbHttpError {
  if (error instanceof DynamoDbHttpError) return error;
  const { name, message, cause } = (error ?? {}) as { name?: unknown; message?: unknown; cause?: { message?: unknown } };
  if (name === 'TimeoutError') return new DynamoDbHttpError('the request timed out', 'Timeout', true, { cause: error });
  if (name === 'TypeError') {
    const detail = typeof cause?.message === 'string' ? `: ${cause.message}` : '';
    return new DynamoDbHttpError(`${String(message)}${detail}`, 'NetworkError', true, { cause: error });
  }
  throw error;
}
