import { Tracer } from '@aws-lambda-powertools/tracer';
import { SERVICE_NAME } from './metric-names';

/**
 * Powertools Tracer, for the functions where it pays: it records each AWS SDK call as an X-Ray
 * subsegment of the function's trace (the functions run with active tracing). Outside Lambda it
 * does nothing. Not in the api-key authorizer: it has no SDK client to capture (the thin adapter),
 * and the X-Ray SDK would multiply its bundle and module load on every consumer's cold start.
 */
export const tracer = new Tracer({ serviceName: SERVICE_NAME });
