import { openApiDocument } from '../lambdas/operations/openapi';
import { keyConfig } from '../lambdas/runtime/config';

/** `npm run openapi`: prints the management API's OpenAPI document for this deployment's catalog. */
process.stdout.write(`${JSON.stringify(openApiDocument(keyConfig().catalog), null, 2)}\n`);
