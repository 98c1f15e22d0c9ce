import { RemovalPolicy } from 'aws-cdk-lib';

/** 1-10 lower-case letters or digits: short enough for every physical name it is part of. */
export const STAGE_PATTERN = /^[a-z0-9]{1,10}$/;

/** What every keyward construct knows about the stage it is deployed in (use `stageProps` to build it). */
export interface StageProps {
  /** Deployment stage (`STAGE_PATTERN`): part of every physical name (`keyward-<stage>-…`) and tag. */
  readonly stage: string;
  /**
   * Whether the stage is throwaway (its name starts with `dev`): its stateful resources are
   * destroyed with the stack and have no deletion protection (`statefulRemovalPolicy`).
   */
  readonly isDevStage: boolean;
}

/** The stage props of a stage name; the one place that decides which stages are throwaway. */
export function stageProps(stage: string): StageProps {
  if (!STAGE_PATTERN.test(stage)) throw new Error(`stage "${stage}" must be 1-10 lower-case letters or digits`);
  return { stage, isDevStage: stage.startsWith('dev') };
}

/** The stage props out of a construct's props, to hand on to the constructs it builds. */
export function stageOf(props: StageProps): StageProps {
  return { stage: props.stage, isDevStage: props.isDevStage };
}

/**
 * The removal policy of every stateful resource (table, KMS key, log groups, queues, user pool,
 * schedule group).
 *
 * Dev stages: DESTROY. They are throwaway, and `cdk destroy` must leave nothing behind, or the
 * next deploy of the same stage would find its fixed names (table, log groups, queues) taken.
 *
 * Every other stage: RETAIN_ON_UPDATE_OR_DELETE (CloudFormation's `RetainExceptOnCreate`). Data,
 * key and logs outlive a stack deletion or a replacement, but a resource that the failed first
 * deploy itself created is deleted by its rollback instead of being orphaned, so the deploy can be
 * run again without "already exists" failures on the fixed names.
 */
export function statefulRemovalPolicy(stage: StageProps): RemovalPolicy {
  return stage.isDevStage ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;
}
