import { type CancellationReason, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { StaleState } from '../../domain/ports';
import { retryOnConflict } from '../../domain/retry-on-conflict';
import { type ItemKey, PARTITION_KEY, VERSION_ATTRIBUTE } from '../../table/layout';
import { type Item, UNVERSIONED } from './items';

/**
 * Building and running the store's transactions: conditions, the items of a TransactWriteItems,
 * and what a cancellation means (a lost race is retried; a failed condition becomes a domain error).
 */

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** A condition expression with the names and values it uses. */
export interface Condition {
  expression: string;
  names?: Record<string, string>;
  values?: Record<string, unknown>;
}

export const EXISTS: Condition = { expression: `attribute_exists(${PARTITION_KEY})` };
export const ABSENT: Condition = { expression: `attribute_not_exists(${PARTITION_KEY})` };

/** The key item exists at exactly `version`, the one the caller read. */
export function atVersion(version: number): Condition {
  const names = { '#version': VERSION_ATTRIBUTE };
  return version === UNVERSIONED
    ? { expression: `${EXISTS.expression} AND attribute_not_exists(#version)`, names }
    : { expression: '#version = :version', names, values: { ':version': version } };
}

/** A condition as the parameters of a Put, Delete or ConditionCheck. */
function conditionParams(condition: Condition) {
  return {
    ConditionExpression: condition.expression,
    ...(condition.names ? { ExpressionAttributeNames: condition.names } : {}),
    ...(condition.values ? { ExpressionAttributeValues: condition.values } : {}),
  };
}

/** An update with its own expression (counters, `last_used_at`) and condition. */
export interface Update {
  expression: string;
  condition?: string;
  values: Record<string, unknown>;
}

export function updateItem(tableName: string, key: ItemKey, update: Update): TransactItem {
  return {
    Update: {
      TableName: tableName,
      Key: key,
      UpdateExpression: update.expression,
      ...(update.condition ? { ConditionExpression: update.condition } : {}),
      ExpressionAttributeValues: update.values,
    },
  };
}

/** The items of one table's transactions. */
export class TransactItems {
  constructor(private readonly tableName: string) {}

  put(item: Item, condition?: Condition): TransactItem {
    return { Put: { TableName: this.tableName, Item: item, ...(condition && conditionParams(condition)) } };
  }

  delete(key: ItemKey, condition?: Condition): TransactItem {
    return { Delete: { TableName: this.tableName, Key: key, ...(condition && conditionParams(condition)) } };
  }

  check(key: ItemKey, condition: Condition): TransactItem {
    return { ConditionCheck: { TableName: this.tableName, Key: key, ...conditionParams(condition) } };
  }

  update(key: ItemKey, update: Update): TransactItem {
    return updateItem(this.tableName, key, update);
  }

  /** An update that SETs exactly `fields` (undefined ones skipped), and REMOVEs `remove`, on one item, under `condition`. */
  setFields(key: ItemKey, fields: Item, condition: Condition, remove: readonly string[] = []): TransactItem {
    const names: Record<string, string> = { ...condition.names };
    const values: Record<string, unknown> = { ...condition.values };
    const assignments = Object.entries(fields)
      .filter(([, value]) => value !== undefined)
      .map(([field, value], index) => {
        names[`#set${index}`] = field;
        values[`:set${index}`] = value;
        return `#set${index} = :set${index}`;
      });
    const removals = remove.map((field, index) => {
      names[`#remove${index}`] = field;
      return `#remove${index}`;
    });
    const clauses = [
      ...(assignments.length > 0 ? [`SET ${assignments.join(', ')}`] : []),
      ...(removals.length > 0 ? [`REMOVE ${removals.join(', ')}`] : []),
    ];
    return {
      Update: {
        TableName: this.tableName,
        Key: key,
        UpdateExpression: clauses.join(' '),
        ConditionExpression: condition.expression,
        ExpressionAttributeNames: names,
        ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
      },
    };
  }
}

/**
 * Runs one transaction. A cancellation caused only by concurrent transactions on the same items
 * is retried (`retryOnConflict`) and, if it keeps happening, reported as StaleState; a failed
 * condition is handed to `onConditionFailed`, which throws the domain error it means (an
 * unexplained failure is rethrown as is).
 */
export async function transact(
  db: DynamoDBDocumentClient,
  items: TransactItem[],
  onConditionFailed: (reasons: CancellationReason[]) => void | Promise<void>,
): Promise<void> {
  try {
    await retryOnConflict(() => db.send(new TransactWriteCommand({ TransactItems: items })), { isConflict: isTransactionConflict });
  } catch (error) {
    if (!(error instanceof TransactionCanceledException)) throw error;
    if (conditionFailed(error)) await onConditionFailed(error.CancellationReasons ?? []);
    else if (isTransactionConflict(error)) throw new StaleState('concurrent transactions kept conflicting');
    throw error;
  }
}

/** Whether the transaction's item at `index` failed its condition. */
export function failedAt(reasons: CancellationReason[], index: number): boolean {
  return reasons[index]?.Code === 'ConditionalCheckFailed';
}

function conditionFailed(error: TransactionCanceledException): boolean {
  return (error.CancellationReasons ?? []).some((reason) => reason.Code === 'ConditionalCheckFailed');
}

/** Cancelled only because other transactions held the same items: the same transaction may succeed now. */
function isTransactionConflict(error: unknown): boolean {
  return (
    error instanceof TransactionCanceledException &&
    !conditionFailed(error) &&
    (error.CancellationReasons ?? []).some((reason) => reason.Code === 'TransactionConflict')
  );
}
