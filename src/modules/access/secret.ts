import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The platform's own secret (32 random bytes in dataDir/keys/platform-secret, mode 0600). Keys derived from it
 * seal query cursors (so a cursor can neither be read nor forged to probe masked keys) and key the join hashes.
 */
export class PlatformSecret {
  private readonly cursorKey: Buffer;
  private readonly joinRoot: Buffer;

  private constructor(secret: Buffer) {
    this.cursorKey = createHmac('sha256', secret).update('xmcity cursor v1').digest();
    this.joinRoot = createHmac('sha256', secret).update('xmcity join v1').digest();
  }

  /** Loads the secret, creating it on first use. */
  static load(dataDir: string): PlatformSecret {
    const file = join(dataDir, 'keys', 'platform-secret');
    if (!existsSync(file)) {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
      chmodSync(file, 0o600);
    }
    return new PlatformSecret(Buffer.from(readFileSync(file, 'utf8').trim(), 'hex'));
  }

  /** The join-hash key (hex) of a consumer organisation: the same for all its grants, different from every other's. */
  joinKey(consumerOrg: string): string {
    return createHmac('sha256', this.joinRoot).update(consumerOrg).digest('hex');
  }

  /** Encrypts and authenticates a value (AES-256-GCM) into a URL-safe string. */
  seal(value: unknown): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.cursorKey, iv);
    const body = Buffer.concat([c.update(JSON.stringify(value), 'utf8'), c.final()]);
    return Buffer.concat([iv, c.getAuthTag(), body]).toString('base64url');
  }

  /** Opens a sealed value; null when it was not made here or was altered. */
  open(sealed: string): unknown {
    try {
      const raw = Buffer.from(sealed, 'base64url');
      if (raw.length < 29) return null;
      const d = createDecipheriv('aes-256-gcm', this.cursorKey, raw.subarray(0, 12));
      d.setAuthTag(raw.subarray(12, 28));
      return JSON.parse(Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8'));
    } catch {
      return null;
    }
  }
}
