import type { AuditEvent, AuditTrail } from '../../../lib/audit/ports.js';

export interface InMemoryAuditTrail extends AuditTrail {
  /** Every event, in the order written. */
  all(): AuditEvent[];
}

/** Append-only, keyed by event id as the real stores are: the same id written twice is one event. */
export function createInMemoryAuditTrail(): InMemoryAuditTrail {
  const events = new Map<string, AuditEvent>();
  return {
    async record(event) {
      if (!events.has(event.id)) events.set(event.id, structuredClone(event));
    },
    async eventsFor(patientId) {
      return [...events.values()].filter((e) => e.patientId === patientId).sort((a, b) => a.at.localeCompare(b.at)).map((e) => structuredClone(e));
    },
    all: () => [...events.values()].map((e) => structuredClone(e)),
  };
}
