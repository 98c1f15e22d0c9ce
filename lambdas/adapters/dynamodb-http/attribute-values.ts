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

// Checked in place rather than rebuilt: on the hot path, only binary values need a new object.
function mapFromWire(wire: unknown): Record<string, AttributeValue> {
  if (!isRecord(wire)) throw malformed();
  const map: Record<string, AttributeValue> = {};
  for (const name in wire) map[name] = valueFromWire(wire[name]);
  return map;
}

function valueFromWire(wire: unknown): AttributeValue {
  if (!isRecord(wire)) throw malformed();
  let type: string | undefined;
  for (const key in wire) {
    if (type !== undefined) throw malformed();
    type = key;
  }
  const value = type === undefined ? undefined : wire[type];
  const checked = wire as unknown as AttributeValue;
  switch (type) {
    case 'S':
    case 'N':
      if (typeof value === 'string') return checked;
      break;
    case 'BOOL':
    case 'NULL':
      if (typeof value === 'boolean') return checked;
      break;
    case 'SS':
    case 'NS':
      if (isStringList(value)) return checked;
      break;
    case 'B':
      if (typeof value === 'string') return { B: binary(value) };
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
