import { Duration, Fn, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { type AdminClaimRules, DEFAULT_ADMIN_CLAIMS, NO_EMAIL_VERIFIED_CLAIM } from '../../lambdas/domain/admin-claims';
import type { ExternalIssuer, SesSender } from '../config';
import { type StageProps, statefulRemovalPolicy } from '../stage';

export interface AdminIdentityProps extends StageProps {
  /**
   * An external OIDC issuer to trust.
   * @default none: a Cognito user pool (`keyward-<stage>-admins`) and app client are created
   */
  readonly external?: ExternalIssuer;
  /**
   * The admin console's URLs: its app client's OIDC callback and sign-out URLs (the first is the
   * deployed console's own `…/console/`).
   */
  readonly consoleUrls: readonly string[];
  /**
   * The hosted UI's domain prefix (`<prefix>.auth.<region>.amazoncognito.com`), unique per region.
   * @default `keyward-<stage>-<account id>`
   */
  readonly domainPrefix?: string;
  /**
   * A verified SES identity of this account and region that the user pool sends its invitations
   * and password-reset codes from. Cognito checks the identity when the pool is created or
   * updated, and refuses one that is not verified.
   * @default none: Cognito's default sender (no-reply@verificationemail.com, 50 emails a day)
   */
  readonly invitationSender?: SesSender;
}

/** How long an invited admin's temporary password works (Cognito's default, stated once for the invitation's text). */
const TEMPORARY_PASSWORD_DAYS = 7;

/**
 * Who the organization admins are to the management API (API.md §3): OIDC ID tokens from either
 * an external issuer or a Cognito user pool created here (admins only, no self sign-up).
 *
 * The pool guards what an admin can do (reveal every key of an organization), so outside dev
 * stages it requires MFA with an authenticator app (TOTP): with MFA required, the hosted UI walks
 * an admin without one through setting it up (QR code and a first code) at sign-in, which it does
 * not offer when MFA is optional. Passwords never travel to Cognito in a request: the console
 * signs in through the hosted UI (code + PKCE), scripts through a separate client with SRP only.
 */
export class AdminIdentity extends Construct {
  /** The `iss` the admin authorizer requires. */
  readonly issuer: string;
  /** `https://host` of the issuer, where the console reads its discovery document and keys. */
  readonly issuerOrigin: string;
  /** The console's client id (`client_id`, the `aud` of its ID tokens). */
  readonly audience: string;
  /** Every `aud` the admin authorizer accepts: the console's, and with Cognito the scripts' client. */
  readonly audiences: readonly string[];
  /** The claims the admin authorizer reads the email from. */
  readonly claims: AdminClaimRules;
  readonly jwksUrl?: string;
  readonly userPool?: cognito.UserPool;
  readonly userPoolClient?: cognito.UserPoolClient;
  /** The SRP-only app client for scripts and tools that sign an admin in without a browser. */
  readonly scriptsClient?: cognito.UserPoolClient;
  /** The Cognito hosted UI (`https://<prefix>.auth.<region>.amazoncognito.com`), where the console signs admins in. */
  readonly hostedUiUrl?: string;

  constructor(scope: Construct, id: string, props: AdminIdentityProps) {
    super(scope, id);
    if (props.external) {
      this.issuer = props.external.issuer;
      this.issuerOrigin = new URL(props.external.issuer).origin;
      this.audience = props.external.audience;
      this.audiences = [props.external.audience];
      this.jwksUrl = props.external.jwksUrl;
      this.claims = props.external.claims;
      return;
    }
    this.claims = DEFAULT_ADMIN_CLAIMS;
    const requireMfa = !props.isDevStage;

    this.userPool = new cognito.UserPool(this, 'UserPool', {
      userPoolName: `keyward-${props.stage}-admins`,
      // Operators invite admins (`admin-create-user`); nobody signs themselves up for key management.
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(TEMPORARY_PASSWORD_DAYS),
      },
      // A dev stage may sign in with a password alone; everywhere else the hosted UI has an admin
      // set up an authenticator app at sign-in, and asks for its code from then on.
      mfa: requireMfa ? cognito.Mfa.REQUIRED : cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      ...(props.invitationSender ? { email: invitationEmail(this, props.invitationSender) } : {}),
      userInvitation: { emailSubject: 'Your keyward admin account', emailBody: invitationBody(props.consoleUrls, requireMfa) },
      deletionProtection: !props.isDevStage,
      // Admin accounts are not recreated by anything: only a dev stage may drop them.
      removalPolicy: statefulRemovalPolicy(props),
    });
    this.userPoolClient = this.userPool.addClient('ManagementClient', {
      userPoolClientName: `keyward-${props.stage}-management`,
      generateSecret: false,
      // No password flow of the user pools API (a public client id would let anyone post
      // passwords to InitiateAuth): the hosted UI signs in on its own pages. Refresh only.
      authFlows: { userPassword: false, userSrp: false, adminUserPassword: false, custom: false },
      preventUserExistenceErrors: true,
      // The console: the hosted UI with the authorization code flow (the console always adds PKCE,
      // S256), never the implicit flow, which would put tokens in URLs. A public client: no secret.
      oAuth: {
        flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL],
        callbackUrls: [...props.consoleUrls],
        logoutUrls: [...props.consoleUrls],
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
    });
    // For scripts and tools (no browser): SRP, so the password itself is never sent, and the
    // SOFTWARE_TOKEN_MFA challenge where MFA is required. No OAuth: it signs in through the API only.
    this.scriptsClient = this.userPool.addClient('ScriptsClient', {
      userPoolClientName: `keyward-${props.stage}-scripts`,
      generateSecret: false,
      authFlows: { userSrp: true },
      disableOAuth: true,
      preventUserExistenceErrors: true,
    });
    const domain = this.userPool.addDomain('HostedUi', {
      cognitoDomain: { domainPrefix: props.domainPrefix ?? `keyward-${props.stage}-${Stack.of(this).account}` },
      // The classic hosted UI signs in whatever the client's API flows are; managed login (v2)
      // offers only the sign-in forms of the client's flows, so it would need a password flow here.
      managedLoginVersion: cognito.ManagedLoginVersion.CLASSIC_HOSTED_UI,
    });
    this.hostedUiUrl = domain.baseUrl();
    this.issuerOrigin = `https://cognito-idp.${Stack.of(this).region}.amazonaws.com`;
    this.issuer = `${this.issuerOrigin}/${this.userPool.userPoolId}`;
    this.audience = this.userPoolClient.userPoolClientId;
    this.audiences = [this.audience, this.scriptsClient.userPoolClientId];

    if (!requireMfa) {
      Validations.of(this.userPool).acknowledge({
        id: 'AwsSolutions-COG2',
        reason: 'A dev stage offers MFA (TOTP) without requiring it; every other stage requires it.',
      });
    }
    Validations.of(this.userPool).acknowledge(
      { id: 'AwsSolutions-COG3', reason: 'Threat protection needs the Cognito Plus plan (a per-user cost) and is left to the operator.' },
      { id: 'AwsSolutions-COG8', reason: 'The Plus plan is a per-user cost for a handful of admins; the operator can upgrade the pool.' },
    );
  }

  /** Gives the admin authorizer the issuer, audiences, claim rules and (when set) JWKS URL it verifies against. */
  bindAuthorizer(fn: lambda.Function): void {
    fn.addEnvironment('ADMIN_JWT_ISSUER', this.issuer);
    fn.addEnvironment('ADMIN_JWT_AUDIENCE', Fn.join(',', [...this.audiences]));
    if (this.jwksUrl) fn.addEnvironment('ADMIN_JWKS_URL', this.jwksUrl);
    // Cognito's claims are the authorizer's defaults; an external issuer's are spelled out.
    if (!this.userPool) {
      fn.addEnvironment('ADMIN_EMAIL_CLAIM', this.claims.email);
      fn.addEnvironment('ADMIN_EMAIL_VERIFIED_CLAIM', this.claims.emailVerified ?? NO_EMAIL_VERIFIED_CLAIM);
    }
  }
}

