import { valueMaps } from '../../../local/api-gateway-events';
import { overTheWire, proxyResponse } from '../../../local/gateway-integration';
import { TokenBucket } from '../../../local/gateway-limits';
import { isValidPercentEncoding, parseTarget } from '../../../local/gateway-routing';

describe('the local gateway, reading a request target', () => {
  it.each([
    ['/v1/customers?limit=2', '/v1/customers', 'limit=2'],
    ['//[', '//[', ''],
    ['//evil.example/v1/customers', '//evil.example/v1/customers', ''],
    ['/v1/customers/../plans', '/v1/plans', ''],
    ['http://elsewhere.example/v1/plans?x=1', '/v1/plans', 'x=1'],
    ['HTTPS://elsewhere.example/health', '/health', ''],
  ])('reads %s as path %s', (raw, path, query) => {
    const target = parseTarget(raw);
    expect(target?.path).toBe(path);
    expect(target?.query.toString()).toBe(query);
  });

  it.each(['http://[::1', '*', 'example.com:443', '', 'v1/customers', 'ftp://example.com/'])('refuses %j', (raw) => {
    expect(parseTarget(raw)).toBeUndefined();
  });

  it.each([
    ['/v1/customers/c%2042', true],
    ['/v1/customers/%C3%A9', true],
    ['/v1/customers/%ZZ', false],
    ['/v1/customers/%', false],
    ['/v1/organizations/demo/api_keys/%E0%A4%A', false],
    ['/v1/customers/%C0%AF', false],
    ['/v1/customers/%ED%A0%80', false],
  ])('tells whether %s is valid percent-encoding (%s)', (path, valid) => {
    expect(isValidPercentEncoding(path)).toBe(valid);
  });
});

describe('the local gateway, reading a Lambda proxy result', () => {
  it('keeps status, headers (multi-value ones too) and body, decoding base64', () => {
    expect(
      proxyResponse({
        statusCode: 201,
        headers: { 'X-One': 1 },
        multiValueHeaders: { 'Set-Cookie': ['a', 'b'] },
        body: 'AAE=',
        isBase64Encoded: true,
      }),
    ).toEqual({ status: 201, headers: { 'x-one': '1', 'set-cookie': ['a', 'b'] }, body: Buffer.from([0, 1]) });
  });

  it.each([
    ['not an object', 'ok'],
    ['null', null],
    ['no status code', { body: '' }],
    ['a status code out of range', { statusCode: 1000 }],
    ['a status code that is not an integer', { statusCode: 200.5 }],
    ['a body that is not a string', { statusCode: 200, body: { a: 1 } }],
    ['multi-value headers that are not lists', { statusCode: 200, multiValueHeaders: { a: 'b' } }],
    ['a header value with a line break', { statusCode: 200, headers: { 'x-a': 'one\r\ntwo' } }],
    ['a header name with a space', { statusCode: 200, headers: { 'x a': 'b' } }],
  ])('refuses %s', (_label, result) => {
    expect(proxyResponse(result)).toBeUndefined();
  });
});

describe("the local gateway's throttle, API Gateway's token bucket", () => {
  it('lets a burst through, refuses the next request, and refills at the rate', () => {
    let now = 0;
    const bucket = new TokenBucket(10, 3, () => now);

    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    now = 100; // one request's worth at 10 per second
    expect([bucket.take(), bucket.take()]).toEqual([true, false]);
    now = 60_000; // never more than the burst, however long it rested
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
  });
});

describe("the local gateway's value maps (issue 16 item 3)", () => {
  it('keeps names every object inherits as entries like any other, and delivers them as JSON does', () => {
    const pairs = [
      ['__proto__', '1'],
      ['constructor', 'x'],
      ['toString', 'a'],
      ['toString', 'b'],
    ] as const;
    const { single, multi } = valueMaps(pairs);
    expect(overTheWire({ single, multi })).toEqual(
      JSON.parse(
        '{"single":{"__proto__":"1","constructor":"x","toString":"b"},"multi":{"__proto__":["1"],"constructor":["x"],"toString":["a","b"]}}',
      ),
    );
    expect(Object.getPrototypeOf(overTheWire(single))).toBe(Object.prototype);
    expect(Object.hasOwn(overTheWire(single), '__proto__')).toBe(true);
  });
});
