import { Logger } from '@aws-lambda-powertools/logger';
import { SERVICE_NAME } from './metric-names';

/**
 * The one structured logger of the runtime (STYLE.md rule 12), a leaf every layer may import
 * (STYLE.md rule 15). Log ids (request, organization, key), never a token, a JWT or a request
 * body: bodies and headers can carry credentials.
 */
export const logger = new Logger({ serviceName: SERVICE_NAME });
