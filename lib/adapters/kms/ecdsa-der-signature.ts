/** P-256: r and s are each at most 32 bytes. */
const COMPONENT_BYTES = 32;

/**
 * KMS returns an ECDSA signature as DER (`SEQUENCE { INTEGER r, INTEGER s }`, X9.62); a JWS carries
 * r‖s, each left-padded to 32 bytes (RFC 7518 §3.4). A DER INTEGER is signed, so a value with its top
 * bit set gains a leading 0x00 (33 bytes) and a small value is shorter than 32 bytes.
 */
export function derToJoseEs256Signature(der: Uint8Array): Uint8Array {
  const malformed = () => new Error('KMS returned a malformed ECDSA signature');
  // A P-256 signature is at most 72 bytes, so every DER length here is in the one-byte short form.
  if (der.length < 8 || der[0] !== 0x30 || der[1] !== der.length - 2) throw malformed();
  const out = new Uint8Array(2 * COMPONENT_BYTES);
  let offset = 2;
  for (const slot of [0, 1]) {
    const length = der[offset + 1];
    if (der[offset] !== 0x02 || length === undefined || length < 1) throw malformed();
    // A length running past the end is caught below: subarray stops at the end, the offsets then disagree.
    let value = der.subarray(offset + 2, offset + 2 + length);
    while (value.length > 1 && value[0] === 0x00) value = value.subarray(1);
    if (value.length > COMPONENT_BYTES) throw malformed();
    out.set(value, slot * COMPONENT_BYTES + COMPONENT_BYTES - value.length);
    offset += 2 + length;
  }
  if (offset !== der.length) throw malformed();
  return out;
}
