import { createHash, randomBytes } from 'node:crypto';

/** SHA-256 of a report token, as stored and looked up; the token itself is never stored. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A fresh random report token (256 bits) and its hash. */
export function mintToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashToken(token) };
}

/** True for text of the form `mintToken` gives (base64url of 32 bytes). */
export function isMintedTokenForm(token: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(token);
}
