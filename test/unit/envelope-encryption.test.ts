import { randomBytes, randomUUID } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createEnvelopeFieldCipher } from '../../lib/adapters/crypto/envelope-field-cipher.js';
import { createKmsDataKeySource } from '../../lib/adapters/kms/kms-data-key-source.js';
import { createLocalDataKeySource, loadLocalMasterKey } from '../../lib/adapters/local/local-data-key-source.js';
import { ServiceUnavailableError } from '../../lib/errors.js';
import type { EncryptedFields } from '../../lib/patient/ports.js';

const PHI = { medical_history: ['Type 1 diabetes', 'Penicillin allergy'], insurance_info: { provider: 'Blue Cross', policy_number: 'BC123456789' } };

function tamper(base64: string): string {
  const bytes = Buffer.from(base64, 'base64');
  bytes[bytes.length - 1]! ^= 0x01;
  return bytes.toString('base64');
}

describe('envelope encryption with the local master key', () => {
  const cipher = createEnvelopeFieldCipher(createLocalDataKeySource(randomBytes(32)));
  const patientId = randomUUID();

  it('round-trips fields and leaves no plaintext in what is stored', async () => {
    const encrypted = await cipher.encryptFields(patientId, PHI);
    const stored = JSON.stringify(encrypted);
    for (const secret of ['diabetes', 'Penicillin', 'Blue Cross', 'BC123456789']) expect(stored).not.toContain(secret);
    expect(await cipher.decryptFields(patientId, encrypted)).toEqual(PHI);
  });

  it('uses a fresh IV for every ciphertext', async () => {
    const a = await cipher.encryptFields(patientId, PHI);
    const b = await cipher.encryptFields(patientId, PHI);
    expect(a.ciphertexts.medical_history).not.toBe(b.ciphertexts.medical_history);
    expect(a.wrappedKey).not.toBe(b.wrappedKey);
  });

  it('fails on a tampered ciphertext', async () => {
    const encrypted = await cipher.encryptFields(patientId, PHI);
    const tampered: EncryptedFields = { ...encrypted, ciphertexts: { ...encrypted.ciphertexts, insurance_info: tamper(encrypted.ciphertexts.insurance_info!) } };
    await expect(cipher.decryptFields(patientId, tampered)).rejects.toThrow();
  });

  it('fails on a tampered wrapped key', async () => {
    const encrypted = await cipher.encryptFields(patientId, PHI);
    await expect(cipher.decryptFields(patientId, { ...encrypted, wrappedKey: tamper(encrypted.wrappedKey) })).rejects.toThrow();
  });

  it('fails for another patient id (the id is bound into key and ciphertext)', async () => {
    const encrypted = await cipher.encryptFields(patientId, PHI);
    await expect(cipher.decryptFields(randomUUID(), encrypted)).rejects.toThrow();
  });

  it('fails when one field ciphertext is moved under another field name', async () => {
    const encrypted = await cipher.encryptFields(patientId, PHI);
    const swapped = { ...encrypted, ciphertexts: { medical_history: encrypted.ciphertexts.insurance_info!, insurance_info: encrypted.ciphertexts.medical_history! } };
    await expect(cipher.decryptFields(patientId, swapped)).rejects.toThrow();
  });

  it('fails under another master key', async () => {
    const encrypted = await cipher.encryptFields(patientId, PHI);
    const other = createEnvelopeFieldCipher(createLocalDataKeySource(randomBytes(32)));
    await expect(other.decryptFields(patientId, encrypted)).rejects.toThrow();
  });
});

describe('local master key loading', () => {
  it('takes LOCAL_MASTER_KEY when given and refuses a wrong length', () => {
    const key = randomBytes(32);
    expect(loadLocalMasterKey(key.toString('base64'), '/nonexistent/x')).toEqual(key);
    expect(() => loadLocalMasterKey(randomBytes(16).toString('base64'), '/nonexistent/x')).toThrow();
  });

  it('generates a key once into the file and reuses it', async () => {
    const { mkdtempSync, statSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const file = `${mkdtempSync(`${tmpdir()}/mk-`)}/sub/master.key`;
    const first = loadLocalMasterKey(undefined, file);
    expect(first).toHaveLength(32);
    expect(loadLocalMasterKey(undefined, file)).toEqual(first);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});

describe('envelope encryption with AWS KMS (SDK client, KMS answers simulated)', () => {
  const kms = mockClient(KMSClient);
  const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  /** What a real KMS remembers: each wrapped key's plaintext and the context it is bound to. */
  const vault = new Map<string, { plaintext: Buffer; context: string }>();

  beforeEach(() => {
    kms.reset();
    vault.clear();
    kms.on(GenerateDataKeyCommand).callsFake((input) => {
      const plaintext = randomBytes(32);
      const wrapped = randomBytes(48);
      vault.set(wrapped.toString('hex'), { plaintext, context: JSON.stringify(input.EncryptionContext) });
      return { KeyId: KEY_ARN, Plaintext: new Uint8Array(plaintext), CiphertextBlob: new Uint8Array(wrapped) };
    });
    kms.on(DecryptCommand).callsFake((input) => {
      const entry = vault.get(Buffer.from(input.CiphertextBlob).toString('hex'));
      if (!entry || entry.context !== JSON.stringify(input.EncryptionContext)) {
        throw Object.assign(new Error('InvalidCiphertextException'), { name: 'InvalidCiphertextException', $fault: 'client' });
      }
      return { KeyId: KEY_ARN, Plaintext: new Uint8Array(entry.plaintext) };
    });
  });

  const cipher = createEnvelopeFieldCipher(createKmsDataKeySource(new KMSClient({ region: 'us-east-1' }), KEY_ARN));

  it('calls GenerateDataKey once per patient, AES-256, with a context naming only the patient id', async () => {
    const patientId = randomUUID();
    const encrypted = await cipher.encryptFields(patientId, PHI);
    const calls = kms.commandCalls(GenerateDataKeyCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({ KeyId: KEY_ARN, KeySpec: 'AES_256', EncryptionContext: { purpose: 'patient-phi', patient_id: patientId } });
    expect(kms.commandCalls(DecryptCommand)).toHaveLength(0); // registration never needs kms:Decrypt
    expect(encrypted.keyId).toBe(KEY_ARN);
    expect(await cipher.decryptFields(patientId, encrypted)).toEqual(PHI);
  });

  it('cannot decrypt under another patient id: KMS refuses the context', async () => {
    const encrypted = await cipher.encryptFields(randomUUID(), PHI);
    await expect(cipher.decryptFields(randomUUID(), encrypted)).rejects.toThrow('InvalidCiphertextException');
  });

  it.each([
    ['throttled', { name: 'ThrottlingException', $fault: 'client' }],
    ['failing inside KMS', { name: 'KMSInternalException', $fault: 'server' }],
    ['unreachable', { name: 'Error', code: 'ECONNREFUSED' }],
  ])('turns KMS %s into a retryable 503', async (_name, fault) => {
    kms.on(GenerateDataKeyCommand).rejects(Object.assign(new Error('boom'), fault));
    await expect(cipher.encryptFields(randomUUID(), PHI)).rejects.toBeInstanceOf(ServiceUnavailableError);
  });

  it('does not hide a misconfiguration (access denied) as a 503', async () => {
    kms.on(GenerateDataKeyCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException', $fault: 'client', $metadata: { httpStatusCode: 400 } }));
    await expect(cipher.encryptFields(randomUUID(), PHI)).rejects.not.toBeInstanceOf(ServiceUnavailableError);
  });
});
