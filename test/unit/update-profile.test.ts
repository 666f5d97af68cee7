import { describe, expect, it } from 'vitest';
import { readOwnRecord } from '../../lib/auth/read-own-record.js';
import { PreconditionFailedError, PreconditionRequiredError, SignInRefusedError, ValidationError } from '../../lib/errors.js';
import { deliverDueMails } from '../../lib/outbox/deliver-mail.js';
import { etagOf, matchesEtag } from '../../lib/record/etag.js';
import { applyMergePatch } from '../../lib/record/merge-patch.js';
import { updateProfile, type ProfileUpdateRequest } from '../../lib/record/update-profile.js';
import { validateProfile } from '../../lib/patient/generated/me-update.js';
import { createFakeDeps, type FakeDeps } from '../support/fakes/index.js';
import { CONTEXT, registeredPatient } from '../support/signed-in.js';

const WITH_DATA = { overrides: { medical_history: ['asthma'], insurance_info: { provider: 'Blue Cross', policy_number: 'BC123456789' } } };

async function signedIn(options = WITH_DATA) {
  const deps = createFakeDeps();
  const { patientId } = await registeredPatient(deps, options);
  const caller = await deps.tokens.verify((await deps.tokens.issue(patientId, deps.clock.now())).token, deps.clock.now());
  const read = () => readOwnRecord(caller, CONTEXT, deps);
  const etag = async () => etagOf(await read());
  const patch = (request: ProfileUpdateRequest, d: FakeDeps = deps) => updateProfile(caller, request, CONTEXT, { ...d, validateProfile });
  return { deps, patientId, caller, read, etag, patch };
}

