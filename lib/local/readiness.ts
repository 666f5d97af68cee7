import { HEALTHY } from '../http/health.js';
import { API_PATHS } from '../http/routes.js';

/** Anything else on the port is not this API. */
const HEALTHY_BODY = JSON.stringify(HEALTHY);

/**
 * `npm start`'s readiness: the banner is printed only once GET /api/v1/health answers through the
 * whole chain (routing, handler import, middleware) with the health function's own body, so a
 * foreign process on the port or a handler that fails to load stops the start instead.
 */
export async function waitUntilHealthy(apiUrl: string, { timeoutMs = 10_000, intervalMs = 100 } = {}): Promise<void> {
  const url = `${apiUrl}${API_PATHS.health}`;
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      const body = await response.text();
      if (response.status === 200 && body === HEALTHY_BODY) return;
      last = `${response.status} ${body.slice(0, 80)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() + intervalMs >= deadline) throw new Error(`the API did not become healthy at ${url} within ${timeoutMs / 1000} s (last: ${last})`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
