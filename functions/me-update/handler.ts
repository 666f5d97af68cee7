import { authenticate } from '../../lib/auth/authenticate.js';
import { loadConfig } from '../../lib/config.js';
import { bearerJsonApi, requestContextOf } from '../../lib/http/json-api.js';
import { jsonResponse } from '../../lib/http/response.js';
import { updateProfile } from '../../lib/record/update-profile.js';
import { validateProfile, validateProfilePatch } from '../../lib/patient/generated/me-update.js';
import { createMeUpdateDeps } from '../../lib/wiring.js';

const deps = { ...createMeUpdateDeps(loadConfig(process.env, ['encryption', 'identifiers', 'tokens'])), validateProfile };

/** PATCH /api/v1/patient/me: a JSON Merge Patch (application/merge-patch+json or application/json) of the profile, with If-Match. */
export const handler = bearerJsonApi(
  (headers) => authenticate(headers, deps),
  validateProfilePatch,
  async (event, caller) => {
    const { view, etag } = await updateProfile(caller, { ifMatch: event.headers?.['if-match'], patch: event.body }, requestContextOf(event), deps);
    return jsonResponse(200, { success: true, message: 'Patient record updated', data: view }, { ETag: etag });
  },
);
