// An operation behind the admin authorizer with no organization in its path: it answers like the echo backend.
export { handler } from './example-echo';
