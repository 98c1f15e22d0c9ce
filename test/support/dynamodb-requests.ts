import type { Statement } from '../infra/template-helpers';

/**
 * What IAM sees of the DynamoDB commands a function sent: one request per action it authorizes
 * (a transaction is authorized item by item), with the top-level attribute names it touches
 * (`dynamodb:Attributes`). Used to check a role against what the code really does.
 */
export interface DynamoRequest {
  readonly action: string;
  readonly attributes: readonly string[];
  /** The partition key values the request names (`dynamodb:LeadingKeys`): the item's, or a Query's. */
  readonly leadingKeys?: readonly string[];
}

interface CommandInput {
  Key?: Record<string, unknown>;
  Item?: Record<string, unknown>;
  UpdateExpression?: string;
  ConditionExpression?: string;
  ProjectionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
  KeyConditionExpression?: string;
  TransactItems?: Record<string, CommandInput>[];
}

/** What `TransactWriteItems` is authorized as, item by item. */
const TRANSACT_ITEM_ACTIONS: Record<string, string> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
};

/** What every other command is authorized as, by its name in the document client or in the low-level client. */
const COMMAND_ACTIONS: Record<string, string> = {
  GetCommand: 'dynamodb:GetItem',
  GetItemCommand: 'dynamodb:GetItem',
  QueryCommand: 'dynamodb:Query',
  ScanCommand: 'dynamodb:Scan',
  PutCommand: 'dynamodb:PutItem',
  PutItemCommand: 'dynamodb:PutItem',
  UpdateCommand: 'dynamodb:UpdateItem',
  UpdateItemCommand: 'dynamodb:UpdateItem',
  DeleteCommand: 'dynamodb:DeleteItem',
  DeleteItemCommand: 'dynamodb:DeleteItem',
};
const TRANSACT_WRITE = new Set(['TransactWriteCommand', 'TransactWriteItemsCommand']);

/** Words of the expression grammar, as opposed to attribute names. */
const EXPRESSION_WORDS = new Set([
  'SET',
  'REMOVE',
  'ADD',
  'DELETE',
  'AND',
  'OR',
  'NOT',
  'BETWEEN',
  'IN',
  'attribute_exists',
  'attribute_not_exists',
  'attribute_type',
  'begins_with',
  'contains',
  'size',
  'if_not_exists',
  'list_append',
]);

/** Top-level attribute names in an expression: values (`:v`) and nested paths (`a.b`, `a[0]`) dropped, `#n` resolved. */
function namesIn(expression: string | undefined, names: Record<string, string> = {}): string[] {
  if (!expression) return [];
  const words =
    expression
      .replace(/:\w+/g, ' ')
      .replace(/(\.[#\w]+|\[\d+\])+/g, '')
      .match(/#?[A-Za-z_]\w*/g) ?? [];
  return words
    .filter((word) => !EXPRESSION_WORDS.has(word))
    .map((word) => {
      if (!word.startsWith('#')) return word;
      const name = names[word];
      if (name === undefined) throw new Error(`${word} is not in ExpressionAttributeNames`);
      return name;
    });
}

function request(action: string, input: CommandInput): DynamoRequest {
  const names = input.ExpressionAttributeNames;
  const attributes = new Set([
    ...Object.keys(input.Key ?? {}),
    ...Object.keys(input.Item ?? {}),
    ...namesIn(input.UpdateExpression, names),
    ...namesIn(input.ConditionExpression, names),
    ...namesIn(input.ProjectionExpression, names),
  ]);
  return { action, attributes: [...attributes].sort(), ...leadingKeysOf(input) };
}

/** The partition key value of an item request (`pk`), or of a Query (`pk = :value`). Marshalled or not. */
function leadingKeysOf(input: CommandInput): { leadingKeys?: string[] } {
  const plain = (value: unknown): string | undefined =>
    typeof value === 'string'
      ? value
      : typeof (value as { S?: unknown } | undefined)?.S === 'string'
        ? (value as { S: string }).S
        : undefined;
  const own = plain((input.Key ?? input.Item)?.pk);
  if (own !== undefined) return { leadingKeys: [own] };
  const placeholder = /\bpk\s*=\s*(:\w+)/.exec(input.KeyConditionExpression ?? '')?.[1];
  const queried = placeholder === undefined ? undefined : plain(input.ExpressionAttributeValues?.[placeholder]);
  return queried === undefined ? {} : { leadingKeys: [queried] };
}

/**
 * The requests behind commands (name and input, as aws-sdk-client-mock records them or a client
 * middleware sees them). Key and attribute names are the same marshalled or not.
 */
export function dynamoRequests(commands: readonly { name: string; input: object }[]): DynamoRequest[] {
  return commands.flatMap(({ name, input: sent }) => {
    const input = sent as CommandInput;
    if (TRANSACT_WRITE.has(name)) {
      return (input.TransactItems ?? []).map((item) => {
        const [kind, itemInput] = Object.entries(item)[0] ?? [];
        const action = kind === undefined ? undefined : TRANSACT_ITEM_ACTIONS[kind];
        if (action === undefined || itemInput === undefined) throw new Error(`unknown transaction item ${JSON.stringify(item)}`);
        return request(action, itemInput);
      });
    }
    const action = COMMAND_ACTIONS[name];
    if (action === undefined) throw new Error(`no IAM action known for ${name}`);
    return [request(action, input)];
  });
}

/** The command each operation of DynamoDB's JSON protocol is sent by, in the document client. */
const COMMAND_OF_OPERATION: Record<string, string> = {
  GetItem: 'GetCommand',
  PutItem: 'PutCommand',
  UpdateItem: 'UpdateCommand',
  DeleteItem: 'DeleteCommand',
  TransactWriteItems: 'TransactWriteCommand',
};

/**
 * The requests behind DynamoDB JSON-protocol calls (operation and body, as an HTTP stand-in
 * records them): a body names the same keys and expressions as the command input it stands for.
 */
export function dynamoJsonRequests(calls: readonly { operation: string; body: object }[]): DynamoRequest[] {
  return dynamoRequests(
    calls.map(({ operation, body }) => {
      const name = COMMAND_OF_OPERATION[operation];
      if (name === undefined) throw new Error(`no IAM action known for ${operation}`);
      return { name, input: body };
    }),
  );
}

const asList = (value: string | string[]): string[] => (Array.isArray(value) ? value : [value]);

/** Whether a statement's conditions hold for a request; a condition this evaluator does not know fails the test. */
function conditionsHold(statement: Statement, req: DynamoRequest): boolean {
  return Object.entries(statement.Condition ?? {}).every(([operator, block]) =>
    Object.entries(block).every(([key, values]) => {
      if (operator !== 'ForAllValues:StringEquals' || key !== 'dynamodb:Attributes') {
        throw new Error(`condition ${operator} ${key} is not modelled by this test`);
      }
      return req.attributes.every((attribute) => asList(values).includes(attribute));
    }),
  );
}

/** The Allow statements (all on the same resource) that let a request through. */
export function statementsAllowing(statements: readonly Statement[], req: DynamoRequest): Statement[] {
  return statements.filter(
    (statement) => statement.Effect === 'Allow' && asList(statement.Action).includes(req.action) && conditionsHold(statement, req),
  );
}