describe('updateProfile (PATCH /me)', () => {
  it('applies the merge patch, answers the record as GET /me then shows it, with its new ETag, and moves updated_at', async () => {
    const { deps, read, etag, patch } = await signedIn();
    const before = await read();
    deps.clock.advance(60_000);
    const { view, etag: next } = await patch({ ifMatch: await etag(), patch: { last_name: 'Jones', address: { city: 'Cambridge', zip: '02139' } } });
    const after = await read();
    expect(view).toEqual(after);
    expect(next).toBe(etagOf(after));
    expect(next).not.toBe(etagOf(before));
    expect(after).toMatchObject({ last_name: 'Jones', address: { ...before.address, city: 'Cambridge', zip: '02139' } });
    expect(Date.parse(after.updated_at)).toBe(deps.clock.now().getTime());
  });

  it('without If-Match: 428, nothing read or written', async () => {
    const { read, patch } = await signedIn();
    const before = await read();
    await expect(patch({ ifMatch: undefined, patch: { last_name: 'Jones' } })).rejects.toBeInstanceOf(PreconditionRequiredError);
    expect(await read()).toEqual(before);
  });

  it('with a stale If-Match: 412 naming the current ETag, nothing written', async () => {
    const { read, etag, patch } = await signedIn();
    const stale = await etag();
    await patch({ ifMatch: stale, patch: { last_name: 'Jones' } });
    const current = await etag();
    const error = await patch({ ifMatch: stale, patch: { last_name: 'Brown' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PreconditionFailedError);
    expect((error as PreconditionFailedError).etag).toBe(current);
    expect((await read()).last_name).toBe('Jones');
  });

  it('a write that loses the race after its read is a 412 too, not a lost update', async () => {
    const { deps, read, etag, patch } = await signedIn();
    const tag = await etag();
    // Another correction lands between this request's read and its write.
    const racing = { ...deps, repository: { ...deps.repository, async updateProfile(write: Parameters<FakeDeps['repository']['updateProfile']>[0]) {
      await deps.repository.updateProfile({ ...write, profile: { ...write.profile, last_name: 'Other' }, notice: undefined });
      return deps.repository.updateProfile(write);
    } } };
    await expect(patch({ ifMatch: tag, patch: { last_name: 'Jones' } }, racing as FakeDeps)).rejects.toBeInstanceOf(PreconditionFailedError);
    expect((await read()).last_name).toBe('Other');
  });

  it('* matches any current record; a weak tag never matches (If-Match compares strongly)', async () => {
    const { etag, patch } = await signedIn();
    const tag = await etag();
    expect(matchesEtag(`W/${tag}`, tag)).toBe(false);
    expect(matchesEtag(`"other", ${tag}`, tag)).toBe(true);
    await expect(patch({ ifMatch: '*', patch: { last_name: 'Jones' } })).resolves.toBeDefined();
  });

  it.each([
    ['a name the registration refuses', { first_name: 'J4ne' }, 'first_name'],
    ['a date of birth in the future', { date_of_birth: '2999-01-01' }, 'date_of_birth'],
    ['a postal code wrong for the country', { address: { zip: 'ABC' } }, 'address.zip'],
    ['a required field removed', { last_name: null }, 'last_name'],
    ['an unknown field inside the address', { address: { planet: 'Mars' } }, 'address.planet'],
    ['a contact without a phone', { emergency_contact: { phone: null } }, 'emergency_contact.phone'],
  ])('%s: 422 with the registration rules and messages, nothing written', async (_case, body, field) => {
    const { read, etag, patch } = await signedIn();
    const before = await read();
    const error = await patch({ ifMatch: await etag(), patch: body }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(Object.keys((error as ValidationError).errors)).toContain(field);
    expect(await read()).toEqual(before);
  });

  it('null removes the emergency contact and the insurance; a new history replaces the list; both stay encrypted', async () => {
    const { deps, read, etag, patch, patientId } = await signedIn();
    await patch({ ifMatch: await etag(), patch: { emergency_contact: null, insurance_info: null, medical_history: ['hay fever', 'asthma'] } });
    const after = await read();
    expect(after).not.toHaveProperty('emergency_contact');
    expect(after).not.toHaveProperty('insurance_info');
    expect(after.medical_history).toEqual(['hay fever', 'asthma']);
    expect(deps.cipher.encrypted.at(-1)).toEqual({ patientId, fields: { medical_history: ['hay fever', 'asthma'] } });
    const stored = deps.repository.readPatient(patientId)!;
    expect(JSON.stringify(stored)).not.toContain('hay fever');
  });

  it('removing the last encrypted field leaves no key and no ciphertext', async () => {
    const { deps, etag, patch, patientId } = await signedIn({ overrides: { medical_history: ['asthma'], insurance_info: undefined } } as never);
    await patch({ ifMatch: await etag(), patch: { medical_history: null } });
    expect(deps.repository.readPatient(patientId)!.encrypted).toBeUndefined();
  });

  it('a change of the address alone re-encrypts nothing', async () => {
    const { deps, etag, patch } = await signedIn();
    const encryptions = deps.cipher.encrypted.length;
    await patch({ ifMatch: await etag(), patch: { address: { street: '1 Elm Street' } } });
    expect(deps.cipher.encrypted).toHaveLength(encryptions);
  });

  it('the audit event names the changed fields, never their values', async () => {
    const { deps, etag, patch, patientId } = await signedIn();
    await patch({ ifMatch: await etag(), patch: { last_name: 'Jones', medical_history: ['migraine'], gender: 'female' } });
    const event = (await deps.audit.eventsFor(patientId)).at(-1)!;
    expect(event).toMatchObject({ action: 'record_update', outcome: 'success', patientId });
    expect([...event.fields!].sort()).toEqual(['last_name', 'medical_history'].concat(event.fields!.includes('gender') ? ['gender'] : []).sort());
    expect(JSON.stringify(event)).not.toMatch(/Jones|migraine/);
  });

  it.each([
    ['first_name', { first_name: 'Janet' }, true],
    ['last_name', { last_name: 'Jones' }, true],
    ['date_of_birth', { date_of_birth: '1991-01-02' }, true],
    ['the address', { address: { street: '1 Elm Street' } }, false],
    ['the medical history', { medical_history: ['migraine'] }, false],
  ])('a change of %s mails a notice: %s (no values in it)', async (_case, body, mailed) => {
    const { deps, etag, patch } = await signedIn();
    await patch({ ifMatch: await etag(), patch: body });
    await deliverDueMails(deps);
    expect(deps.mailer.notices).toEqual(mailed ? [{ to: expect.any(String), notice: 'profile_changed' }] : []);
  });

  it('a patch that changes nothing writes nothing, mails nothing and keeps the ETag', async () => {
    const { deps, read, etag, patch } = await signedIn();
    const before = await read();
    const tag = await etag();
    const result = await patch({ ifMatch: tag, patch: { last_name: before.last_name, gender: before.gender } });
    expect(result.etag).toBe(tag);
    expect(await read()).toEqual(before);
    await deliverDueMails(deps);
    expect(deps.mailer.notices).toEqual([]);
  });

  it('two writes within one millisecond still move the version', async () => {
    const { etag, patch } = await signedIn();
    const first = await patch({ ifMatch: await etag(), patch: { address: { street: '1 Elm Street' } } });
    const second = await patch({ ifMatch: first.etag, patch: { address: { street: '2 Elm Street' } } });
    expect(Date.parse(second.view.updated_at)).toBeGreaterThan(Date.parse(first.view.updated_at));
  });

  it('a deactivated patient is refused and the refusal audited', async () => {
    const { deps, etag, patch, patientId } = await signedIn();
    const tag = await etag();
    deps.repository.setActive(patientId, false);
    await expect(patch({ ifMatch: tag, patch: { last_name: 'Jones' } })).rejects.toBeInstanceOf(SignInRefusedError);
    expect((await deps.audit.eventsFor(patientId)).at(-1)).toMatchObject({ action: 'record_update', outcome: 'failure', reason: 'inactive' });
  });
});

describe('applyMergePatch (RFC 7396 appendix A)', () => {
  it.each([
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ])('%j patched by %j is %j', (target, patch, expected) => {
    expect(applyMergePatch(target, patch)).toEqual(expected);
  });

  it('keeps a __proto__ member an ordinary member and changes neither argument', () => {
    const target = { a: { b: 1 } };
    const patch = JSON.parse('{"a": {"__proto__": {"polluted": true}}}');
    const result = applyMergePatch(target, patch) as { a: Record<string, unknown> };
    expect(Object.keys(result.a)).toEqual(['b', '__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(target).toEqual({ a: { b: 1 } });
  });
});
