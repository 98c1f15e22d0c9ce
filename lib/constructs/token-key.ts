import type * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { type StageProps, statefulRemovalPolicy } from '../stage';

/** The alias is `alias/keyward-<stage>-tokens`; a dev stage schedules the key's deletion with the stack. */
export type TokenKeyProps = StageProps;

/**
 * The KMS key that encrypts tokens so Reveal works (DESIGN.md "Secrets"), with yearly rotation.
 * Rights are handed out one action at a time: only reveal may decrypt, only create/rotate may encrypt.
 */
export class TokenKey extends Construct {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: TokenKeyProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      alias: `alias/keyward-${props.stage}-tokens`,
      description: `keyward ${props.stage}: encrypts API-key tokens (encryption context binds each to its key record)`,
      enableKeyRotation: true,
      // Without the key every stored token is unrevealable: only a dev stage may delete it.
      removalPolicy: statefulRemovalPolicy(props),
    });
  }

  /** For create/rotate: `kms:Encrypt` only (no GenerateDataKey, no ReEncrypt). */
  grantEncrypt(fn: lambda.Function): iam.Grant {
    fn.addEnvironment('KMS_KEY_ID', this.key.keyArn);
    return this.key.grant(fn, 'kms:Encrypt');
  }

  /** For reveal: `kms:Decrypt` only. */
  grantDecrypt(fn: lambda.Function): iam.Grant {
    fn.addEnvironment('KMS_KEY_ID', this.key.keyArn);
    return this.key.grant(fn, 'kms:Decrypt');
  }
}
