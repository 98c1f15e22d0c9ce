export { handler } from './authorizer';
