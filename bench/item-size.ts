/**
 * DynamoDB's size of an item (bytes) by its documented rules — what read and write units are charged
 * by: each attribute name's UTF-8 length plus its value's size; a string its UTF-8 length, a number
 * about one byte per two significant digits plus one, null and booleans one byte, a list or map three
 * bytes plus one per element (and a map its element names). Document values (as the SDK's document
 * client reads them), not AttributeValues. Used by the bench and by the tests that pin a size.
 */
export function itemSize(item: Record<string, unknown>): number {
  return Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + sizeOf(value), 0);
}

/** DynamoDB's size of a stored value (bytes), by its documented rules. */
export function sizeOf(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (typeof value === 'number') {
    const digits = String(Math.abs(value))
      .replace(/[.e+-]/g, '')
      .replace(/^0+/, '').length;
    return Math.ceil(digits / 2) + 1;
  }
  if (value instanceof Uint8Array) return value.byteLength;
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, item) => sum + 1 + sizeOf(item), 0);
  return (
    3 + Object.entries(value as Record<string, unknown>).reduce((sum, [name, item]) => sum + 1 + Buffer.byteLength(name) + sizeOf(item), 0)
  );
}
