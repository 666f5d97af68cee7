import { fileURLToPath } from 'node:url';
import { tableDefinition } from '../../lib/adapters/dynamodb/keys.js';
import { addressOf } from '../../lib/mail/sender.js';

/**
 * The AWS calls the functions' code makes, as IAM sees them. Written by the integration suite
 * (test/support/record-aws-calls.ts), compared with the synthesized grants by test/iam.
 */
export const AWS_CALLS_DIR = fileURLToPath(new URL('../../.test-results/aws-calls/', import.meta.url));

/**
 * One authorised request: `action` on `resource` ("table", "index/<name>", or for SES / KMS the
 * configured From address / key as `$MAIL_FROM` / `$KMS_KEY_ID`), and for table items the
 * partition-key prefix that `dynamodb:LeadingKeys` is matched against.
 */
export interface AwsCall {
  /** The CDK id of the Lambda function whose code made the call (Register, OutboxMailer, …). */
  fn: string;
  action: string;
  resource: string;
  prefix?: string;
  /** KMS: the encryption context, which the grant's kms:EncryptionContext:* conditions check. */
  encryptionContext?: Record<string, string>;
  /** KMS GenerateMac: the algorithm, which the grant's kms:MacAlgorithm condition checks. */
  macAlgorithm?: string;
  /**
   * The DynamoDB adapter methods on the call stack, as infra/constructs/table-access.ts names them
   * ("patients.findVerificationToken"), innermost first: each one's line must cover the call.
   */
  methods?: string[];
}