/**
 * The invitation with the temporary password (`{username}` and `{####}` are Cognito's). It names
 * the console by a configured URL only: the deployed one is the CloudFront distribution's domain,
 * and the distribution's CSP names the hosted UI of this very pool, so a reference would be a cycle.
 */
function invitationBody(consoleUrls: readonly string[], requireMfa: boolean): string {
  const address = consoleUrls.find((url) => !Token.isUnresolved(url));
  return [
    address ? `You are invited to the keyward admin console: ${address}` : 'You are invited to the keyward admin console.',
    `Sign in with your email address {username} and the temporary password {####} (it works for ${TEMPORARY_PASSWORD_DAYS} days), ` +
      `then choose your own password${requireMfa ? ' and set up an authenticator app' : ''}.`,
  ].join('<br><br>');
}

/**
 * The user pool's emails through SES from the stack's sender, in the stack's region (a token, so
 * CDK needs it spelled out). A domain identity is named as the verified identity, so the address
 * itself needs no verification.
 */
function invitationEmail(scope: Construct, sender: SesSender): cognito.UserPoolEmail {
  return cognito.UserPoolEmail.withSES({
    fromEmail: sender.fromAddress,
    sesRegion: Stack.of(scope).region,
    ...(sender.kind === 'domain' ? { sesVerifiedDomain: sender.identity } : {}),
  });
}
