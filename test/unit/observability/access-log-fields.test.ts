import { type CountedFields, classifyAccessLine } from '../../../lambdas/domain/usage';
import {
  accessLogFormatString,
  FULL_ACCESS_LOG_FIELDS,
  LEAN_ACCESS_LOG_FIELDS,
  parseAccessLine,
  renderAccessLine,
} from '../../../lambdas/observability/access-log-fields';

/**
 * The access log's two formats (lambdas/observability/access-log-fields.ts): what API Gateway
 * writes for a request, and what the usage count reads back from it.
 */
const KEY = '01JEXAMPLEKEY0000000000000';
const T0 = Date.parse('2026-12-07T10:15:00.000Z');

const request = (over: Record<string, string | undefined> = {}) => ({
  '$context.apiId': 'a1b2c3d4e5',
  '$context.extendedRequestId': 'BQGojGfaIAMFWtg=',
  '$context.requestId': 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
  '$context.requestTimeEpoch': String(T0 - 5000),
  '$context.identity.sourceIp': '203.0.113.17',
  '$context.identity.userAgent': 'python-requests/2.32.3 (a space)',
  '$context.httpMethod': 'GET',
  '$context.resourcePath': '/v1/customers/{id}',
  '$context.status': '200',
  '$context.authorizer.organization_id': 'acme',
  '$context.authorizer.principalId': KEY,
  '$context.authorizer.api_key_id': KEY,
  ...over,
});

describe('the lean access log line', () => {
  it('is the lean fields’ values in order, space-separated, `-` for none, no API id: 59 bytes for an allowed request of a 26-character key of `acme`', () => {
    const line = renderAccessLine('lean', request());

    expect(line).toBe(`acme ${KEY} 200 - - BQGojGfaIAMFWtg=`);
    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(59);
    expect(accessLogFormatString('lean')).not.toContain('$context.apiId');
    expect(accessLogFormatString('lean').split(' ')).toEqual(Object.values(LEAN_ACCESS_LOG_FIELDS));
  });

  it('reads back as the lean fields', () => {
    expect(
      parseAccessLine(renderAccessLine('lean', request({ '$context.status': '403', '$context.authorizer.code': 'route_not_allowed' }))),
    ).toEqual({
      o: 'acme',
      k: KEY,
      s: '403',
      d: 'route_not_allowed',
      e: '-',
      x: 'BQGojGfaIAMFWtg=',
    });
  });

  it('reads the seven-value lean lines written before the API id left the format', () => {
    expect(parseAccessLine(`a1b2c3d4e5 acme ${KEY} 429 - THROTTLED BQGojGfaIAMFWtg=`)).toEqual({
      a: 'a1b2c3d4e5',
      o: 'acme',
      k: KEY,
      s: '429',
      d: '-',
      e: 'THROTTLED',
      x: 'BQGojGfaIAMFWtg=',
    });
    // Six values are read as the new order: an old line cut short has no status where one belongs.
    expect(parseAccessLine(`a1b2c3d4e5 acme ${KEY} 429 - THROTTLED`)).toBeUndefined();
  });

  it('holds no request time, header, query or body', () => {
    const line = renderAccessLine('lean', request());
    expect(line).not.toContain('c6af9ac6');
    expect(line).not.toContain(String(T0 - 5000));
    expect(accessLogFormatString('lean')).not.toMatch(/header|querystring|params|body|requestTime|sourceIp|userAgent/i);
  });
});

describe('the full access log line', () => {
  it('is JSON with the lean fields under the same names, and the forensic ones', () => {
    const line = JSON.parse(renderAccessLine('full', request())) as Record<string, string>;

    expect(line).toMatchObject({ a: 'a1b2c3d4e5', o: 'acme', k: KEY, s: '200', d: '-', e: '-', x: 'BQGojGfaIAMFWtg=' });
    expect(line).toMatchObject({ request_id: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef', ip: '203.0.113.17', resource: '/v1/customers/{id}' });
    expect(Object.keys(line)).toEqual(Object.keys(FULL_ACCESS_LOG_FIELDS));
    expect(parseAccessLine(renderAccessLine('full', request()))).toEqual(line);
  });
});

describe('what a line counts as, in either format', () => {
  const classify = (message: string) => {
    const fields = parseAccessLine(message);
    return fields && classifyAccessLine(fields as CountedFields, T0);
  };

  it.each(['lean', 'full'] as const)(
    '%s: allowed, denied by code, throttled; nothing for a 401 or a line that is no access line',
    (format) => {
      expect(classify(renderAccessLine(format, request()))).toMatchObject({
        organizationId: 'acme',
        apiKeyId: KEY,
        outcome: { kind: 'allowed' },
      });
      expect(
        classify(
          renderAccessLine(
            format,
            request({
              '$context.status': '403',
              '$context.authorizer.code': 'ip_not_allowed',
              '$context.authorizer.api_key_id': undefined,
            }),
          ),
        ),
      ).toMatchObject({ apiKeyId: KEY, outcome: { kind: 'denied', code: 'ip_not_allowed' } });
      expect(classify(renderAccessLine(format, request({ '$context.status': '429' })))).toMatchObject({ outcome: { kind: 'throttled' } });
      expect(
        classify(
          renderAccessLine(
            format,
            request({
              '$context.status': '401',
              '$context.authorizer.organization_id': undefined,
              '$context.authorizer.principalId': undefined,
              '$context.authorizer.api_key_id': undefined,
            }),
          ),
        ),
      ).toBeUndefined();
      expect(classify('START RequestId: 1 Version: $LATEST')).toBeUndefined();
      expect(classify('not an access line at all')).toBeUndefined();
      expect(classify('seven words that are no access line')).toBeUndefined();
    },
  );

  it('counts an allowed request whose client left before the answer (no status) as allowed, as the full line does', () => {
    for (const format of ['lean', 'full'] as const) {
      expect(classify(renderAccessLine(format, request({ '$context.status': undefined })))).toMatchObject({ outcome: { kind: 'allowed' } });
    }
  });

  it('times a full line by its request, a lean one by its log event', () => {
    expect(classify(renderAccessLine('full', request()))!.at).toBe(T0 - 5000);
    expect(classify(renderAccessLine('lean', request()))!.at).toBe(T0);
  });

  it('reads the lines written before the lean format too', () => {
    const legacy = JSON.stringify({
      organization_id: 'acme',
      api_key_id: '-',
      principal_id: KEY,
      deny_code: 'route_not_allowed',
      status: '403',
    });
    expect(classify(legacy)).toMatchObject({
      organizationId: 'acme',
      apiKeyId: KEY,
      outcome: { kind: 'denied', code: 'route_not_allowed' },
    });
  });
});
