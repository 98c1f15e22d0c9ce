/** How the e2e globalSetup hands the running local stack to the tests (through process.env). */
export interface E2eStack {
  /** Gateway base URL, e.g. `http://127.0.0.1:41341`. */
  url: string;
  stateDir: string;
  dynamodbEndpoint: string;
  /** The stack's state directory secret: DynamoDB Local shows the table only to this key id. */
  dynamodbAccessKeyId: string;
  tableName: string;
  /** The SES emulator; `GET <sesUrl>/store` lists the mail it received. */
  sesUrl: string;
  issuer: string;
  audience: string;
  adminJwt: string;
  /** What the dev issuer's sign-in page asks for next to the email: the banner's `sign-in code:` line. */
  signInCode: string;
  demoOrganizationId: string;
  demoKey: string;
  demoKeyId: string;
}

const VARIABLE = 'KEYWARD_E2E_STACK';

export function publishE2eStack(stack: E2eStack): void {
  process.env[VARIABLE] = JSON.stringify(stack);
  process.env.KEYWARD_E2E_URL = stack.url;
}

export function e2eStack(): E2eStack {
  const raw = process.env[VARIABLE];
  if (!raw) throw new Error(`${VARIABLE} is not set: run e2e tests through jest (--selectProjects e2e)`);
  return JSON.parse(raw) as E2eStack;
}
