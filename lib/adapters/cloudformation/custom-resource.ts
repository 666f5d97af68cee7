import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { describeError, logger } from '../../logging/logger.js';

export interface CustomResourceResult {
  physicalResourceId: string;
  /** Attributes for Fn::GetAtt (at most 4 KB in all); never a secret, CloudFormation keeps them. */
  data?: Record<string, string>;
}

/**
 * Runs one custom-resource request and always answers CloudFormation (a PUT of the result to the
 * request's presigned S3 URL): a handler that threw without answering would hold the stack for an
 * hour. A failure's reason is a fixed text naming the error's type, never its message.
 */
export async function answerCustomResource(
  event: CloudFormationCustomResourceEvent,
  run: (event: CloudFormationCustomResourceEvent) => Promise<CustomResourceResult>,
): Promise<void> {
  const common = { StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId };
  let body: Record<string, unknown>;
  try {
    const result = await run(event);
    body = { ...common, Status: 'SUCCESS', PhysicalResourceId: result.physicalResourceId, ...(result.data && { Data: result.data }) };
  } catch (error) {
    const physicalResourceId = 'PhysicalResourceId' in event ? event.PhysicalResourceId : `failed-${event.RequestId}`;
    body = { ...common, Status: 'FAILED', PhysicalResourceId: physicalResourceId, Reason: `${(error as Error)?.name ?? 'Error'}: see the function's log` };
    logger.error('custom resource request failed', describeError(error));
  }
  // A byte body: fetch adds no Content-Type, which the presigned URL was not signed with.
  const response = await fetch(event.ResponseURL, { method: 'PUT', body: Buffer.from(JSON.stringify(body)) });
  if (!response.ok) throw new Error(`CloudFormation refused the custom resource answer: ${response.status}`);
}
