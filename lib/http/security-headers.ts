import type { MiddlewareObj } from '@middy/core';
import httpSecurityHeaders from '@middy/http-security-headers';

/**
 * Every powerful feature a page could ask for, denied: only names Chromium knows. middy's default list
 * carries retired and experimental names (interest-cohort, window-placement, battery, …), and Chromium
 * prints a console error for each name it does not recognize (test/integration/pages-in-browser.test.ts).
 */
export const PERMISSIONS_POLICY = [
  'accelerometer', 'autoplay', 'camera', 'clipboard-read', 'clipboard-write', 'display-capture', 'encrypted-media',
  'fullscreen', 'gamepad', 'geolocation', 'gyroscope', 'hid', 'idle-detection', 'magnetometer', 'microphone', 'midi',
  'payment', 'picture-in-picture', 'publickey-credentials-get', 'screen-wake-lock', 'serial', 'sync-xhr', 'usb',
  'xr-spatial-tracking',
].map((feature) => `${feature}=()`).join(', ');

/**
 * The passkey pages (lib/http/passkey-pages.ts) call WebAuthn: their own origin may create and get
 * public-key credentials (no frame may); everything else stays denied.
 */
export const PASSKEY_PERMISSIONS_POLICY = PERMISSIONS_POLICY.replace('publickey-credentials-get=()', 'publickey-credentials-get=(self)');

const HTML = /^text\/html/i;

/**
 * Helmet-style headers on every answer (HSTS, nosniff, no-referrer, …). We have no reporting
 * endpoint, so the empty Reporting-Endpoints/Report-To headers are left out, and so is the
 * "remove Server header" step, which writes undefined values that Node's HTTP server refuses.
 * HTML answers get PERMISSIONS_POLICY instead of middy's list.
 */
export function securityHeaders(contentSecurityPolicy?: Record<string, string | false>, permissionsPolicy = PERMISSIONS_POLICY): MiddlewareObj {
  const helmet = httpSecurityHeaders({
    reportingEndpoints: false,
    reportTo: false,
    poweredBy: false,
    permissionsPolicy: false,
    ...(contentSecurityPolicy && { contentSecurityPolicy: { 'report-to': false, ...contentSecurityPolicy } }),
  } as never);
  const addPermissionsPolicy = (request: { response?: unknown }) => {
    const response = request.response as { headers?: Record<string, string> } | undefined;
    if (response?.headers && HTML.test(response.headers['Content-Type'] ?? response.headers['content-type'] ?? '')) {
      response.headers['Permissions-Policy'] = permissionsPolicy;
    }
  };
  return {
    after: async (request) => {
      await helmet.after?.(request as never);
      addPermissionsPolicy(request);
    },
    onError: async (request) => {
      await helmet.onError?.(request as never);
      addPermissionsPolicy(request);
    },
  };
}
