import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** scrypt cost (memory-hard: 128 · N · r bytes = 32 MiB per hash at the default). */
export interface KdfCost {
  N: number;
  r: number;
  p: number;
}

/** The cost new passwords are hashed with. */
export const DEFAULT_COST: KdfCost = { N: 2 ** 15, r: 8, p: 1 };

function derive(password: string, salt: Buffer, cost: KdfCost): Promise<Buffer> {
  const opts: ScryptOptions = { ...cost, maxmem: 256 * cost.N * cost.r + 1024 * 1024 };
  return new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, 32, opts, (err, key) => (err ? reject(err) : resolve(key))));
}

/** Hashes a password with scrypt and a random salt; the result names its parameters: scrypt$N$r$p$salt$hash. */
export async function hashPassword(password: string, cost: KdfCost = DEFAULT_COST): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, cost);
  return ['scrypt', cost.N, cost.r, cost.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Checks a password against a stored hash in constant time; a malformed hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, hash] = stored.split('$');
  if (alg !== 'scrypt' || !salt || !hash) return false;
  const cost = { N: Number(n), r: Number(r), p: Number(p) };
  if (![cost.N, cost.r, cost.p].every(Number.isSafeInteger)) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await derive(password, Buffer.from(salt, 'base64url'), cost);
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** What a new password must satisfy: at least 10 characters, not only digits or only letters. */
export function passwordProblem(password: string): string | null {
  if (password.length < 10) return 'a password has at least 10 characters';
  if (password.length > 200) return 'a password has at most 200 characters';
  if (/^\d+$/.test(password) || /^\p{L}+$/u.test(password)) return 'a password mixes letters with digits or symbols';
  return null;
}
