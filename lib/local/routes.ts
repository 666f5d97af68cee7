import type { Routes } from './api-server.js';

/**
 * The API's routes, as API Gateway serves them. Handlers are imported only when called, after the
 * environment is set, because each reads its configuration at module load like a Lambda cold start.
 */
export async function loadRoutes(): Promise<Routes> {
  const [register, verifyEmail, verifyEmailPage, resendVerification] = await Promise.all([
    import('../../functions/register/handler.js'),
    import('../../functions/verify-email/handler.js'),
    import('../../functions/verify-email-page/handler.js'),
    import('../../functions/resend-verification/handler.js'),
  ]);
  return {
    '/api/v1/patient/register': { POST: register.handler },
    '/api/v1/patient/verify-email': { POST: verifyEmail.handler, GET: verifyEmailPage.handler },
    '/api/v1/patient/resend-verification': { POST: resendVerification.handler },
  };
}
