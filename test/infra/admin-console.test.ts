import { type Dirent, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { GATEWAY_RESPONSE_TYPES } from '../../lambdas/http/gateway-responses';
import { synthKeyward } from './synth';

/** The admin console on AWS (API.md §7): S3 + CloudFront with OAC, security headers, Cognito code + PKCE, CORS. */

let dev: Template;
let devAssembly: string;
let external: Template;

beforeAll(() => {
  const synthesized = synthKeyward({ consoleUrls: 'https://keys.example.com/console/', cognitoDomainPrefix: 'acme-keys' });
  dev = synthesized.template;
  devAssembly = synthesized.app.synth().directory;
  external = synthKeyward({ stage: 'prod', adminIssuer: 'https://login.example.com', adminAudience: 'keyward-console' }).template;
});

const only = <T>(template: Template, type: string): T => {
  const resources = Object.values(template.findResources(type));
  expect(resources).toHaveLength(1);
  return (resources[0] as { Properties: T }).Properties;
};

/** A CloudFormation value as text, with every reference kept visible. */
const text = (value: unknown) => JSON.stringify(value);

interface BucketDeployment {
  Properties: Record<string, unknown> & { SourceObjectKeys: string[] };
  DependsOn?: string[];
}

/** The console's two bucket deployments: its hashed assets, and its page with config.json. */
function deployments(template: Template): { assets: BucketDeployment; assetsId: string; page: BucketDeployment } {
  const all = Object.entries(template.findResources('Custom::CDKBucketDeployment')) as [string, BucketDeployment][];
  expect(all).toHaveLength(2);
  const [assetsId, assets] = all.find(([, deployment]) => deployment.Properties.DestinationBucketKeyPrefix === 'console/assets/')!;
  const [, page] = all.find(([, deployment]) => deployment.Properties.DestinationBucketKeyPrefix === 'console/')!;
  return { assets, assetsId, page };
}

/** The files of a deployment's source, as CDK staged them in the cloud assembly (`<hash>.zip` is `asset.<hash>`). */
function stagedFiles(assembly: string, objectKey: string): string[] {
  const dir = join(assembly, `asset.${objectKey.replace(/\.zip$/, '')}`);
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as Dirent[])
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'));
}

