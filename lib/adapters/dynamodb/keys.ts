/** The single-table key design: every item type, its partition key prefix and its fixed sort key. */
export const keys = {
  patient: (id: string) => ({ pk: `PATIENT#${id}`, sk: 'PROFILE' }),
  email: (normalizedEmail: string) => ({ pk: `EMAIL#${normalizedEmail}`, sk: 'UNIQUE' }),
  phone: (e164: string) => ({ pk: `PHONE#${e164}`, sk: 'UNIQUE' }),
  verificationToken: (tokenHash: string) => ({ pk: `VERIFY#${tokenHash}`, sk: 'TOKEN' }),
};

export const TTL_ATTRIBUTE = 'ttl';

/** Table definition shared by the local runner, the tests and (by convention) the CDK stack. */
export const tableDefinition = (tableName: string) => ({
  TableName: tableName,
  BillingMode: 'PAY_PER_REQUEST' as const,
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' as const },
    { AttributeName: 'sk', AttributeType: 'S' as const },
  ],
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' as const },
    { AttributeName: 'sk', KeyType: 'RANGE' as const },
  ],
});
