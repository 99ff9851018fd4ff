import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The platform's Ed25519 signing key for audit checkpoints, kept in the data directory (mode 0600). */
export interface SigningKey {
  keyId: string;
  publicKeyPem: string;
  sign(message: Buffer): string;
  verify(message: Buffer, signature: string, publicKeyPem?: string): boolean;
}

/** Loads the key from dataDir/keys/audit-ed25519.pem, creating it on first use. */
export function loadSigningKey(dataDir: string): SigningKey {
  const file = join(dataDir, 'keys', 'audit-ed25519.pem');
  let privateKey: KeyObject;
  if (existsSync(file)) {
    privateKey = createPrivateKey(readFileSync(file, 'utf8'));
  } else {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    privateKey = generateKeyPairSync('ed25519').privateKey;
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  const publicKey = createPublicKey(privateKey);
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const keyId = createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
  return {
    keyId,
    publicKeyPem,
    sign: (message) => sign(null, message, privateKey).toString('base64'),
    verify: (message, signature, pem) => verify(null, message, pem ? createPublicKey(pem) : publicKey, Buffer.from(signature, 'base64')),
  };
}
