/**
 * Integrity checks for model updates: the server's Ed25519 signature over the manifest (@noble/ed25519)
 * against the public key(s) pinned in the app at build time, and sha256 of downloaded files
 * (WebCrypto where it exists - browsers, Node - else expo-crypto's native digest on phones).
 */
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { CryptoDigestAlgorithm, digest } from 'expo-crypto';

// Synchronous SHA-512 for @noble/ed25519 (React Native has no crypto.subtle).
ed.hashes.sha512 = sha512 as unknown as typeof ed.hashes.sha512;

export function base64ToBytes(text: string): Uint8Array {
  const clean = text.trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0) throw new Error('not base64');
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const ch of clean.replace(/=+$/, '')) {
    buffer = (buffer << 6) | alphabet.indexOf(ch);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((buffer >> bits) & 0xff);
    }
  }
  return Uint8Array.from(out);
}

export function hex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/**
 * The public keys this build trusts: `EXPO_PUBLIC_MODEL_PUBLIC_KEY`, base64 of the raw 32-byte key
 * (several separated by commas during a key rotation). Inlined at build time by Expo.
 */
export function pinnedPublicKeys(raw: string | undefined = process.env.EXPO_PUBLIC_MODEL_PUBLIC_KEY): Uint8Array[] {
  if (!raw) return [];
  const keys: Uint8Array[] = [];
  for (const part of raw.split(',')) {
    try {
      const key = base64ToBytes(part);
      if (key.length === 32) keys.push(key);
    } catch {
      // A malformed entry is ignored; with no valid key at all, updates are refused.
    }
  }
  return keys;
}

/** True when `signatureB64` is a valid Ed25519 signature of the UTF-8 bytes of `payload` by one of `keys`. */
export function verifySignature(payload: string, signatureB64: string, keys: readonly Uint8Array[]): boolean {
  let signature: Uint8Array;
  try {
    signature = base64ToBytes(signatureB64);
  } catch {
    return false;
  }
  if (signature.length !== 64) return false;
  const message = new TextEncoder().encode(payload);
  return keys.some((key) => {
    try {
      return ed.verify(signature, message, key);
    } catch {
      return false;
    }
  });
}

/** Lowercase hex sha256 of `bytes`. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const subtle = (globalThis as { crypto?: { subtle?: SubtleCrypto } }).crypto?.subtle;
  const view = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
  if (subtle) return hex(new Uint8Array(await subtle.digest('SHA-256', view as Uint8Array<ArrayBuffer>)));
  return hex(new Uint8Array(await digest(CryptoDigestAlgorithm.SHA256, view as Uint8Array<ArrayBuffer>)));
}
