import { z } from 'zod';
import { parseResourceCatalog } from './domain/permissions';
import { DEFAULT_KEY_PREFIX, KEY_PREFIX_PATTERN } from './domain/token';

/**
 * Environment configuration, validated once at module load (cold start): a missing or bad
 * variable fails the cold start with a clear message, never the 1000th request. Each entry file
 * reads only the sections it needs, so each function is given only the variables it uses.
 */
function read<T extends z.ZodType>(section: string, schema: T, env: NodeJS.ProcessEnv): z.infer<T> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`invalid ${section} configuration: ${problems}`);
  }
  return result.data;
}

const optional = z.string().trim().min(1).optional();

/** Table access; `DYNAMODB_ENDPOINT` is set only by the local runtime (DynamoDB Local). */
export const tableConfig = (env = process.env) =>
  read(
    'table',
    z.object({ TABLE_NAME: z.string().min(1), DYNAMODB_ENDPOINT: optional }),
    env,
  );

/** Token format and permission catalog (deployment configuration, API.md §2). */
export const keyConfig = (env = process.env) => {
  const parsed = read(
    'key',
    z.object({
      KEY_PREFIX: z.string().regex(KEY_PREFIX_PATTERN, 'must be 1-16 of a-z0-9 starting with a letter').default(DEFAULT_KEY_PREFIX),
      RESOURCE_CATALOG: z.string().optional(),
    }),
    env,
  );
  return { keyPrefix: parsed.KEY_PREFIX, catalog: parseResourceCatalog(parsed.RESOURCE_CATALOG) };
};

/** Token encryption: KMS in AWS (`KMS_KEY_ID`), a local AES-256-GCM master key otherwise. */
export const secretsConfig = (env = process.env) =>
  read(
    'secrets',
    z
      .object({ KMS_KEY_ID: optional, LOCAL_MASTER_KEY: optional })
      .refine((value) => value.KMS_KEY_ID || value.LOCAL_MASTER_KEY, 'set KMS_KEY_ID (AWS) or LOCAL_MASTER_KEY (local)'),
    env,
  );

/** The admin authorizer's OIDC issuer (Cognito in AWS, the dev issuer locally). */
export const adminAuthConfig = (env = process.env) =>
  read(
    'admin auth',
    z.object({
      ADMIN_JWT_ISSUER: z.string().url(),
      ADMIN_JWT_AUDIENCE: z.string().min(1),
      /** Defaults to `<issuer>/.well-known/jwks.json` (Cognito's layout). */
      ADMIN_JWKS_URL: z.string().url().optional(),
    }),
    env,
  );
