import { operation } from './runtime/operation';

/**
 * `GET /v1/me`: the caller and the organizations they belong to, for the console's organization
 * picker. Any verified admin JWT may call it; the memberships are read strongly consistent, so an
 * admin added a moment ago sees the organization at once.
 */
export const handler = operation('get-me', async ({ actor, services }) => ({
  body: { email: actor.email, organizations: await services.organizations.membershipsOf(actor.email) },
}));