/** The adapter file behind each object of infra/constructs/table-access.ts's TABLE_CALLS. */
const ADAPTER_FILES: Readonly<Record<string, string>> = {
  'patient-repository': 'patients',
  'login-failure-counter': 'loginFailures',
  'session-store': 'sessions',
  'rate-limiter': 'rateLimits',
  'outbox-store': 'outbox',
  'phone-code-store': 'phoneCodes',
  'contact-moves': 'contactMoves',
  'totp-store': 'totp',
  'mfa-challenge-store': 'mfaChallenges',
  'passkey-store': 'passkeys',
};
const ADAPTER_FRAME = /\bat (?:async )?(?:\S+\.)?([\w$]+) \((?:file:\/\/)?[^()]*\/lib\/adapters\/dynamodb\/([\w-]+)\.ts:\d+/;

/**
 * The adapter methods a stack trace passes through, innermost first, limited to the names `known`
 * (TABLE_CALLS's keys): helpers inside an adapter file (readToken, consumeMailboxToken) are not lines
 * of their own. V8 keeps the awaiting async frames, so a call sent after awaits still names its method.
 */
export function adapterMethodsOnStack(stack: string, known: ReadonlySet<string>): string[] {
  const methods: string[] = [];
  for (const line of stack.split('\n')) {
    const match = ADAPTER_FRAME.exec(line);
    const object = match && ADAPTER_FILES[match[2]!];
    const method = object && `${object}.${match[1]}`;
    if (method && known.has(method) && !methods.includes(method)) methods.push(method);
  }
  return methods;
}

export interface Recording {
  /** Repository-relative path of the test file that ran. */
  testFile: string;
  calls: AwsCall[];
}

/** "action resource [prefix]": the unit both directions of the comparison are counted in. */
export const callKey = (c: Pick<AwsCall, 'action' | 'resource' | 'prefix'>) =>
  [c.action, c.resource, c.prefix].filter((part) => part !== undefined).join(' ');

type Call = Omit<AwsCall, 'fn'>;
type Input = Record<string, any>;

const PARTITION_KEY = tableDefinition('unused').KeySchema.find((k) => k.KeyType === 'HASH')!.AttributeName;

/** Text up to and including the first '#': what the LeadingKeys patterns (`PATIENT#*`) are written in. */
function prefixOf(key: Input | undefined): string {
  const value = key?.[PARTITION_KEY];
  // Document-client inputs hold plain strings; low-level ones AttributeValues.
  const text = typeof value === 'string' ? value : value?.S;
  if (typeof text !== 'string') throw new Error(`a key without a string ${PARTITION_KEY}: ${JSON.stringify(key)}`);
  const hash = text.indexOf('#');
  return hash < 0 ? text : text.slice(0, hash + 1);
}

/**
 * The audit trail's own table is its own IAM resource, granted without key conditions (PutItem
 * only); every other item call is on the patient table, where LeadingKeys prefixes apply.
 */
const item = (action: string, key: Input | undefined, tableName?: string): Call =>
  tableName !== undefined && tableName === process.env.AUDIT_TABLE_NAME
    ? { action: `dynamodb:${action}`, resource: 'audit table' }
    : { action: `dynamodb:${action}`, resource: 'table', prefix: prefixOf(key) };

/** What IAM authorises a transaction item as: each one as its own single-item action. */
const TRANSACT_WRITE_ACTIONS: Record<string, string> = {
  Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem',
};

function dynamoCalls(command: string, input: Input): Call[] {
  switch (command) {
    case 'GetItem':
    case 'UpdateItem':
    case 'DeleteItem':
      return [item(command, input.Key, input.TableName)];
    case 'PutItem':
      return [item(command, input.Item, input.TableName)];
    case 'BatchGetItem':
      return Object.values<Input>(input.RequestItems ?? {}).flatMap((table) => table.Keys.map((k: Input) => item(command, k)));
    case 'BatchWriteItem':
      return Object.values<Input[]>(input.RequestItems ?? {}).flatMap((requests) =>
        requests.map((r) => (r.PutRequest ? item('PutItem', r.PutRequest.Item) : item('DeleteItem', r.DeleteRequest.Key))),
      );
    case 'TransactWriteItems':
      return input.TransactItems.map((entry: Input) => {
        const [kind, body] = Object.entries(entry)[0]!;
        const action = TRANSACT_WRITE_ACTIONS[kind];
        if (!action) throw new Error(`unknown transaction item ${kind}`);
        return item(action, kind === 'Put' ? body.Item : body.Key, body.TableName);
      });
    case 'TransactGetItems':
      return input.TransactItems.map((entry: Input) => item('GetItem', entry.Get.Key));
    case 'Query':
    case 'Scan':
      // An index is its own IAM resource; a Query/Scan on the table itself would need its key values,
      // which no adapter sends today: refuse to guess rather than record something IAM would not see.
      // The audit trail is read back by the tests, operators and GET /me/export alone: record it as
      // what it is, so any other function that did would show up as an ungranted call.
      if (!input.IndexName && input.TableName !== undefined && input.TableName === process.env.AUDIT_TABLE_NAME) return [{ action: `dynamodb:${command}`, resource: 'audit table' }];
      // A Query of the table names its partition (`pk = :value`): that value is what LeadingKeys sees (a patient's passkeys, issue 21).
      if (!input.IndexName && command === 'Query') {
        const placeholder = /(?:^|\s)pk\s*=\s*(:\w+)/.exec(input.KeyConditionExpression ?? '')?.[1];
        const pk = placeholder ? input.ExpressionAttributeValues?.[placeholder] : undefined;
        if (pk === undefined) throw new Error('Query on the table itself without `pk = :value`: teach the recorder its LeadingKeys');
        return [item(command, { [PARTITION_KEY]: pk }, input.TableName)];
      }
      if (!input.IndexName) throw new Error(`${command} on the table itself: teach the recorder its LeadingKeys`);
      return [{ action: `dynamodb:${command}`, resource: `index/${input.IndexName}` }];
    default:
      return [{ action: `dynamodb:${command}`, resource: 'table' }];
  }
}

/** The configured value as a symbol, so recordings compare with the stack's own configuration. */
const symbolic = (value: unknown, variable: string) => (value === process.env[variable] ? `$${variable}` : String(value));

/**
 * The IAM actions an SDK command is authorised as, from the client ("DynamoDBClient", …), the
 * command name ("TransactWriteItemsCommand") and its input.
 */
export function iamCallsOf(clientName: string, commandName: string, input: Input): Call[] {
  const command = commandName.replace(/Command$/, '');
  switch (clientName) {
    case 'DynamoDBClient':
      return dynamoCalls(command, input);
    case 'SESClient':
      // SES authorises SendEmail on the identity of the From address (and ses:FromAddress): the
      // address of the mailbox, without its display name.
      return [{ action: `ses:${command}`, resource: symbolic(addressOf(String(input.Source)), 'MAIL_FROM') }];
    case 'PinpointSMSVoiceV2Client':
      // AWS End User Messaging SMS (signing name sms-voice) authorises SendTextMessage on the origination identity.
      return [{ action: `sms-voice:${command}`, resource: symbolic(input.OriginationIdentity, 'SMS_ORIGINATION_IDENTITY') }];
    case 'KMSClient':
      return [{
        action: `kms:${command}`,
        resource: input.KeyId === process.env.IDENTIFIER_KEY_ID
          ? '$IDENTIFIER_KEY_ID'
          : input.KeyId === process.env.ACCESS_TOKEN_WRAPPING_KEY_ID ? '$ACCESS_TOKEN_WRAPPING_KEY_ID' : symbolic(input.KeyId, 'KMS_KEY_ID'),
        ...(input.EncryptionContext && { encryptionContext: input.EncryptionContext }),
        ...(input.MacAlgorithm && { macAlgorithm: input.MacAlgorithm }),
      }];
    default:
      throw new Error(`no IAM mapping for ${clientName}`);
  }
}
