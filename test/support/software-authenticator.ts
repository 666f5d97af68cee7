/**
 * A passkey authenticator in Node (node:crypto P-256), for the unit tests and the bench: it answers
 * creation and request options the way a browser with a platform authenticator does (attestation
 * "none", user verified), and can be told to misbehave (another origin, a counter gone back).
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

/** Just enough CBOR (RFC 8949) for an attestation object and a COSE key: maps, byte and text strings, small ints. */
function cbor(value: unknown): Buffer {
  const head = (major: number, n: number): Buffer => {
    if (n < 24) return Buffer.from([(major << 5) | n]);
    if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
    if (n < 0x10000) return Buffer.from([(major << 5) | 25, n >> 8, n & 0xff]);
    const b = Buffer.alloc(5);
    b[0] = (major << 5) | 26;
    b.writeUInt32BE(n, 1);
    return b;
  };
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') return Buffer.concat([head(3, Buffer.byteLength(value)), Buffer.from(value)]);
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), value]);
  if (value instanceof Map) return Buffer.concat([head(5, value.size), ...[...value].flatMap(([k, v]) => [cbor(k), cbor(v)])]);
  throw new Error(`cbor: unsupported ${typeof value}`);
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest();
const b64url = (data: Buffer) => data.toString('base64url');

interface CreationOptions { challenge: string; rp: { id?: string }; user: { id: string } }
interface RequestOptions { challenge: string; rpId?: string }

export interface SoftwarePasskey {
  credentialId: string;
  userHandle: string;
  privateKey: KeyObject;
  rpId: string;
  counter: number;
}

export interface Misbehaviour {
  origin?: string;
  rpId?: string;
  /** Answer with this counter instead of the next one. */
  counter?: number;
  /** Clear the user-verified flag. */
  unverified?: boolean;
  /** Sign another challenge than the options' (a stale or made-up one). */
  challenge?: string;
}

/** An authenticator that keeps a counter (starting at 1 for the first assertion) unless `counting` is false. */
export function createSoftwareAuthenticator(origin: string, { counting = true } = {}) {
  const aaguid = Buffer.alloc(16);
  const flags = (extra: number, unverified?: boolean) => 0x01 | (unverified ? 0 : 0x04) | extra;
  const counterBytes = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };

  return {
    /** navigator.credentials.create(): a new discoverable P-256 credential, attestation "none". */
    create(options: CreationOptions, bad: Misbehaviour = {}) {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const jwk = publicKey.export({ format: 'jwk' });
      const coseKey = new Map<number, unknown>([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x!, 'base64url')], [-3, Buffer.from(jwk.y!, 'base64url')]]);
      const credentialId = randomBytes(16);
      const rpId = bad.rpId ?? options.rp.id!;
      const idLength = Buffer.alloc(2);
      idLength.writeUInt16BE(credentialId.length);
      const authData = Buffer.concat([sha256(rpId), Buffer.from([flags(0x40, bad.unverified)]), counterBytes(0), aaguid, idLength, credentialId, cbor(coseKey)]);
      const clientData = JSON.stringify({ type: 'webauthn.create', challenge: bad.challenge ?? options.challenge, origin: bad.origin ?? origin, crossOrigin: false });
      const passkey: SoftwarePasskey = { credentialId: b64url(credentialId), userHandle: options.user.id, privateKey, rpId, counter: 0 };
      const response = {
        id: passkey.credentialId,
        rawId: passkey.credentialId,
        type: 'public-key' as const,
        response: {
          clientDataJSON: b64url(Buffer.from(clientData)),
          attestationObject: b64url(cbor(new Map<string, unknown>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]))),
          transports: ['internal'],
        },
        clientExtensionResults: {},
        authenticatorAttachment: 'platform',
      };
      return { passkey, response };
    },

    /** navigator.credentials.get(): an assertion by `passkey` over the options' challenge. */
    get(passkey: SoftwarePasskey, options: RequestOptions, bad: Misbehaviour = {}) {
      if (counting) passkey.counter++;
      const counter = bad.counter ?? (counting ? passkey.counter : 0);
      const authData = Buffer.concat([sha256(bad.rpId ?? passkey.rpId), Buffer.from([flags(0, bad.unverified)]), counterBytes(counter)]);
      const clientData = Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge: bad.challenge ?? options.challenge, origin: bad.origin ?? origin, crossOrigin: false }));
      const signature = sign('sha256', Buffer.concat([authData, sha256(clientData)]), passkey.privateKey);
      return {
        id: passkey.credentialId,
        rawId: passkey.credentialId,
        type: 'public-key' as const,
        response: {
          clientDataJSON: b64url(clientData),
          authenticatorData: b64url(authData),
          signature: b64url(signature),
          userHandle: passkey.userHandle,
        },
        clientExtensionResults: {},
        authenticatorAttachment: 'platform',
      };
    },
  };
}