describe('the console bucket and distribution', () => {
  it('keeps the bucket private and encrypted, and lets CloudFront read it only through origin access control', () => {
    dev.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: Match.anyValue(),
    });
    const oac = only<{ OriginAccessControlConfig: Record<string, string> }>(dev, 'AWS::CloudFront::OriginAccessControl');
    expect(oac.OriginAccessControlConfig).toMatchObject({
      OriginAccessControlOriginType: 's3',
      SigningBehavior: 'always',
      SigningProtocol: 'sigv4',
    });
    const distribution = only<{
      DistributionConfig: { Origins: { OriginAccessControlId?: unknown; S3OriginConfig?: { OriginAccessIdentity: string } }[] };
    }>(dev, 'AWS::CloudFront::Distribution');
    expect(distribution.DistributionConfig.Origins).toHaveLength(1);
    expect(distribution.DistributionConfig.Origins[0]!.OriginAccessControlId).toBeDefined();
    expect(distribution.DistributionConfig.Origins[0]!.S3OriginConfig?.OriginAccessIdentity ?? '').toBe('');
    // The bucket policy grants reads to the CloudFront service for this distribution only.
    const policy = text(only(dev, 'AWS::S3::BucketPolicy'));
    expect(policy).toContain('cloudfront.amazonaws.com');
    expect(policy).toContain('AWS:SourceArn');
    dev.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https', AllowedMethods: ['GET', 'HEAD'] }),
      }),
    });
  });

  it('sends a CSP without inline scripts, HSTS, no framing, nosniff and no referrer on every answer', () => {
    const { ResponseHeadersPolicyConfig: config } = only<{
      ResponseHeadersPolicyConfig: { SecurityHeadersConfig: Record<string, Record<string, unknown>> };
    }>(dev, 'AWS::CloudFront::ResponseHeadersPolicy');
    const headers = config.SecurityHeadersConfig;
    const csp = text(headers.ContentSecurityPolicy!.ContentSecurityPolicy);
    expect(csp).toContain("script-src 'self';");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'self'");
    // connect-src: the management API and the Cognito issuer and hosted UI, nothing else.
    expect(csp).toMatch(/connect-src 'self' https:\/\/.*execute-api/);
    expect(csp).toContain('https://cognito-idp.');
    expect(csp).toMatch(/ https:\/\/",\{"Ref":"AdminIdentityUserPoolHostedUi[^}]*\},"\.auth\./);
    expect(headers.StrictTransportSecurity).toMatchObject({ AccessControlMaxAgeSec: 31_536_000, IncludeSubdomains: true, Override: true });
    expect(headers.FrameOptions).toMatchObject({ FrameOption: 'DENY', Override: true });
    expect(headers.ContentTypeOptions).toMatchObject({ Override: true });
    expect(headers.ReferrerPolicy).toMatchObject({ ReferrerPolicy: 'no-referrer', Override: true });
    expect(text(only(external, 'AWS::CloudFront::ResponseHeadersPolicy'))).toContain('https://login.example.com');
  });

  it('deploys the page and a config.json naming the API, the issuer and the client id, revalidated on every load', () => {
    const { page } = deployments(dev);
    expect(page.Properties.DestinationBucketKeyPrefix).toBe('console/');
    expect(page.Properties.SystemMetadata).toEqual({ 'cache-control': 'no-cache' });
    expect(page.Properties.DistributionPaths).toEqual(['/console/*']);
    const markers = text(page.Properties.SourceMarkers);
    // config.json's values: the API's URL, the user pool (issuer), its app client, the distribution (redirect URI).
    for (const reference of ['ManagementApi', 'AdminIdentityUserPool', 'ManagementClient', 'AdminConsoleDistribution']) {
      expect(markers).toContain(reference);
    }
    // The page's own files: index.html, never the hashed assets (the other deployment's) nor Vite's manifest.
    const files = stagedFiles(devAssembly, page.Properties.SourceObjectKeys[0]!);
    expect(files).toContain('index.html');
    expect(files.filter((file) => file.startsWith('assets/') || file.startsWith('.vite/'))).toEqual([]);
  });

  it('deploys the hashed assets before the page, cached for a year and kept across builds for tabs still on an older one', () => {
    const { assets, assetsId, page } = deployments(dev);
    expect(assets.Properties.DestinationBucketKeyPrefix).toBe('console/assets/');
    expect(assets.Properties.SystemMetadata).toEqual({ 'cache-control': 'public, max-age=31536000, immutable' });
    expect(assets.Properties.Prune).toBe(false);
    expect(stagedFiles(devAssembly, assets.Properties.SourceObjectKeys[0]!).filter((file) => file.endsWith('.js')).length).toBeGreaterThan(
      1,
    );
    // The page's deployment prunes what its build no longer has, except the assets; and comes second.
    expect(page.Properties.Prune).toBe(true);
    expect(page.Properties.Exclude).toEqual(['assets/*']);
    expect(page.DependsOn).toContain(assetsId);
  });

  it('outputs ConsoleUrl, the distribution under /console/', () => {
    const output = dev.findOutputs('ConsoleUrl');
    expect(text(Object.values(output)[0])).toMatch(/"https:\/\/",.*DomainName.*"\/console\/"/);
  });
});

describe('sign-in with the Cognito hosted UI', () => {
  it('uses the authorization code flow only (no implicit flow, no secret, no password flow of the API), back to the console URLs', () => {
    const client = Object.values(
      dev.findResources('AWS::Cognito::UserPoolClient', { Properties: { ClientName: 'keyward-dev-management' } }),
    )
      .map((resource) => (resource as { Properties: Record<string, unknown> }).Properties)
      .at(0)!;
    expect(client.ExplicitAuthFlows).toEqual(['ALLOW_REFRESH_TOKEN_AUTH']);
    expect(client.AllowedOAuthFlows).toEqual(['code']);
    expect(client.AllowedOAuthFlowsUserPoolClient).toBe(true);
    expect(client.AllowedOAuthScopes).toEqual(expect.arrayContaining(['openid', 'email']));
    expect(client.GenerateSecret).toBe(false);
    for (const urls of [client.CallbackURLs, client.LogoutURLs]) {
      expect(urls).toHaveLength(2);
      expect(text((urls as unknown[])[0])).toMatch(/DomainName.*\/console\//);
      expect((urls as unknown[])[1]).toBe('https://keys.example.com/console/');
    }
    // The classic hosted UI, which signs in on its own pages whatever the client's API flows.
    dev.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'acme-keys', ManagedLoginVersion: 1 });
  });
});

