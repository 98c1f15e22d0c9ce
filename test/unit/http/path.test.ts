import { pathParameter } from '../../../lambdas/http/path';

describe('pathParameter (API Gateway REST passes path parameters as sent)', () => {
  const event = (pathParameters: Record<string, string> | null) => ({ pathParameters });

  it.each([
    ['acme', 'acme'],
    ['acme%2Dcorp', 'acme-corp'],
    ['caf%C3%A9%20%2F%25', 'café /%'],
  ])('decodes %s to %s', (sent, meant) => {
    expect(pathParameter(event({ organization_id: sent }), 'organization_id')).toBe(meant);
  });

  it.each([['%ZZ'], ['%E0%A4%A'], ['']])('names nothing for %j', (sent) => {
    expect(pathParameter(event({ organization_id: sent }), 'organization_id')).toBeUndefined();
  });

  it('names nothing when absent', () => {
    expect(pathParameter(event(null), 'organization_id')).toBeUndefined();
    expect(pathParameter(event({}), 'organization_id')).toBeUndefined();
  });
});
