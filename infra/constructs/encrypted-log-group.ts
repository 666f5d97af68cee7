import type { RemovalPolicy } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, type LogGroupProps, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

export interface LogSettings {
  readonly encryptionKey: IKey;
  readonly retention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/** Every log group of the service: KMS-encrypted, retention and removal from stage config. */
export function createEncryptedLogGroup(
  scope: Construct,
  id: string,
  settings: LogSettings,
  extra: Pick<LogGroupProps, 'logGroupName'> = {},
): LogGroup {
  return new LogGroup(scope, id, {
    encryptionKey: settings.encryptionKey,
    retention: settings.retention,
    removalPolicy: settings.removalPolicy,
    ...extra,
  });
}
