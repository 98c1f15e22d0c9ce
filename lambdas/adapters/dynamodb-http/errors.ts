/**
 * What the thin DynamoDB adapter throws. `code` is DynamoDB's error name (the part after `#` in
 * `__type`, e.g. `ProvisionedThroughputExceededException`), or one of this adapter's own for
 * failures on the way: `Timeout`, `NetworkError`, `MalformedResponse`, `Http<status>`.
 */
export class DynamoDbHttpError extends Error {
  constructor(
    message: string,
    readonly code: string,
    /** Whether the same request may succeed when sent again (throttling, 5xx, timeout, lost connection). */
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DynamoDbHttpError';
  }
}

/** A single-item write's condition did not hold: nothing was written. */
export class ConditionalCheckFailed extends DynamoDbHttpError {
  constructor(message: string) {
    super(message, 'ConditionalCheckFailedException', false);
    this.name = 'ConditionalCheckFailed';
  }
}

export interface CancellationReason {
  Code?: string;
  Message?: string;
}

/** A transaction was cancelled as a whole (a condition failed, or it conflicted): nothing was written. */
export class TransactionCanceled extends DynamoDbHttpError {
  constructor(
    message: string,
    /** One per item of the transaction, in order (`Code` `None` for the items that were fine). */
    readonly reasons: CancellationReason[],
  ) {
    super(message, 'TransactionCanceledException', false);
    this.name = 'TransactionCanceled';
  }
}

/** Every attempt the retry budget allows failed; `cause` is the last failure. */
export class RetriesExhausted extends DynamoDbHttpError {
  constructor(
    operation: string,
    readonly attempts: number,
    last: DynamoDbHttpError,
  ) {
    super(`${operation} failed ${attempts} times, last with ${last.code}: ${last.message}`, last.code, false, { cause: last });
    this.name = 'RetriesExhausted';
  }
}
