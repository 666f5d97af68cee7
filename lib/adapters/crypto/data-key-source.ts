/**
 * Where data keys come from: KMS in AWS, a local master key on a developer machine. Both bind the
 * encryption context to the wrapped key, so a key unwrapped for another patient fails.
 */
export type EncryptionContext = Record<string, string>;

export interface DataKey {
  plaintext: Buffer;
  wrapped: Buffer;
  keyId: string;
}

export interface DataKeySource {
  generateDataKey(context: EncryptionContext): Promise<DataKey>;
  decryptDataKey(wrapped: Buffer, keyId: string, context: EncryptionContext): Promise<Buffer>;
}
