import { readApi } from '../../lib/http/json-api.js';
import { HEALTHY } from '../../lib/http/health.js';
import { jsonResponse } from '../../lib/http/response.js';

/**
 * GET /api/v1/health, for load balancers, uptime checks and `npm start`'s readiness. The check is that
 * the request went the whole way: API Gateway, Lambda, this bundle and the shared chain (headers, CORS,
 * error envelope). It reads no configuration and calls nothing, so a probe costs nothing downstream
 * and tells nothing about any patient; a dependency's outage shows in each route's own 503 and alarms.
 */
export const handler = readApi(async () => jsonResponse(200, HEALTHY));
