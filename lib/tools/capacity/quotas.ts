import type { Prices, Quotas } from './model.js';

/**
 * Default quotas of a fresh account in one region, and published on-demand prices in us-east-1
 * (arm64 Lambda). Each value's source and the date it was read are in README.md; change both together.
 */
export const DEFAULT_QUOTAS: Quotas = {
  kms: {
    // "Cryptographic operations (symmetric) request rate": 10,000/s shared by default; 20,000 or more in the larger regions.
    symmetric: 10_000,
    // "Cryptographic operations (ECC) request rate": Sign and Verify with ECC keys, shared by the account.
    ecc: 300,
    // "Cryptographic operations (RSA) request rate".
    rsa: 500,
    // "GetPublicKey request rate".
    GetPublicKey: 2_000,
  },
  dynamoDbTableReadUnits: 40_000,
  dynamoDbTableWriteUnits: 40_000,
  dynamoDbPartitionReadUnits: 3_000,
  dynamoDbPartitionWriteUnits: 1_000,
  // SES leaves the sandbox at a sending rate AWS sets per account; 14/s is the usual start.
  sesSendRate: 14,
  // AWS End User Messaging SMS: a US toll-free number sends 3 parts a second (10DLC and short codes more).
  smsPerSecond: 3,
  lambdaConcurrency: 1_000,
  // Account-level throttle of API Gateway REST APIs per region (burst 5,000).
  apiGatewayRequests: 10_000,
};

export const PRICES: Prices = {
  lambdaPerGbSecond: 0.0000133334, // arm64, first 7.5 billion GB-s a month
  lambdaPerRequest: 0.2 / 1_000_000,
  apiGatewayPerRequest: 3.5 / 1_000_000, // REST API, first 333 million a month
  dynamoDbPerWriteUnit: 0.625 / 1_000_000, // on-demand write request unit
  dynamoDbPerReadUnit: 0.125 / 1_000_000, // on-demand read request unit
  kmsPerRequest: {
    symmetric: 0.03 / 10_000,
    ecc: 0.15 / 10_000,
    rsa: 0.15 / 10_000,
    GetPublicKey: 0.03 / 10_000,
  },
  sesPerMessage: 0.1 / 1_000,
  smsPerMessage: 0.00883, // one US text from a toll-free number: base price plus carrier fee, about
};

/** The rate the issue sets: register, login and refresh each, in one region. */
export const TARGET_RATE = 10_000;
