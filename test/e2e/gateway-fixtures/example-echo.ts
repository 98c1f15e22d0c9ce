import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

/**
 * Echoes the proxy event it was given; `?binary=1` answers base64, `?broken=1` an invalid result,
 * `?bad-header=1` a header value API Gateway could not send, `?throw=1` throws, `?hang=1` never answers.
 */
export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult | string> {
  const query = event.queryStringParameters ?? {};
  if (query.broken) return 'not a proxy result';
  if (query.throw) throw new Error('backend exploded');
  if (query.hang) return new Promise(() => {});
  if (query['bad-header']) return { statusCode: 200, headers: { 'x-bad': 'line\nbreak' }, body: '' };
  if (query.binary) {
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.from([0, 1, 2, 255]).toString('base64'),
      isBase64Encoded: true,
    };
  }
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    multiValueHeaders: { 'x-multi': ['a', 'b'] },
    body: JSON.stringify(event),
  };
}
