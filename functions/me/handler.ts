import { authenticate } from '../../lib/auth/authenticate.js';
import { readOwnRecord } from '../../lib/auth/read-own-record.js';
import { loadConfig } from '../../lib/config.js';
import { acceptsFhir, FHIR_JSON } from '../../lib/http/content-negotiation.js';
import { readApi, requestContextOf } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { etagOf } from '../../lib/record/etag.js';
import { toFhirPatient } from '../../lib/record/fhir.js';
import { createMeDeps } from '../../lib/wiring.js';

const config = loadConfig(process.env, ['encryption', 'identifiers', 'tokens']);
const deps = createMeDeps(config);

export const handler = readApi(async (event) => {
  const caller = await authenticate(event.headers, deps);
  const data = await readOwnRecord(caller, requestContextOf(event), deps);
  // The version a correction (PATCH with If-Match) names: the same for both representations of one record.
  const headers = { ETag: etagOf(data), Vary: 'Accept' };
  if (acceptsFhir(event.headers?.accept)) {
    return jsonResponse(200, toFhirPatient(data, config.tokenIssuer), { ...headers, 'Content-Type': `${FHIR_JSON}; charset=utf-8` });
  }
  return jsonResponse(200, { success: true, message: 'Patient record', data }, headers);
});
