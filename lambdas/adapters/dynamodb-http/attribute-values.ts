import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { DynamoDbHttpError } from './errors';

/**
 * An item as DynamoDB's JSON protocol carries it, read into plain values exactly as the SDK's
 * document client reads it: the wire's AttributeValues checked and decoded as the SDK's
 * deserializer does (binary from base64, anything ill-typed refused), then `unmarshall` from
 * `@aws-sdk/util-dynamodb`, the function the document client itself calls.
 */
export function itemFromWire(wire: unknown): Record<string, unknown> {
  return unmarshall(mapFromWire(wire));
}

const malformed = () => new DynamoDbHttpError('the item in the answer is not made of DynamoDB AttributeValues', 'MalformedResponse', false);

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const isStringList = (value: unknown): value is string[] => Array.isArray(value) && value.every((entry) => typeof entry === 'string');

const binary = (base64: string) => new Uint8Array(Buffer.from(base64, 'base64'));

function mapFromWire(wire: unknown): Record<string, AttributeValue> {
  if (!isRecord(wire)) throw malformed();
  return Object.fromEntries(Object.entries(wire).map(([name, value]) => [name, valueFromWire(value)]));
}

function valueFromWire(wire: unknown): AttributeValue {
  const entries = isRecord(wire) ? Object.entries(wire) : [];
  if (entries.length !== 1) throw malformed();
  const [type, value] = entries[0]!;
  switch (type) {
    case 'S':
      if (typeof value === 'string') return { S: value };
      break;
    case 'N':
      if (typeof value === 'string') return { N: value };
      break;
    case 'B':
      if (typeof value === 'string') return { B: binary(value) };
      break;
    case 'BOOL':
      if (typeof value === 'boolean') return { BOOL: value };
      break;
    case 'NULL':
      if (typeof value === 'boolean') return { NULL: value };
      break;
    case 'SS':
      if (isStringList(value)) return { SS: value };
      break;
    case 'NS':
      if (isStringList(value)) return { NS: value };
      break;
    case 'BS':
      if (isStringList(value)) return { BS: value.map(binary) };
      break;
    case 'L':
      if (Array.isArray(value)) return { L: value.map(valueFromWire) };
      break;
    case 'M':
      return { M: mapFromWire(value) };
  }
  throw malformed();
}
