import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll } from 'vitest';
import { observeAwsClients, type AwsClient } from '../../lib/adapters/aws-clients.js';
import { TABLE_CALLS } from '../../infra/constructs/table-access.js';
import { captureCall } from './capacity-capture.js';
import { adapterMethodsOnStack, AWS_CALLS_DIR, callKey, iamCallsOf, type AwsCall, type Recording } from './aws-calls.js';

/**
 * Setup file of the integration project: records every command that a function's SDK clients send
 * (a middleware on each client lib/adapters/aws-clients.ts builds) and writes this test file's
 * calls to .test-results/aws-calls/ for the grant comparison in test/iam.
 *
 * A client belongs to the function whose wiring built it: each handler module builds its clients
 * once through its own create…Deps (lib/wiring.ts), and that is the code that runs under that
 * function's role in AWS. Clients a test builds itself (fault injection, assertions) belong to no
 * function and are not recorded.
 *
 * The same middleware feeds the capacity recorder (capacity-capture.ts) while a capture is open:
 * the IAM recording written here is unchanged by it.
 */
const FUNCTION_OF_WIRING: Record<string, string> = {
  createRegisterDeps: 'Register',
  createVerifyEmailDeps: 'VerifyEmail',
  createResendVerificationDeps: 'ResendVerification',
  createMailerDeps: 'OutboxMailer',
  createLoginDeps: 'Login',
  createRefreshDeps: 'TokenRefresh',
  createLogoutDeps: 'Logout',
  createMeDeps: 'Me',
  createMeUpdateDeps: 'MeUpdate',
  createMeCloseDeps: 'MeClose',
  createMeEmailDeps: 'MeEmail',
  createMeEmailConfirmDeps: 'MeEmailConfirm',
  createMeEmailConfirmPageDeps: 'MeEmailConfirmPage',
  createMePhoneDeps: 'MePhone',
  createMePhoneVerifyDeps: 'MePhoneVerify',
  createMeTotpDeps: 'MeTotp',
  createMeTotpConfirmDeps: 'MeTotpConfirm',
  createMeTotpRemoveDeps: 'MeTotpRemove',
  createLoginMfaDeps: 'LoginMfa',
  createMeSessionsDeps: 'MeSessions',
  createMeSessionEndDeps: 'MeSessionEnd',
  createMeSessionsRevokeOthersDeps: 'MeSessionsRevokeOthers',
  createMeExportDeps: 'MeExport',
  createPhoneVerificationDeps: 'PhoneVerification',
  createPhoneVerifyDeps: 'PhoneVerify',
  createPhoneClaimDeps: 'PhoneClaim',
  createPasswordForgotDeps: 'PasswordForgot',
  createPasswordResetDeps: 'PasswordReset',
  createPasswordChangeDeps: 'PasswordChange',
  createJwksDeps: 'Jwks',
  createVerifyEmailPageDeps: 'VerifyEmailPage',
  createPasswordResetPageDeps: 'PasswordResetPage',
  createPasskeyEnrolOptionsDeps: 'PasskeyEnrolOptions',
  createPasskeyEnrolDeps: 'PasskeyEnrol',
  createPasskeyListDeps: 'PasskeyList',
  createPasskeyRemoveDeps: 'PasskeyRemove',
  createPasskeyLoginOptionsDeps: 'PasskeyLoginOptions',
  createPasskeyLoginDeps: 'PasskeyLogin',
};

function currentStack(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 100;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  return stack;
}

/** The function whose wiring is on the call stack right now (the client is being built). */
function functionBuildingClient(): string | undefined {
  const stack = currentStack();
  const frames = stack.split('\n').filter((line) => line.trimStart().startsWith('at '));
  for (const frame of frames) {
    const wiring = Object.keys(FUNCTION_OF_WIRING).find((name) => new RegExp(`\\bat (\\S+\\.)?${name} `).test(frame));
    if (wiring) return FUNCTION_OF_WIRING[wiring];
  }
  return undefined;
}

type InitializeArgs = { input: object };
interface InitializeStack {
  add(
    middleware: (
      next: (args: InitializeArgs) => Promise<unknown>,
      context: { clientName?: string; commandName?: string },
    ) => (args: InitializeArgs) => Promise<unknown>,
    options: { step: 'initialize'; name: string },
  ): void;
}

const calls = new Map<string, AwsCall>();

const TABLE_METHODS: ReadonlySet<string> = new Set(Object.keys(TABLE_CALLS));

function record(fn: string, clientName: string, commandName: string, input: Record<string, any>): void {
  // Which adapter methods sent it: test/iam checks each method's line in infra/constructs/table-access.ts
  // covers the call, which a function-wide comparison cannot see when another method's grant covers it.
  const methods = clientName === 'DynamoDBClient' ? adapterMethodsOnStack(currentStack(), TABLE_METHODS) : [];
  for (const call of iamCallsOf(clientName, commandName, input)) {
    const entry = { fn, ...call, ...(methods.length > 0 && { methods }) };
    calls.set(`${fn} ${callKey(call)} ${JSON.stringify(call.encryptionContext ?? null)} ${methods.join(',')}`, entry);
  }
}

observeAwsClients((client: AwsClient) => {
  const fn = functionBuildingClient();
  if (!fn) return;
  // Initialize step: the command as the caller wrote it, before retries (each attempt is the same request).
  // The three clients' stacks differ only in their input/output types, which this middleware ignores.
  (client.middlewareStack as unknown as InitializeStack).add(
    (next, context) => async (args) => {
      record(fn, String(context.clientName), String(context.commandName), args.input as Record<string, any>);
      // The capacity recorder (test/integration/capacity-recording.test.ts) also wants sizes and
      // counts; outside its captures this is just next(args).
      return captureCall(fn, String(context.clientName), String(context.commandName), args.input as Record<string, any>, () => next(args));
    },
    { step: 'initialize', name: 'recordIamCalls' },
  );
});

afterAll(({}, suite) => {
  const file = 'filepath' in suite ? String(suite.filepath) : undefined;
  if (!file) throw new Error('record-aws-calls: no test file path');
  const testFile = path.relative(process.cwd(), file);
  const recording: Recording = { testFile, calls: [...calls.values()] };
  mkdirSync(AWS_CALLS_DIR, { recursive: true });
  // One file per test file and worker: workers write at the same time, so no shared file.
  const name = `${testFile.replace(/[^\w.-]+/g, '_')}-${randomBytes(4).toString('hex')}.json`;
  writeFileSync(path.join(AWS_CALLS_DIR, name), JSON.stringify(recording, null, 1));
});
