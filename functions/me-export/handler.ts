import { authenticate } from '../../lib/auth/authenticate.js';
import { loadConfig } from '../../lib/config.js';
import { FHIR_JSON } from '../../lib/http/content-negotiation.js';
import { readApi, requestContextOf } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { exportFormatOf, exportOwnRecord } from '../../lib/record/export-record.js';
import { toFhirBundle } from '../../lib/record/fhir.js';
import { createMeExportDeps } from '../../lib/wiring.js';

const config = loadConfig(process.env, ['encryption', 'identifiers', 'tokens']);
const deps = createMeExportDeps(config);

/**
 * GET /me/export: everything held about the caller (issue 20, the right of access). The format is
 * checked after the token (a caller without one learns nothing of the parameters) and before
 * anything is read; both forms answer `Cache-Control: no-store` (JSON_HEADERS).
 */
export const handler = readApi(async (event) => {
  const caller = await authenticate(event.headers, deps);
  const format = exportFormatOf(event.queryStringParameters?.format);
  const exported = await exportOwnRecord(caller, requestContextOf(event), deps);
  if (format === 'fhir') {
    const bundle = toFhirBundle(exported.record, config.tokenIssuer, new Date(exported.exported_at));
    return jsonResponse(200, bundle, { 'Content-Type': `${FHIR_JSON}; charset=utf-8` });
  }
  return jsonResponse(200, { success: true, message: 'Everything held about you', data: exported });
});
