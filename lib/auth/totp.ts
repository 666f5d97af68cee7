import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';

/** RFC 6238's defaults, which every authenticator app reads from the URI: SHA-1, 6 digits, 30 s. */
export const TOTP_PERIOD_SECONDS = 30;
const DIGITS = 6;
/** One step either way (RFC 6238 §5.2's recommended drift): a phone clock 30 s off still signs in. */
export const TOTP_DRIFT_STEPS = 1;
/** 160 bits, RFC 4226 §4's recommended length for an HMAC-SHA-1 secret. */
const SECRET_BYTES = 20;
const CODE = /^\d{6}$/;

export const newTotpSecret = (): string => new Secret({ size: SECRET_BYTES }).base32;

const totpOf = (secret: string, label = 'patient', issuer = '') =>
  new TOTP({ issuer, label, algorithm: 'SHA1', digits: DIGITS, period: TOTP_PERIOD_SECONDS, secret: Secret.fromBase32(secret) });

/** The time step (RFC 6238 T) that `now` falls in. */
export const totpStepAt = (now: Date): number => Math.floor(now.getTime() / 1000 / TOTP_PERIOD_SECONDS);

/** The `otpauth://totp/…` URI an app scans: the service as issuer, the account's email as label. */
export const totpUri = (secret: string, issuer: string, label: string): string => totpOf(secret, label, issuer).toString();

/**
 * The step whose code `code` is, within one step of drift around `now`; undefined for a wrong or
 * malformed code. The caller still has the store mark the step used (a code works once).
 */
export function matchingStep(secret: string, code: string, now: Date): number | undefined {
  if (!CODE.test(code)) return undefined;
  const delta = totpOf(secret).validate({ token: code, timestamp: now.getTime(), window: TOTP_DRIFT_STEPS });
  return delta === null ? undefined : totpStepAt(now) + delta;
}

/** The code of `step` (tests and the bench act as the patient's app with it). */
export const totpCodeAt = (secret: string, step: number): string => totpOf(secret).generate({ timestamp: step * TOTP_PERIOD_SECONDS * 1000 });

/** The URI as an SVG QR code, drawn on the server: the page needs no script and the secret no third party. */
export const qrCodeSvg = (uri: string): Promise<string> => QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
