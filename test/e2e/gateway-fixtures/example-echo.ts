import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

/** Echoes the proxy event it was given; `?binary=1` answers base64, `?broken=1` an invalid result. */
export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult | string> {
  if (event.queryStringParameters?.broken) return 'not a proxy result';
  if (event.queryStringParameters?.binary) {
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
