import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { ApiKeyView, ExpectedVersions, Versioned } from '../domain/api-key';
import { ValidationFailed } from '../domain/errors';

/**
 * `ETag` and `If-Match` of the management API (API.md §3 "Concurrent changes"), with RFC 9110
 * semantics: the ETag of a key at version 7 is the strong entity tag `"7"`, and `If-Match` is
 * `*` or a comma-separated list of entity tags (several `If-Match` fields are one list).
 */

export function etagOf(version: number): string {
  return `"${version}"`;
}

/** Splits a key object from its version: the version travels in the `ETag` header, never in the body. */
export function splitVersion<T extends ApiKeyView>(key: Versioned<T>): [T, number] {
  const { version, ...view } = key;
  return [view as unknown as T, version];
}

/** One list element: optional whitespace, an entity tag (or nothing: empty elements are allowed), then `,` or the end. */
const LIST_ELEMENT = /[ \t]*(?:(W\/)?"([\x21\x23-\x7E\x80-\xFF]*)")?[ \t]*(?:,|$)/y;
/** The opaque tags this API issues: a version in decimal, no leading zero. */
const VERSION_TAG = /^(0|[1-9][0-9]{0,14})$/;

/**
 * The versions a request's `If-Match` accepts, or undefined without a precondition (no
 * `If-Match`, or `*`: the key exists, which every key route checks anyway). `If-Match` uses the
 * strong comparison: a weak tag (`W/"3"`) or a tag this API never issues can match no version,
 * so the change is refused with 412. A value that is not `*` or a list of at least one quoted
 * entity tag (e.g. `3` without quotes) is a 422 naming the header.
 */
export function expectedVersions(event: Pick<APIGatewayProxyEvent, 'headers' | 'multiValueHeaders'>): ExpectedVersions {
  // Header names are lower-cased by the middy stack (http-header-normalizer).
  const fields = event.multiValueHeaders?.['if-match'] ?? (event.headers?.['if-match'] === undefined ? [] : [event.headers['if-match']]);
  const present = fields.filter((field): field is string => field !== undefined);
  if (present.length === 0) return undefined;
  const value = present.join(',');
  if (value.trim() === '*') return undefined;
  const tags = entityTags(value);
  if (tags === undefined || tags.length === 0) {
    throw new ValidationFailed({ 'If-Match': ['must be * or one or more quoted ETags, e.g. "3"'] });
  }
  return tags.filter((tag) => !tag.weak && VERSION_TAG.test(tag.opaque)).map((tag) => Number(tag.opaque));
}

/** The entity tags of a list, or undefined when it is not a list of entity tags. */
function entityTags(value: string): { weak: boolean; opaque: string }[] | undefined {
  const tags: { weak: boolean; opaque: string }[] = [];
  LIST_ELEMENT.lastIndex = 0;
  while (LIST_ELEMENT.lastIndex < value.length) {
    const match = LIST_ELEMENT.exec(value);
    if (!match) return undefined;
    if (match[2] !== undefined) tags.push({ weak: match[1] !== undefined, opaque: match[2] });
  }
  return tags;
}
