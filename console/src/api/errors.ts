import { ApiError } from './client';

/**
 * What the console tells an admin for each answer of the API (API.md §3, "Errors"). Messages say
 * what happened and what to do; an unknown error still gets its status, never a blank page.
 */
const BY_CODE: Record<string, string> = {
  admin_role_required: 'You are not an admin of this organization.',
  organization_not_found: 'This organization does not exist, or you are not a member of it.',
  api_key_not_found: 'This API key no longer exists: it may have been deleted or rotated. Reload the list.',
  last_non_expiring_api_key:
    'This is the last key without an expiration date, and an organization always keeps one. Add another key first.',
  rotation_already_scheduled:
    'A rotation of this key is already scheduled: it expires at the time shown in the list. Change its successor instead.',
  api_key_limit_reached: 'This organization has reached its limit of 100 API keys. Delete a key before adding another.',
  precondition_failed: 'This key was changed by someone else',
  conflict: 'Someone else was changing this at the same moment, and nothing was changed. Try again.',
  throttled: 'Too many requests right now. Wait a moment and try again.',
  request_too_large: 'The request is too large.',
  timeout: 'The API took too long to answer. Try again.',
};

export const SESSION_EXPIRED = 'Your session has ended. Sign in again.';

export function errorMessage(error: unknown): string {
  if (!(error instanceof ApiError)) {
    return `Something went wrong in the console: ${error instanceof Error ? error.message : String(error)}. Reload the page to try again.`;
  }
  if (error.status === 0) return 'The keyward API could not be reached. Check your connection and try again.';
  if (error.status === 401) return SESSION_EXPIRED;
  const known = error.code ? BY_CODE[error.code] : undefined;
  if (known) return known;
  if (error.status === 412) return BY_CODE.precondition_failed!;
  if (error.status === 422) return `The API refused the request: ${Object.values(error.details).flat().join('; ') || error.message}.`;
  if (error.status >= 500) return `The keyward API failed (${error.status}). Try again in a moment.`;
  return `The keyward API refused the request (${error.message}).`;
}
