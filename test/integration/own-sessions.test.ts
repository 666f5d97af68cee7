import { describe, expect, it } from 'vitest';
import { auditTrailOf } from '../support/audit-trail.js';
import { api, sessionsApi, verifiedPatient } from '../support/sign-in-api.js';

/**
 * Issue 20, the patient's sessions, through the real handlers on DynamoDB Local: two sign-ins from
 * two devices are listed with their summaries and the caller's flagged; ending one stops its access
 * token at once (not in 15 minutes) and its refresh token; revoke-others leaves only the caller's;
 * another patient's session id is 404.
 */
const CHROME_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const SAFARI_IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';

interface Listed { id: string; created_at: string; last_used_at: string; device: string | null; current: boolean }

/** A verified patient signed in on a laptop and on a phone; each session's id as the list names it. */
async function onTwoDevices() {
  const { body, patientId, session: verification } = await verifiedPatient();
  const laptop = (await sessionsApi.loginFrom(CHROME_MAC, body.email, body.password)).body.data;
  const phone = (await sessionsApi.loginFrom(SAFARI_IPHONE, body.email, body.password)).body.data;
  const currentOf = async (accessToken: string) =>
    ((await sessionsApi.list(accessToken)).body.data.sessions as Listed[]).find((s) => s.current)!.id;
  return { patientId, verification, laptop, phone, laptopId: await currentOf(laptop.access_token), phoneId: await currentOf(phone.access_token) };
}

describe('the patient\'s sessions (issue 20)', () => {
  it('lists both sign-ins with their device summaries, the caller\'s flagged, and no token', async () => {
    const { laptop, laptopId, phoneId } = await onTwoDevices();
    const response = await sessionsApi.list(laptop.access_token);
    expect(response.statusCode).toBe(200);
    expect(response.headers?.['Cache-Control']).toBe('no-store');
    const sessions = response.body.data.sessions as Listed[];
    expect(sessions).toHaveLength(3); // the verification signed in too
    expect(sessions.find((s) => s.id === laptopId)).toMatchObject({ device: 'Chrome 120 on macOS', current: true });
    expect(sessions.find((s) => s.id === phoneId)).toMatchObject({ device: 'Safari 17 on iOS', current: false });
    expect(sessions.filter((s) => s.current)).toHaveLength(1);
    for (const s of sessions) expect(Object.keys(s).sort()).toEqual(['created_at', 'current', 'device', 'id', 'last_used_at']);
    expect(JSON.stringify(response.body)).not.toContain(laptop.refresh_token);
    expect(JSON.stringify(response.body)).not.toContain('AppleWebKit'); // the summary, never the header
  });

  it('a refresh moves the session\'s last use', async () => {
    const { phone, phoneId, laptop } = await onTwoDevices();
    const before = ((await sessionsApi.list(laptop.access_token)).body.data.sessions as Listed[]).find((s) => s.id === phoneId)!;
    expect((await api.refresh(phone.refresh_token)).statusCode).toBe(200);
    const after = ((await sessionsApi.list(laptop.access_token)).body.data.sessions as Listed[]).find((s) => s.id === phoneId)!;
    expect(after.created_at).toBe(before.created_at);
    expect(Date.parse(after.last_used_at)).toBeGreaterThanOrEqual(Date.parse(before.last_used_at));
    expect(after.last_used_at).not.toBe(after.created_at);
  });

  it('DELETE ends the other session: its access token is 401 at once, its refresh token 401; the caller\'s works on', async () => {
    const { patientId, laptop, phone, phoneId } = await onTwoDevices();
    expect((await api.meAs(phone.access_token)).statusCode).toBe(200);
    const ended = await sessionsApi.end(laptop.access_token, phoneId);
    expect(ended.statusCode).toBe(200);
    expect(ended.body).toEqual({ success: true, message: 'Session ended' });
    expect((await api.meAs(phone.access_token)).statusCode).toBe(401);
    expect((await api.refresh(phone.refresh_token)).statusCode).toBe(401);
    expect((await api.meAs(laptop.access_token)).statusCode).toBe(200);
    expect(((await sessionsApi.list(laptop.access_token)).body.data.sessions as Listed[]).map((s) => s.id)).not.toContain(phoneId);
    // The same id again: nothing left to end.
    expect((await sessionsApi.end(laptop.access_token, phoneId)).statusCode).toBe(404);
    const events = (await auditTrailOf(patientId)).filter((e) => e.action === 'session_end');
    expect(events).toEqual(expect.arrayContaining([expect.objectContaining({ outcome: 'success', sessionId: phoneId })]));
  });

  it('another patient\'s session id is 404, not 403, and that session lives on; so is an unknown or malformed id', async () => {
    const { laptop, laptopId } = await onTwoDevices();
    const stranger = await verifiedPatient();
    const refused = await sessionsApi.end(stranger.session.access_token, laptopId);
    expect(refused.statusCode).toBe(404);
    expect(refused.body).toEqual({ success: false, message: 'No such session' });
    expect((await api.meAs(laptop.access_token)).statusCode).toBe(200);
    expect((await sessionsApi.end(stranger.session.access_token, '7d0c5a3e-2b1f-4c8e-9a6d-1f2e3d4c5b6a')).statusCode).toBe(404);
    expect((await sessionsApi.end(stranger.session.access_token, 'not-a-session-id')).statusCode).toBe(404);
  });

  it('revoke-others leaves only the caller\'s session; the caller may then end its own (a sign-out)', async () => {
    const { laptop, phone, verification, laptopId } = await onTwoDevices();
    const revoked = await sessionsApi.revokeOthers(laptop.access_token);
    expect(revoked.statusCode).toBe(200);
    expect(((await sessionsApi.list(laptop.access_token)).body.data.sessions as Listed[]).map((s) => s.id)).toEqual([laptopId]);
    for (const other of [phone, verification]) {
      expect((await api.meAs(other.access_token)).statusCode).toBe(401);
      expect((await api.refresh(other.refresh_token)).statusCode).toBe(401);
    }
    expect((await sessionsApi.end(laptop.access_token, laptopId)).statusCode).toBe(200);
    expect((await sessionsApi.list(laptop.access_token)).statusCode).toBe(401);
    expect((await api.refresh(laptop.refresh_token)).statusCode).toBe(401);
  });

  it('without a valid access token all three answer 401', async () => {
    for (const response of [await sessionsApi.list('nope'), await sessionsApi.end('nope', '7d0c5a3e-2b1f-4c8e-9a6d-1f2e3d4c5b6a'), await sessionsApi.revokeOthers('nope')]) {
      expect(response.statusCode).toBe(401);
    }
  });
});
