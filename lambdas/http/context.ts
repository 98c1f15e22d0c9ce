import type { Context } from 'aws-lambda';

/** The only actor a management request can have: an admin of the organization in the path. */
export interface UserActor {
  type: 'user';
  email: string;
}

/**
 * What the middlewares learn about a request, carried on the Lambda context. Optional so a plain
 * Lambda `Context` is still a valid argument to every handler; the stack checks presence before
 * the route runs.
 */
export interface ManagementContext extends Context {
  keyward?: {
    actor?: UserActor;
    body?: unknown;
  };
}
