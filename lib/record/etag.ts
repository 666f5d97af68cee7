import { createHash } from 'node:crypto';
import type { PatientView } from '../auth/read-own-record.js';

/**
 * The record's version as a strong entity tag (RFC 9110 §8.8.3): a digest of everything GET /me
 * shows, so it changes with every write that changes what the patient sees (a verified email, a new
 * name, a moved `updated_at`). A digest, not the timestamp, so two writes in one millisecond still
 * differ; it reveals nothing the caller was not just shown.
 */
export function etagOf(view: PatientView): string {
  return `"${createHash('sha256').update(canonicalJson(view)).digest('base64url').slice(0, 32)}"`;
}

/** JSON with every object's members in code-point order: one record, one text, whichever store or path built it. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const members = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${members.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Whether an If-Match header names this version (a list of tags, or `*` for any current record). */
export function matchesEtag(ifMatch: string, etag: string): boolean {
  const tags = ifMatch.split(',').map((tag) => tag.trim());
  // RFC 9110 §13.1.1: If-Match compares strongly, so a weak tag (W/"…") never matches.
  return tags.includes('*') || tags.includes(etag);
}
