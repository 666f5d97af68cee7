import Bowser from 'bowser';
import type { RequestContext } from '../auth/audit-recorder.js';
import { DEVICE_SUMMARY_MAX_LENGTH } from '../auth/session-ports.js';
import { requestContextOf, type ApiEvent } from './json-api.js';

/**
 * Bowser names unknown browsers after the user agent's own first product token, so a summary may
 * carry client-chosen text: only letters, digits and a few separators are kept, each part short.
 */
const UNSAFE = /[^\p{L}\p{N} ._()+-]/gu;
const PART_MAX = 40;
const clean = (text: string | undefined) => text?.replace(UNSAFE, '').trim().slice(0, PART_MAX) || undefined;

/**
 * "Chrome 120 on macOS", "Mobile Safari 17 on iOS", "Firefox 121 on Linux": what the patient's
 * session list shows to tell their sessions apart. Only this summary is kept, never the header
 * (a full user agent fingerprints a device). Undefined when the agent says nothing recognisable.
 */
export function deviceSummary(userAgent: string | null | undefined): string | undefined {
  if (!userAgent?.trim()) return undefined;
  const { browser, os } = Bowser.parse(userAgent);
  const name = clean(browser.name);
  const major = clean(browser.version?.split('.')[0]);
  const system = clean(os.name);
  const app = name && (major ? `${name} ${major}` : name);
  const summary = app && system ? `${app} on ${system}` : (app ?? system);
  return summary?.slice(0, DEVICE_SUMMARY_MAX_LENGTH);
}

/**
 * requestContextOf plus the device summary, for the handlers that start a session (sign-in, email
 * verification): only their bundles carry the user-agent parser.
 */
export function signInContextOf(event: Pick<ApiEvent, 'requestContext' | 'headers'>): RequestContext {
  const device = deviceSummary(event.requestContext?.identity?.userAgent ?? event.headers?.['user-agent']);
  return { ...requestContextOf(event), ...(device && { device }) };
}
