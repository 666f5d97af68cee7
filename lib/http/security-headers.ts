import httpSecurityHeaders from '@middy/http-security-headers';

/**
 * Helmet-style headers on every answer (HSTS, nosniff, no-referrer, …). We have no reporting
 * endpoint, so the empty Reporting-Endpoints/Report-To headers are left out, and so is the
 * "remove Server header" step, which writes undefined values that Node's HTTP server refuses.
 */
export function securityHeaders(contentSecurityPolicy?: Record<string, string | false>) {
  return httpSecurityHeaders({
    reportingEndpoints: false,
    reportTo: false,
    poweredBy: false,
    ...(contentSecurityPolicy && { contentSecurityPolicy: { 'report-to': false, ...contentSecurityPolicy } }),
  } as never);
}
