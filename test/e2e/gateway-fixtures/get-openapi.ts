// A public management operation (no authorizer): it answers like the echo backend.
export { handler } from './example-echo';
