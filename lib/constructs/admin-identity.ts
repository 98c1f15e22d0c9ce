import { Stack, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { ExternalIssuer } from '../config';
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
}

/**
 * Who the organization admins are to the management API (API.md §3): OIDC ID tokens from either
 * an external issuer or a Cognito user pool created here (admins only, no self sign-up).
 */
export class AdminIdentity extends Construct {
  /** The `iss` the admin authorizer requires. */
  readonly issuer: string;
  /** `https://host` of the issuer, where the console reads its discovery document and keys. */
  readonly issuerOrigin: string;
  /** The `aud` the admin authorizer requires (the Cognito app client id). */
  readonly audience: string;
  readonly jwksUrl?: string;
  readonly userPool?: cognito.UserPool;
  readonly userPoolClient?: cognito.UserPoolClient;
  /** The Cognito hosted UI (`https://<prefix>.auth.<region>.amazoncognito.com`), where the console signs admins in. */
  readonly hostedUiUrl?: string;

  constructor(scope: Construct, id: string, props: AdminIdentityProps) {
    super(scope, id);
    if (props.external) {
      this.issuer = props.external.issuer;
      this.issuerOrigin = new URL(props.external.issuer).origin;
      this.audience = props.external.audience;
      this.jwksUrl = props.external.jwksUrl;
      return;
    }

    this.userPool = new cognito.UserPool(this, 'UserPool', {
      userPoolName: `keyward-${props.stage}-admins`,
      // Operators invite admins (`admin-create-user`); nobody signs themselves up for key management.
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      passwordPolicy: { minLength: 12, requireLowercase: true, requireUppercase: true, requireDigits: true, requireSymbols: true },
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      deletionProtection: !props.isDevStage,
      // Admin accounts are not recreated by anything: only a dev stage may drop them.
      removalPolicy: statefulRemovalPolicy(props),
    });
    this.userPoolClient = this.userPool.addClient('ManagementClient', {
      userPoolClientName: `keyward-${props.stage}-management`,
      generateSecret: false,
      // SRP for apps; USER_PASSWORD_AUTH (over TLS) so an operator can fetch an ID token with the AWS CLI.
      authFlows: { userSrp: true, userPassword: true },
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
    const domain = this.userPool.addDomain('HostedUi', {
      cognitoDomain: { domainPrefix: props.domainPrefix ?? `keyward-${props.stage}-${Stack.of(this).account}` },
    });
    this.hostedUiUrl = domain.baseUrl();
    this.issuerOrigin = `https://cognito-idp.${Stack.of(this).region}.amazonaws.com`;
    this.issuer = `${this.issuerOrigin}/${this.userPool.userPoolId}`;
    this.audience = this.userPoolClient.userPoolClientId;

    Validations.of(this.userPool).acknowledge(
      {
        id: 'AwsSolutions-COG2',
        reason: 'MFA (TOTP) is offered to every admin; requiring it is an operator choice made in the pool settings.',
      },
      { id: 'AwsSolutions-COG3', reason: 'Threat protection needs the Cognito Plus plan (a per-user cost) and is left to the operator.' },
      { id: 'AwsSolutions-COG8', reason: 'The Plus plan is a per-user cost for a handful of admins; the operator can upgrade the pool.' },
    );
  }

  /** Gives the admin authorizer the issuer, audience and (when set) JWKS URL it verifies against. */
  bindAuthorizer(fn: lambda.Function): void {
    fn.addEnvironment('ADMIN_JWT_ISSUER', this.issuer);
    fn.addEnvironment('ADMIN_JWT_AUDIENCE', this.audience);
    if (this.jwksUrl) fn.addEnvironment('ADMIN_JWKS_URL', this.jwksUrl);
  }
}
