import { openApiDocument } from '../../../lambdas/http/openapi';
import { MANAGEMENT_ROUTES } from '../../../lambdas/management-api';

type Operation = {
  operationId: string;
  parameters: { name: string; in: string }[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
};

describe('OpenAPI document', () => {
  const document = openApiDocument(['customer', 'invoice']) as {
    paths: Record<string, Record<string, Operation>>;
    components: { schemas: Record<string, { properties: Record<string, Record<string, unknown>>; additionalProperties?: boolean }> };
  };

  it('describes every management route with its path parameters and success status', () => {
    for (const route of MANAGEMENT_ROUTES) {
      const operation = document.paths[route.path]![route.method.toLowerCase()]!;
      const pathParameters = operation.parameters.filter((p) => p.in === 'path').map((p) => p.name);
      expect(pathParameters).toEqual([...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]));
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['401', '403', '404', '422', '500']));
    }
    expect(Object.keys(document.paths['/v1/organizations/{organization_id}/api_keys']!.post!.responses)).toContain('201');
  });

  it("derives request bodies from the handlers' own schemas: strict, with the catalog and rotation choices", () => {
    const fields = document.components.schemas.ApiKeyFields!;
    expect(fields.additionalProperties).toBe(false);
    const permissions = fields.properties.permissions as { properties: Record<string, unknown>; additionalProperties: boolean };
    expect(Object.keys(permissions.properties)).toEqual(['customer', 'invoice']);
    expect(permissions.additionalProperties).toBe(false);
    const rotation = document.components.schemas.Rotation!;
    expect(rotation.additionalProperties).toBe(false);
    expect(rotation.properties.expires_in!.enum).toEqual(['now', '1h', '24h', '48h', '7d']);
    expect(rotation.properties.expires_at!.format).toBe('date-time');
  });

  it('documents paging on the list calls only', () => {
    const list = document.paths['/v1/organizations/{organization_id}/api_keys']!.get!;
    expect(list.parameters.filter((p) => p.in === 'query').map((p) => p.name)).toEqual(['limit', 'cursor']);
    const get = document.paths['/v1/organizations/{organization_id}/api_keys/{api_key_id}']!.get!;
    expect(get.parameters.filter((p) => p.in === 'query')).toEqual([]);
  });

  it('documents If-Match and 412 on PATCH, rotate and DELETE only, and an ETag on every response that returns one key', () => {
    const KEY = '/v1/organizations/{organization_id}/api_keys/{api_key_id}';
    const operations = [
      ['list', document.paths['/v1/organizations/{organization_id}/api_keys']!.get!],
      ['create', document.paths['/v1/organizations/{organization_id}/api_keys']!.post!],
      ['get', document.paths[KEY]!.get!],
      ['reveal', document.paths[`${KEY}/reveal`]!.post!],
      ['update', document.paths[KEY]!.patch!],
      ['rotate', document.paths[`${KEY}/rotate`]!.post!],
      ['delete', document.paths[KEY]!.delete!],
    ] as const;
    const withIfMatch = operations
      .filter(([, op]) => op.parameters.some((p) => p.in === 'header' && p.name === 'If-Match'))
      .map(([name]) => name);
    const with412 = operations.filter(([, op]) => '412' in op.responses).map(([name]) => name);
    const withEtag = operations
      .filter(([, op]) => Object.values(op.responses).some((response) => JSON.stringify(response).includes('"ETag"')))
      .map(([name]) => name);
    expect(withIfMatch).toEqual(['update', 'rotate', 'delete']);
    expect(with412).toEqual(['update', 'rotate', 'delete']);
    expect(withEtag).toEqual(['create', 'get', 'reveal', 'update', 'rotate', 'delete']);
  });
});
