import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { AdminRoleRequired, OrganizationNotFound, Unauthenticated } from '../domain/errors';
import type { ManagementContext } from './context';

/**
 * Turns the admin authorizer's verdict (`requestContext.authorizer = {email, role}`) into the
 * request's actor. The authorizer verified the JWT and looked up the membership for the
 * organization in the path; this middleware only maps its answer (API.md §3):
 * no email → 401; `none` → 404 organization_not_found; `member` → 403 admin_role_required.
 * A role without an email, or a role it does not know, is never trusted.
 */
export function adminIdentity(): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult, Error, ManagementContext> {
  return {
    name: 'adminIdentity',
    before: ({ event, context }) => {
      const authorizer: unknown = event.requestContext?.authorizer;
      const { email, role } = (typeof authorizer === 'object' && authorizer !== null ? authorizer : {}) as Record<string, unknown>;
      if (typeof email !== 'string' || email.trim() === '') throw new Unauthenticated();
      switch (role) {
        case 'admin':
          // A fresh object: nothing from an earlier invocation that shared this context can leak in.
          context.keyward = { actor: { type: 'user', email: email.trim().toLowerCase() } };
          return;
        case 'member':
          throw new AdminRoleRequired();
        case 'none':
          throw new OrganizationNotFound();
        default:
          throw new Unauthenticated();
      }
    },
  };
}