describe('CORS on the management API', () => {
  const preflightsOf = (template: Template) =>
    Object.values(template.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'OPTIONS' } })).map((method) =>
      text((method as { Properties: { Integration: unknown } }).Properties.Integration),
    );
  const corsResponsesOf = (template: Template) =>
    Object.values(template.findResources('AWS::ApiGateway::GatewayResponse'))
      .map(text)
      .filter((response) => response.includes('Access-Control-Allow-Origin'));

  it("allows only the console's origin, If-Match in preflight, and exposes ETag from the functions", () => {
    const preflights = preflightsOf(external);
    expect(preflights.length).toBeGreaterThan(0);
    for (const response of preflights) {
      expect(response).toMatch(/Access-Control-Allow-Origin.*'https:\/\/",.*DomainName/);
      expect(response).toContain('If-Match');
      expect(response).not.toContain("'*'");
    }
    const functions = Object.values(external.findResources('AWS::Lambda::Function')).filter((fn) => text(fn).includes('CONSOLE_ORIGIN'));
    expect(functions.length).toBeGreaterThan(5);
    for (const fn of functions)
      expect(text(fn)).toMatch(
        /"CONSOLE_ORIGIN":\{"Fn::Join":\["",\["https:\/\/",\{"Fn::GetAtt":\["AdminConsoleDistribution[^"]*","DomainName"\]\}\]\]\}/,
      );
    // Every answer of the management API's gateway itself (401, throttled, route not found, authorizer failure…) carries it too.
    const responses = corsResponsesOf(external);
    expect(responses).toHaveLength(GATEWAY_RESPONSE_TYPES.length);
    for (const response of responses)
      expect(response).toMatch(/Access-Control-Allow-Origin":\{"Fn::Join":\["",\["'https:\/\/",\{"Fn::GetAtt":\["AdminConsoleDistribution/);
  });

  it('allows every origin of the consoleUrls too (a custom domain, a dev server), each once', () => {
    const { template } = synthKeyward({
      consoleUrls: 'https://keys.example.com/console/,https://keys.example.com/other/,http://localhost:5173/console/',
    });

    for (const response of preflightsOf(template)) {
      expect(response).toContain('https://keys.example.com');
      expect(response).toContain('http://localhost:5173');
    }
    const functions = Object.values(template.findResources('AWS::Lambda::Function')).filter((fn) => text(fn).includes('CONSOLE_ORIGIN'));
    expect(functions.length).toBeGreaterThan(5);
    for (const fn of functions)
      expect(text(fn)).toMatch(
        /"CONSOLE_ORIGIN":\{"Fn::Join":\[",",\[\{"Fn::Join":\["",\["https:\/\/",\{"Fn::GetAtt":\["AdminConsoleDistribution[^"]*","DomainName"\]\}\]\]\},"https:\/\/keys\.example\.com,http:\/\/localhost:5173"\]\]\}/,
      );
    // A gateway response cannot choose among origins per request, so it names one listed origin,
    // fixed at deploy time (the distribution's): never a value taken from the request, which
    // would let any site read API Gateway's own answers.
    const responses = Object.values(template.findResources('AWS::ApiGateway::GatewayResponse')).filter((response) =>
      text(response).includes('Access-Control-Allow-Origin'),
    );
    expect(responses).toHaveLength(GATEWAY_RESPONSE_TYPES.length);
    for (const response of responses) {
      const parameters = (response as { Properties: { ResponseParameters: Record<string, unknown> } }).Properties.ResponseParameters;
      const allowed = text(parameters['gatewayresponse.header.Access-Control-Allow-Origin']);
      expect(allowed).not.toMatch(/method\.request|context\.|stageVariables/);
      expect(allowed).toMatch(
        /^\{"Fn::Join":\["",\["'https:\/\/",\{"Fn::GetAtt":\["AdminConsoleDistribution[^"]*","DomainName"\]\},"'"\]\]\}$/,
      );
    }
  });
});
