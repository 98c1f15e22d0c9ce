import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The one structured logger of the runtime (STYLE.md rule 12). Log ids (request, organization,
 * key), never a token, a JWT or a request body: bodies and headers can carry credentials.
 */
export const logger = new Logger({ serviceName: 'keyward' });
