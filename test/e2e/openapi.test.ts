import { stack } from './support';

describe('GET /openapi.json on the local gateway', () => {
  it("serves the management API description derived from the handlers' schemas", async () => {
    const response = await fetch(`${stack.url}/openapi.json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toContain('/v1/organizations/{organization_id}/api_keys/{api_key_id}/rotate');
  });
});
