/**
 * An organization id: a slug of 1 to 64 of a-z, 0-9 and `-`, not starting or ending with `-`.
 * The operator CLI creates no other, so anything else in a path names no organization.
 */
export const ORGANIZATION_ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
