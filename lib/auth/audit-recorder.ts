import { randomUUID } from 'node:crypto';
import type { AuditEvent, AuditLog } from '../audit/ports.js';
import type { IdentifierDigests } from '../identifiers/ports.js';
import type { Clock } from '../patient/ports.js';

/** Where a request came from, as the handler saw it; only a keyed digest of the address is ever stored. */
export interface RequestContext {
  requestId?: string;
  sourceIp?: string;
  /**
   * What the request came from, summarised ("Chrome 120 on macOS", lib/http/device-summary.ts): set
   * by the handlers that start a session, which keep it with the session for the patient's list.
   * Never written to the audit trail.
   */
  device?: string;
}

export type AuditFacts = Omit<AuditEvent, 'id' | 'at' | 'requestId' | 'sourceIpDigest'>;

export interface AuditRecorder {
  /** Awaited by every caller: a read of patient data that cannot be audited must not be answered. */
  record(context: RequestContext, facts: AuditFacts): Promise<void>;
}

export function createAuditRecorder(audit: AuditLog, identifiers: IdentifierDigests, clock: Clock): AuditRecorder {
  return {
    async record(context, facts) {
      const sourceIpDigest = context.sourceIp ? await identifiers.current('ip', context.sourceIp) : undefined;
      await audit.record({
        id: randomUUID(),
        at: clock.now().toISOString(),
        ...facts,
        ...(context.requestId && { requestId: context.requestId }),
        ...(sourceIpDigest && { sourceIpDigest }),
      });
    },
  };
}
