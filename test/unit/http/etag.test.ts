import { ValidationFailed } from '../../../lambdas/domain/errors';
import { etagOf, expectedVersions, splitVersion } from '../../../lambdas/http/etag';

/** Headers as the middy stack hands them over: names lower-cased, repeated fields in multiValueHeaders. */
const withIfMatch = (...values: string[]) => ({
  headers: values.length > 0 ? { 'if-match': values[values.length - 1]! } : {},
  multiValueHeaders: values.length > 0 ? { 'if-match': values } : {},
});

describe('ETag', () => {
  it('is the version as a strong entity tag', () => {
    expect(etagOf(7)).toBe('"7"');
  });

  it('is split off the key object, which never carries the version in its body', () => {
    const [key, version] = splitVersion({ id: 'k', name: null, version: 3 } as never);
    expect({ key, version }).toEqual({ key: { id: 'k', name: null }, version: 3 });
  });
});

describe('If-Match (RFC 9110 §13.1.1)', () => {
  it('is no precondition when absent or *', () => {
    expect(expectedVersions({ headers: {}, multiValueHeaders: {} })).toBeUndefined();
    expect(expectedVersions({ headers: { 'if-match': '*' } } as never)).toBeUndefined();
    expect(expectedVersions(withIfMatch(' * '))).toBeUndefined();
  });

  it.each([
    ['one ETag', ['"3"'], [3]],
    ['a list', ['"3", "12"'], [3, 12]],
    ['a list with empty elements and tabs', [',\t"3" ,, "4",'], [3, 4]],
    ['several If-Match fields (one list)', ['"3"', '"4"'], [3, 4]],
    ['version 0 (a key from before versions)', ['"0"'], [0]],
  ])('accepts %s', (_, values, expected) => {
    expect(expectedVersions(withIfMatch(...values))).toEqual(expected);
  });

  it.each([
    ['a weak tag (strong comparison)', 'W/"3"'],
    ['a tag this API never issues', '"abc"'],
    ['a version with a leading zero', '"03"'],
    ['a tag holding a comma', '"3,4"'],
    ['a number too large to be a version', '"9999999999999999999"'],
  ])('keeps %s, which can match no version (412)', (_, value) => {
    expect(expectedVersions(withIfMatch(value))).toEqual([]);
  });

  it.each([
    ['an unquoted version', '3'],
    ['an unterminated tag', '"3'],
    ['two tags without a comma', '"3" "4"'],
    ['* in a list', '*, "3"'],
    ['a quote inside a tag', '""3""'],
    ['an empty value', ''],
    ['only commas', ' , '],
    ['a control character', '"3\u0001"'],
  ])('refuses %s with 422 naming the header', (_, value) => {
    let error: unknown;
    try {
      expectedVersions(withIfMatch(value));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationFailed);
    expect((error as ValidationFailed).details).toEqual({ 'If-Match': ['must be * or one or more quoted ETags, e.g. "3"'] });
  });
});
