import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { AdminRoleRequired, OrganizationNotFound, Unauthenticated } from '../domain/errors';
import type { ManagementContext } from '../http/context';
import type { AuthKind } from './manifest';

/** The roles the admin authorizer answers with; anything else is never trusted. */
const ROLES = new Set(['admin', 'member', 'none']);

/**
 * Turns the admin authorizer's verdict (`requestContext.authorizer = {email, role}`) into the
 * request's actor. The authorizer verified the JWT and looked up the membership for the
 * organization in the path (`none` where the path has no organization); this middleware only maps
 * its answer (API.md §3): no email → 401. For `organization-admin` operations, `none` → 404
 * organization_not_found and `member` → 403 admin_role_required; an `admin` operation takes any
 * verified caller. A role without an email, or a role it does not know, is never trusted.
 */
export function adminIdentity(
  auth: Exclude<AuthKind, 'public'>,
): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult, Error, ManagementContext> {
  return {
    name: 'adminIdentity',
    before: ({ event, context }) => {
      const authorizer: unknown = event.requestContext?.authorizer;
      const { email, role } = (typeof authorizer === 'object' && authorizer !== null ? authorizer : {}) as Record<string, unknown>;
      if (typeof email !== 'string' || email.trim() === '' || typeof role !== 'string' || !ROLES.has(role)) throw new Unauthenticated();
      if (auth === 'organization-admin' && role === 'member') throw new AdminRoleRequired();
      if (auth === 'organization-admin' && role === 'none') throw new OrganizationNotFound();
      // A fresh object: nothing from an earlier invocation that shared this context can leak in.
      context.keyward = { actor: { type: 'user', email: email.trim().toLowerCase() } };
    },
  };
}
