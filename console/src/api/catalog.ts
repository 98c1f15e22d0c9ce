import * as z from 'zod/mini';
import { ApiError } from './client';

/**
 * The deployment's permission catalog, as the API publishes it: the properties its OpenAPI
 * document lists for `permissions`, which allows no others (a deployment may configure its own catalog, so the
 * console reads it at run time rather than building it in).
 */
const documentSchema = z.object({
  components: z.object({
    schemas: z.object({
      ApiKeyFields: z.object({
        properties: z.object({ permissions: z.object({ properties: z.record(z.string(), z.unknown()) }) }),
      }),
    }),
  }),
});

export async function fetchCatalog(apiBaseUrl: string): Promise<string[]> {
  const url = new URL('openapi.json', apiBaseUrl.endsWith('/') ? apiBaseUrl : `${apiBaseUrl}/`);
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new ApiError(0, undefined, {}, error instanceof Error ? error.message : String(error));
  }
  if (!response.ok) throw new ApiError(response.status, undefined, {}, 'the OpenAPI document could not be read');
  const parsed = documentSchema.safeParse(await response.json().catch(() => undefined));
  const catalog = parsed.success ? Object.keys(parsed.data.components.schemas.ApiKeyFields.properties.permissions.properties) : [];
  if (catalog.length === 0) throw new ApiError(502, undefined, {}, 'the OpenAPI document does not list the permission catalog');
  return catalog;
}
