/**
 * Who is signed in, read from the session's own tokens, so it is known offline and right after a
 * restart (before GET /auth/me answers): the `user_id` claim of the server's JWTs. The signature is
 * not checked here (the server checks it on every request); this only tells apart the users of one
 * device, e.g. whose offline screenings may be synced.
 */
import type { Tokens } from './client';
import { api } from './index';

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function decodeBase64Url(text: string): string | null {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const ch of text.replace(/=+$/, '')) {
    const index = BASE64URL.indexOf(ch === '+' ? '-' : ch === '/' ? '_' : ch);
    if (index < 0) return null;
    value = (value << 6) | index;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += String.fromCharCode((value >> bits) & 0xff);
    }
  }
  // One character per byte: enough for JSON.parse and the ASCII `user_id` claim.
  return out;
}

/** The `user_id` claim of a JWT, as a string; null when the token is not a JWT or has none. */
export function userIdOfToken(token: string): string | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  const json = decodeBase64Url(payload);
  if (json === null) return null;
  try {
    const claims: unknown = JSON.parse(json);
    if (!claims || typeof claims !== 'object') return null;
    const id = (claims as { user_id?: unknown }).user_id;
    return typeof id === 'number' || (typeof id === 'string' && id !== '') ? String(id) : null;
  } catch {
    return null;
  }
}

/** The signed-in user's id from the tokens (refresh token first: it outlives the access token). */
export function userIdOfTokens(tokens: Tokens | null | undefined): string | null {
  if (!tokens) return null;
  return userIdOfToken(tokens.refresh) ?? userIdOfToken(tokens.access);
}

/** The signed-in user's id, or null when signed out (or the tokens carry no user id). */
export async function currentUserId(): Promise<string | null> {
  return userIdOfTokens(await api.currentTokens());
}
