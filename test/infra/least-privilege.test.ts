import type { Template } from 'aws-cdk-lib/assertions';
import { OPERATION_LIST } from '../../lambdas/operations/manifest';
import { fnName, KEYWARD_ENTRIES, PROD_CONTEXT, synthKeyward } from './synth';
import { actionsOf, environmentOf, functionId, resourcesOf, statementsOf, usingAction } from './template-helpers';

/** What each function may do: exactly what its manifest row or its construct grants, nothing else. */

let dev: Template;
let prod: Template;

beforeAll(() => {
  dev = synthKeyward().template;
  prod = synthKeyward(PROD_CONTEXT).template;
});

describe('least privilege per function', () => {
  it('lets the api-key authorizer GetItem and write last_used_at on the table ARN and nothing else', () => {
    const tableId = Object.keys(resourcesOf(dev, 'AWS::DynamoDB::Table'))[0]!;
    const statements = statementsOf(dev, fnName('api-key-authorizer'));
    const dynamo = statements.filter((s) => JSON.stringify(s.Action).includes('dynamodb:'));
    expect(dynamo).toEqual([
      { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: { 'Fn::GetAtt': [tableId, 'Arn'] } },
      {
        Effect: 'Allow',
        Action: 'dynamodb:UpdateItem',
        Resource: { 'Fn::GetAtt': [tableId, 'Arn'] },
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'sk', 'last_used_at'] } },
      },
    ]);
    expect(actionsOf(dev, fnName('api-key-authorizer'))).toEqual([
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
  });

  it('lets the admin authorizer only GetItem', () => {
    expect(actionsOf(dev, fnName('admin-authorizer')).filter((a) => !/^(logs|xray):/.test(a))).toEqual(['dynamodb:GetItem']);
  });

  it.each(OPERATION_LIST.map((operation) => [operation.entry, operation] as const))(
    '%s may do on the table exactly what its manifest row lists, on the table ARN only',
    (entry, operation) => {
      const tableId = Object.keys(resourcesOf(dev, 'AWS::DynamoDB::Table'))[0]!;
      const dynamo = statementsOf(dev, fnName(entry)).filter((s) => JSON.stringify(s.Action).includes('dynamodb:'));
      expect(dynamo.flatMap((s) => [s.Action].flat()).sort()).toEqual(operation.table.map((action) => `dynamodb:${action}`).sort());
      for (const statement of dynamo) expect(statement.Resource).toEqual({ 'Fn::GetAtt': [tableId, 'Arn'] });
      expect('TABLE_NAME' in environmentOf(dev, fnName(entry))).toBe(operation.table.length > 0);
    },
  );

  it('gives GET /openapi.json and the echo no data access at all', () => {
    for (const entry of ['get-openapi', 'example-echo']) {
      expect(actionsOf(dev, fnName(entry)).filter((a) => !/^(logs|xray):/.test(a))).toEqual([]);
    }
  });

  it('lets no function Scan or touch the table with a wildcard action', () => {
    const all = KEYWARD_ENTRIES.flatMap((entry) => actionsOf(dev, fnName(entry)));
    expect(all.filter((a) => a === 'dynamodb:Scan' || a.endsWith('*'))).toEqual([]);
  });

  it('lets only reveal kms:Decrypt, and only create and rotate (by an admin or a leak report) kms:Encrypt; nobody else any KMS action', () => {
    expect(usingAction(dev, 'kms:Decrypt', 'dev')).toEqual(['reveal-api-key']);
    expect(usingAction(dev, 'kms:Encrypt', 'dev')).toEqual(['create-api-key', 'report-secret-scanning', 'rotate-api-key']);
    const kmsUsers = KEYWARD_ENTRIES.filter((entry) => actionsOf(dev, fnName(entry)).some((a) => a.startsWith('kms:'))).sort();
    expect(kmsUsers).toEqual(['create-api-key', 'report-secret-scanning', 'reveal-api-key', 'rotate-api-key']);
    expect(actionsOf(dev, fnName('report-secret-scanning')).filter((a) => a.startsWith('kms:'))).toEqual(['kms:Encrypt']);
    expect(actionsOf(dev, fnName('rotate-api-key')).filter((a) => a.startsWith('kms:'))).toEqual(['kms:Encrypt']);
  });

  it('lets only create, update and rotate (by an admin or a leak report) create schedules and pass the scheduler role, and delete only remove them, in the lifecycle group', () => {
    const managers = ['create-api-key', 'report-secret-scanning', 'rotate-api-key', 'update-api-key'];
    expect(usingAction(dev, 'scheduler:CreateSchedule', 'dev')).toEqual(managers);
    expect(usingAction(dev, 'scheduler:DeleteSchedule', 'dev')).toEqual([
      'create-api-key',
      'delete-api-key',
      'report-secret-scanning',
      'rotate-api-key',
      'update-api-key',
    ]);
    expect(usingAction(dev, 'iam:PassRole', 'dev')).toEqual(managers);
    const schedulerActions = (entry: string) =>
      actionsOf(dev, fnName(entry)).filter((a) => a.startsWith('scheduler:') || a === 'iam:PassRole');
    for (const entry of managers) {
      expect(schedulerActions(entry)).toEqual(['iam:PassRole', 'scheduler:CreateSchedule', 'scheduler:DeleteSchedule']);
    }
    expect(schedulerActions('delete-api-key')).toEqual(['scheduler:DeleteSchedule']);
    for (const entry of [...managers, 'delete-api-key']) {
      const scheduling = statementsOf(dev, fnName(entry)).find((s) => JSON.stringify(s.Action).includes('scheduler:'))!;
      expect(JSON.stringify(scheduling.Resource)).toContain(':schedule/keyward-dev-retirements/*');
      expect(environmentOf(dev, fnName(entry))).toEqual(
        expect.objectContaining({
          SCHEDULE_GROUP_NAME: 'keyward-dev-retirements',
          RETIRE_FUNCTION_ARN: expect.anything(),
          REMIND_FUNCTION_ARN: { 'Fn::GetAtt': [functionId(dev, fnName('remind-api-key-expiry')), 'Arn'] },
          SCHEDULER_ROLE_ARN: expect.anything(),
          SCHEDULER_DLQ_ARN: expect.anything(),
        }),
      );
    }
    const passRole = statementsOf(dev, fnName('rotate-api-key')).find((s) => s.Action === 'iam:PassRole')!;
    const schedulerRoleId = Object.keys(resourcesOf(dev, 'AWS::IAM::Role')).find((id) => id.startsWith('RetirementSchedulerRole'))!;
    expect(passRole.Resource).toEqual({ 'Fn::GetAtt': [schedulerRoleId, 'Arn'] });
    expect(passRole.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } });
  });

  it('lets only the notifier send email, and only from the configured address', () => {
    expect(usingAction(prod, 'ses:SendEmail', 'prod')).toEqual(['notify-admins']);
    const send = statementsOf(prod, fnName('notify-admins', 'prod')).find((s) => JSON.stringify(s.Action).includes('ses:SendEmail'))!;
    // Any identity (a sandbox recipient's is authorized too), from the stage's address only.
    expect(JSON.stringify(send.Resource)).toContain(':identity/*');
    expect(send.Condition).toEqual({ StringEquals: { 'ses:FromAddress': 'keys@example.com' } });
    expect(environmentOf(prod, fnName('notify-admins', 'prod'))).toMatchObject({ SES_FROM_ADDRESS: 'keys@example.com' });
  });

  it('lets the notifier use the table for idempotency records and reading admins', () => {
    expect(actionsOf(dev, fnName('notify-admins')).filter((a) => a.startsWith('dynamodb:') && !/Stream|Shard|Records/.test(a))).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
  });
});
