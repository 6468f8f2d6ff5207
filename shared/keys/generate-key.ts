import { exportJWK, generateKeyPair } from 'jose';
import {
  ENCRYPTION_CURVE,
  keyPairOf,
  privateJwkSchema,
  SIGNING_CURVE,
  type KeyPair,
} from './jwk.ts';

/** A new Ed25519 key pair: release signing, operator API and agent identity keys. */
export async function generateSigningKey(): Promise<KeyPair> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: SIGNING_CURVE, extractable: true });
  return keyPairOf(privateJwkSchema.parse(await exportJWK(privateKey)), 'the new signing key');
}

/** A new X25519 key pair: a host's key that secrets are sealed to. */
export async function generateEncryptionKey(): Promise<KeyPair> {
  const { privateKey } = await generateKeyPair('ECDH-ES', {
    crv: ENCRYPTION_CURVE,
    extractable: true,
  });
  return keyPairOf(privateJwkSchema.parse(await exportJWK(privateKey)), 'the new encryption key');
}
