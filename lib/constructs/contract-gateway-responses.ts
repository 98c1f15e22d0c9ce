import * as apigw from 'aws-cdk-lib/aws-apigateway';
import {
  GATEWAY_RESPONSE_TYPES,
  type GatewayAnswer,
  type GatewayApiKind,
  type GatewayResponseType,
  gatewayResponsesFor,
} from '../../lambdas/http/gateway-responses';

const JSON_HEADERS = { 'Content-Type': "'application/json'" };

/** Construct ids of the responses that existed before the full set: kept, so a deployed API updates them in place. */
const LEGACY_IDS: Partial<Record<GatewayResponseType, string>> = { MISSING_AUTHENTICATION_TOKEN: 'RouteNotFound' };

function constructId(type: GatewayResponseType): string {
  return LEGACY_IDS[type] ?? type.toLowerCase().replace(/(^|_)([a-z0-9])/g, (_match, _sep: string, letter: string) => letter.toUpperCase());
}

/** Sets one gateway response to its API.md JSON body (API Gateway's own bodies differ). */
export function addJsonGatewayResponse(
  api: apigw.RestApiBase,
  id: string,
  type: GatewayResponseType,
  answer: GatewayAnswer,
  /** Extra headers, as API Gateway mapping values (`"'value'"`), e.g. CORS's. */
  headers: Record<string, string> = {},
): apigw.GatewayResponse {
  return api.addGatewayResponse(id, {
    type: apigw.ResponseType.of(type),
    statusCode: String(answer.status),
    responseHeaders: { ...JSON_HEADERS, ...headers },
    templates: { 'application/json': answer.body },
  });
}

/**
 * Gives every gateway response type of `api` its contract body (API.md §1, `gatewayResponsesFor`),
 * with `Content-Type: application/json`. Call once per API: a second response of the same type
 * would fail the deploy. The responses are created one after the other: API Gateway's control
 * plane answers a burst of writes with 429 Too Many Requests, which fails a CloudFormation deploy.
 */
export function addContractGatewayResponses(
  api: apigw.RestApiBase,
  kind: GatewayApiKind,
  headers: Record<string, string> = {},
): apigw.GatewayResponse[] {
  const answers = gatewayResponsesFor(kind);
  const responses = GATEWAY_RESPONSE_TYPES.map((type) => addJsonGatewayResponse(api, constructId(type), type, answers[type], headers));
  responses.forEach((response, index) => {
    if (index > 0) response.node.addDependency(responses[index - 1]!);
  });
  return responses;
}
