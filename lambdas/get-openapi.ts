import { openApiDocument } from './operations/openapi';
import { keyConfig } from './runtime/config';
import { operation } from './runtime/operation';

// Built once per execution environment: the document depends only on the deployment's catalog.
const document = openApiDocument(keyConfig().catalog);

/** `GET /openapi.json` (no authorizer): the console reads the deployment's permission catalog from it. */
export const handler = operation('get-openapi', async () => ({ body: document }));
