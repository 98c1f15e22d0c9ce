import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { AssetHashType, DockerImage, Duration, type ILocalBundling, Lazy, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { consoleBuildIsFresh } from '../../console/scripts/freshness';
import { consolePagePolicy } from '../console-page-policy';
import type { StageProps } from '../stage';

/** Where the console lives under its distribution (Vite's `base`, as on the local gateway). */
export const CONSOLE_PATH = '/console/';

/** Where Vite puts the hashed chunks, stylesheets and images, under the build (Vite's `build.assetsDir`). */
const ASSETS_DIR = 'assets';

/** The console workspace of this checkout. */
export const DEFAULT_CONSOLE_DIR = join(__dirname, '..', '..', 'console');

export interface AdminConsoleProps extends StageProps {
  /**
   * The console workspace to deploy: its build (`dist/`) when that is up to date, otherwise synth
   * builds it first (`scripts/build.ts`, run with the Node that runs the CDK app), as the asset's
   * local bundling: no Docker, no download, and a fresh clone synthesizes after `npm ci` alone.
   * @default console/ of this checkout
   */
  readonly consoleDir?: string;
}

/**
 * Builds the console during synth: `scripts/build.ts` with the Node running the CDK app (the
 * project's pinned one under npx), its output on stderr so it never mixes with what the CDK CLI
 * reads. A build fails the synth with the build's own error.
 */
export function buildConsoleForSynth(consoleDir: string): void {
  execFileSync(process.execPath, ['--import', 'tsx', join(consoleDir, 'scripts', 'build.ts')], {
    // From the checkout's root, where tsx resolves (the script finds its paths itself).
    cwd: join(__dirname, '..', '..'),
    stdio: ['ignore', process.stderr, process.stderr],
  });
}

/**
 * The local bundling of one part of a console build the checkout does not have up to date: build
 * it, then copy the part (the hashed `assets/`, or the page without them and Vite's manifest).
 */
function consoleBundling(consoleDir: string, part: 'assets' | 'page'): ILocalBundling {
  return {
    tryBundle(outputDir: string): boolean {
      // The first part to bundle builds; the second finds the build up to date.
      if (!consoleBuildIsFresh(consoleDir)) buildConsoleForSynth(consoleDir);
      const dist = join(consoleDir, 'dist');
      if (part === 'assets') {
        cpSync(join(dist, ASSETS_DIR), outputDir, { recursive: true });
      } else {
        for (const entry of readdirSync(dist)) {
          if (entry !== ASSETS_DIR && entry !== '.vite') cpSync(join(dist, entry), join(outputDir, entry), { recursive: true });
        }
      }
      return true;
    },
  };
}

/** What the deployed console is told in its `config.json` (console/src/config.ts). */
export interface AdminConsoleSettings {
  /** The management API's base URL. */
  readonly apiBaseUrl: string;
  /** The OIDC issuer admins sign in with (the user pool's issuer URL, or an external one). */
  readonly authority: string;
  /** The console's client id there. */
  readonly clientId: string;
  /**
   * Origins the page may call besides its own (CSP `connect-src`): the API, the issuer's
   * discovery, token and JWKS endpoints (Cognito: the `cognito-idp` origin and the hosted UI domain).
   */
  readonly connectOrigins: readonly string[];
}

/**
 * The admin console on AWS (API.md §7): the static build in a private S3 bucket, served by
 * CloudFront through origin access control under `/console/`, with security headers on every
 * answer (CSP without inline scripts, HSTS, no framing, nosniff, no referrer), and `config.json`
 * written next to the app with the stack's own API URL, issuer and client id. The hashed chunks
 * are cached for a year and outlive the build that made them; `index.html` is revalidated.
 *
 * Built in two steps because the API's CORS and the user pool's callback URLs need the
 * distribution's URL, and `config.json` needs theirs: construct first (bucket, distribution),
 * then `publish` the build with the settings.
 */
export class AdminConsole extends Construct {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  /** `https://<distribution>/console/`: the `ConsoleUrl` output, the OIDC redirect URI. */
  readonly url: string;
  /** `https://<distribution>`: the first origin the management API's CORS allows (then the stage's `consoleUrls`). */
  readonly origin: string;
  private readonly consoleDir: string;
  private connectOrigins: readonly string[] = [];

  constructor(scope: Construct, id: string, props: AdminConsoleProps) {
    super(scope, id);
    this.consoleDir = props.consoleDir ?? DEFAULT_CONSOLE_DIR;

    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Only the build, which any checkout rebuilds: nothing to keep when the stack goes.
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });

    const headers = new cloudfront.ResponseHeadersPolicy(this, 'Headers', {
      responseHeadersPolicyName: `keyward-${props.stage}-console`,
      comment: 'keyward admin console: CSP, HSTS, no framing, nosniff, no referrer',
      securityHeadersBehavior: {
        // Resolved at synth, once `publish` has named the API and issuer origins.
        contentSecurityPolicy: {
          contentSecurityPolicy: Lazy.string({ produce: () => consolePagePolicy(this.connectOrigins) }),
          override: true,
        },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        contentTypeOptions: { override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
    });

    // `/console/` and the app's other paths are index.html (pages are hash routes; this covers a
    // bookmarked path); `/` and `/console` lead to `/console/`.
    const paths = new cloudfront.Function(this, 'Paths', {
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      comment: 'keyward console: index.html for the app paths',
      code: cloudfront.FunctionCode.fromInline(`function handler(event) {
  var uri = event.request.uri;
  if (uri === '/' || uri === '/console') {
    return { statusCode: 302, statusDescription: 'Found', headers: { location: { value: '${CONSOLE_PATH}' } } };
  }
  if (uri.startsWith('${CONSOLE_PATH}') && !/\\.[A-Za-z0-9]+$/.test(uri)) event.request.uri = '${CONSOLE_PATH}index.html';
  return event.request;
}`),
    });

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `keyward ${props.stage} admin console`,
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        functionAssociations: [{ function: paths, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }],
      },
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
    });
    this.origin = `https://${this.distribution.distributionDomainName}`;
    this.url = `${this.origin}${CONSOLE_PATH}`;

    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'The bucket holds only the public build of the console, read by CloudFront alone; its reads are in CloudFront metrics.',
    });
    Validations.of(this.distribution).acknowledge(
      { id: 'AwsSolutions-CFR1', reason: 'Admins sign in from anywhere; the console holds no data, the API decides access.' },
      { id: 'AwsSolutions-CFR2', reason: 'WAF is an account-level choice (and cost) left to the operator, as for the APIs.' },
      {
        id: 'AwsSolutions-CFR3',
        reason: 'Static files only; standard logs would need another bucket and record nothing the API logs lack.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          "The default *.cloudfront.net certificate allows TLSv1 at CloudFront's edge; a custom domain and certificate are the operator's.",
      },
    );
  }

  /**
   * Deploys the build and its `config.json`, and sets the page's `connect-src` to the settings' origins.
   * Two deployments: the hashed assets first, immutable and never pruned, then the page and its settings.
   */
  publish(settings: AdminConsoleSettings): s3deploy.BucketDeployment {
    const sources = this.buildSources();
    this.connectOrigins = settings.connectOrigins;
    // Hashed chunks never change under their name: cached for a year, and kept when a later build
    // no longer has them, so a tab still running the previous build can fetch the pages it has not
    // opened yet (a chunk gone from the bucket would be a 403 there).
    const assets = new s3deploy.BucketDeployment(this, 'Assets', {
      sources: [sources.assets],
      destinationBucket: this.bucket,
      destinationKeyPrefix: `${CONSOLE_PATH.slice(1)}${ASSETS_DIR}/`,
      cacheControl: [
        s3deploy.CacheControl.setPublic(),
        s3deploy.CacheControl.maxAge(Duration.days(365)),
        s3deploy.CacheControl.immutable(),
      ],
      prune: false,
      memoryLimit: 512,
    });
    const deployment = new s3deploy.BucketDeployment(this, 'Deployment', {
      sources: [
        sources.page,
        s3deploy.Source.jsonData('config.json', {
          authority: settings.authority,
          client_id: settings.clientId,
          redirect_uri: this.url,
          api_base_url: settings.apiBaseUrl,
        }),
      ],
      destinationBucket: this.bucket,
      destinationKeyPrefix: CONSOLE_PATH.slice(1),
      // The assets are the other deployment's: excluded here, this one's pruning leaves them alone.
      exclude: [`${ASSETS_DIR}/*`],
      // index.html and config.json are revalidated on every load (ETag), so a new build or setting shows at once.
      cacheControl: [s3deploy.CacheControl.noCache()],
      distribution: this.distribution,
      distributionPaths: [`${CONSOLE_PATH}*`],
      memoryLimit: 512,
    });
    // A new index.html never names a chunk that is not there yet.
    deployment.node.addDependency(assets);
    this.acknowledgeCdkHandlers(deployment);
    return deployment;
  }

  /**
   * The findings of CDK's own handlers, acknowledged on those handlers alone (never the stack, where
   * they would excuse any role or function added later): the BucketDeployment singleton (function
   * and role) and the bucket's auto-delete provider. Both are stack-level singletons CDK places at
   * the stack's root.
   */
  private acknowledgeCdkHandlers(deployment: s3deploy.BucketDeployment): void {
    const stack = Stack.of(this);
    const bucketDeploymentHandler = deployment.handlerRole.node.scope;
    const autoDeleteProvider = stack.node.tryFindChild('Custom::S3AutoDeleteObjectsCustomResourceProvider');
    if (!bucketDeploymentHandler || !autoDeleteProvider) throw new Error("CDK's console handlers are not where expected");
    for (const handler of [bucketDeploymentHandler, autoDeleteProvider]) {
      Validations.of(handler).acknowledge(
        {
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          reason: "CDK's BucketDeployment and auto-delete custom resources log with the AWS managed basic execution policy.",
        },
        { id: 'AwsSolutions-L1', reason: "CDK's BucketDeployment and auto-delete custom resources pick their own Lambda runtime." },
      );
    }
    // CDK's BucketDeployment reads its asset from the bootstrap bucket, replaces the console's objects and invalidates the distribution.
    Validations.of(bucketDeploymentHandler).acknowledge(
      ...[
        'Action::s3:GetObject*',
        'Action::s3:GetBucket*',
        'Action::s3:List*',
        'Action::s3:DeleteObject*',
        'Action::s3:Abort*',
        'Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*',
        `Resource::<${stack.getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/*`,
        'Resource::*',
      ].map((finding) => ({
        id: `AwsSolutions-IAM5[${finding}]`,
        reason:
          "CDK's BucketDeployment copies its asset (bootstrap bucket) over the console bucket's objects and invalidates the distribution (CloudFront invalidations take no resource ARN).",
      })),
    );
  }

  /**
   * The two parts of the build as assets: straight from `dist/` when it is up to date, otherwise
   * through CDK's local bundling, which builds it during synth (and only when the stack is bundled:
   * `cdk synth --exclusively` of another stack, or a test that skips bundling, builds nothing).
   */
  private buildSources(): { assets: s3deploy.ISource; page: s3deploy.ISource } {
    const dist = join(this.consoleDir, 'dist');
    if (consoleBuildIsFresh(this.consoleDir, dist)) {
      return {
        assets: s3deploy.Source.asset(join(dist, ASSETS_DIR)),
        // Vite's manifest (.vite/) is the build's bookkeeping (console/scripts/bundle-size.ts), not the app's.
        page: s3deploy.Source.asset(dist, { exclude: [ASSETS_DIR, '.vite'] }),
      };
    }
    const bundled = (part: 'assets' | 'page') =>
      s3deploy.Source.asset(this.consoleDir, {
        // The build's output is what is deployed: its hash is the asset's.
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          local: consoleBundling(this.consoleDir, part),
          // Tells the two parts apart in CDK's staging cache, which knows bundling options by their JSON (not the function).
          environment: { KEYWARD_CONSOLE_PART: part },
          // Required by the type, never pulled: the local bundling always builds or fails the synth.
          image: DockerImage.fromRegistry('keyward-console-builds-locally'),
        },
      });
    return { assets: bundled('assets'), page: bundled('page') };
  }
}
