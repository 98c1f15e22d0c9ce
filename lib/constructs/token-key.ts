import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { type StageProps, statefulRemovalPolicy } from '../stage';

export interface TokenKeyProps extends StageProps {
  /**
   * An IAM role or user (the operator's, for the `keyward` CLI) that may encrypt tokens with the
   * key, as create and rotate do. Nobody but the reveal function may decrypt.
   * @default none: only the create and rotate functions may encrypt
   */
  readonly operatorPrincipalArn?: string;
}

/**
 * What the account (its root, i.e. IAM principals that IAM allows it) may do with the key: manage
 * it (policy, rotation, aliases, tags, deletion), so it can never become unmanageable, but not use
 * it. No `kms:CreateGrant` either, which would be a way round the policy.
 */
export const KEY_ADMINISTRATION_ACTIONS = [
  'kms:CancelKeyDeletion',
  'kms:CreateAlias',
  'kms:DeleteAlias',
  'kms:DescribeKey',
  'kms:DisableKey',
  'kms:DisableKeyRotation',
  'kms:EnableKey',
  'kms:EnableKeyRotation',
  'kms:GetKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:ListGrants',
  'kms:ListKeyRotations',
  'kms:ListResourceTags',
  'kms:PutKeyPolicy',
  'kms:RevokeGrant',
  'kms:RotateKeyOnDemand',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateAlias',
  'kms:UpdateKeyDescription',
] as const;

/** The encryption context every token is sealed with (`adapters/kms-secret-box.ts`). */
export const TOKEN_ENCRYPTION_CONTEXT_KEYS = ['organization_id', 'api_key_id'] as const;

/**
 * A use of the key must carry exactly the token context: both keys present (`Null` false) and no
 * other key (`ForAllValues`), so a ciphertext is always bound to one key record.
 */
export const TOKEN_ENCRYPTION_CONTEXT_CONDITIONS = {
  'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': [...TOKEN_ENCRYPTION_CONTEXT_KEYS] },
  Null: Object.fromEntries(TOKEN_ENCRYPTION_CONTEXT_KEYS.map((key) => [`kms:EncryptionContext:${key}`, 'false'])),
};

/**
 * The KMS key that encrypts tokens so Reveal works (DESIGN.md "Secrets"), with yearly rotation,
 * and an explicit key policy: the account administers the key; only the reveal function may
 * decrypt; only create, rotate (and the operator, when given) may encrypt; every use must carry
 * the token's encryption context. Each use is granted in both the key policy (which alone decides
 * for KMS, since the account root is not given use) and the function's role.
 */
export class TokenKey extends Construct {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: TokenKeyProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      alias: `alias/keyward-${props.stage}-tokens`,
      description: `keyward ${props.stage}: encrypts API-key tokens (encryption context binds each to its key record)`,
      enableKeyRotation: true,
      // Replaces CDK's default policy, which gives the account root `kms:*` (use included).
      policy: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({
            sid: 'AccountAdministersNotUses',
            principals: [new iam.AccountRootPrincipal()],
            actions: [...KEY_ADMINISTRATION_ACTIONS],
            resources: ['*'],
          }),
        ],
      }),
      // Without the key every stored token is unrevealable: only a dev stage may delete it.
      removalPolicy: statefulRemovalPolicy(props),
    });
    if (props.operatorPrincipalArn) {
      this.allowInKeyPolicy('OperatorEncrypts', new iam.ArnPrincipal(props.operatorPrincipalArn), 'kms:Encrypt');
    }
  }

  /** For create/rotate: `kms:Encrypt` only (no GenerateDataKey, no ReEncrypt), with the token context. */
  grantEncrypt(fn: lambda.Function): void {
    this.grantUse(fn, 'kms:Encrypt');
  }

  /** For reveal: `kms:Decrypt` only, with the token context. */
  grantDecrypt(fn: lambda.Function): void {
    this.grantUse(fn, 'kms:Decrypt');
  }

  private grantUse(fn: lambda.Function, action: 'kms:Encrypt' | 'kms:Decrypt'): void {
    if (!fn.role) throw new Error(`${fn.node.path} has no role to grant ${action} to`);
    fn.addEnvironment('KMS_KEY_ID', this.key.keyArn);
    // A statement id names the function (ids allow letters and digits only).
    this.allowInKeyPolicy(`${action.slice(4)}By${fn.node.id.replace(/[^A-Za-z0-9]/g, '')}`, fn.role, action);
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: [action], resources: [this.key.keyArn], conditions: TOKEN_ENCRYPTION_CONTEXT_CONDITIONS }),
    );
  }

  private allowInKeyPolicy(sid: string, principal: iam.IPrincipal, action: string): void {
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid,
        principals: [principal],
        actions: [action],
        resources: ['*'],
        conditions: TOKEN_ENCRYPTION_CONTEXT_CONDITIONS,
      }),
    );
  }
}
