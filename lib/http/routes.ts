/**
 * The API's routes: the one table the CDK API (infra/stacks/stateless-stack.ts) and the local server
 * (lib/local) are both built from, so a route, its function or its timeout cannot differ between what is
 * deployed and what is run and tested locally. No imports: infra loads it without CDK reaching the
 * Lambda bundles, and without the handlers reaching the CDK app.
 */
export type HttpMethod = 'GET' | 'POST';

/** Folder under functions/ holding the route's handler (`functions/<name>/handler.ts`). */
export type ApiFunctionName = 'register' | 'verify-email' | 'verify-email-page' | 'resend-verification';

export interface ApiRoute {
  readonly method: HttpMethod;
  readonly path: string;
  readonly functionName: ApiFunctionName;
  /** The Lambda timeout; the local server gives the handler the same remaining time. */
  readonly timeoutSeconds: number;
}

export const API_PATHS = {
  register: '/api/v1/patient/register',
  verifyEmail: '/api/v1/patient/verify-email',
  resendVerification: '/api/v1/patient/resend-verification',
} as const;

export const API_ROUTES = {
  register: { method: 'POST', path: API_PATHS.register, functionName: 'register', timeoutSeconds: 10 },
  verifyEmail: { method: 'POST', path: API_PATHS.verifyEmail, functionName: 'verify-email', timeoutSeconds: 5 },
  verifyEmailPage: { method: 'GET', path: API_PATHS.verifyEmail, functionName: 'verify-email-page', timeoutSeconds: 5 },
  resendVerification: { method: 'POST', path: API_PATHS.resendVerification, functionName: 'resend-verification', timeoutSeconds: 5 },
} as const satisfies Record<string, ApiRoute>;

export const ALL_API_ROUTES: readonly ApiRoute[] = Object.values(API_ROUTES);
