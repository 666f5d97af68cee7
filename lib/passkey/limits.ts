/**
 * The most passkeys one account holds: one per device or synced keychain leaves room to spare
 * (Supabase caps an account's factors at 10 by default). Without a cap, a session could add
 * thousands: every sign-in lists them all, and every addition mails the patient. Its own module so
 * that the OpenAPI document can name it without loading WebAuthn.
 */
export const MAX_PASSKEYS = 10;
