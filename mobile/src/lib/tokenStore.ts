/** Session tokens in the device keychain/keystore via expo-secure-store (never AsyncStorage). */
import * as SecureStore from 'expo-secure-store';

import type { TokenStore, Tokens } from '@/api/client';

const KEY = 'skinscreen.session.v1';

function parse(raw: string | null): Tokens | null {
  if (!raw) return null;
  try {
    const value: unknown = JSON.parse(raw);
    if (value && typeof value === 'object' && typeof (value as Tokens).access === 'string' && typeof (value as Tokens).refresh === 'string') {
      return { access: (value as Tokens).access, refresh: (value as Tokens).refresh };
    }
  } catch {
    // A corrupt entry is treated as signed out.
  }
  return null;
}

export const secureTokenStore: TokenStore = {
  async load() {
    try {
      return parse(await SecureStore.getItemAsync(KEY));
    } catch {
      return null;
    }
  },
  async save(tokens) {
    try {
      await SecureStore.setItemAsync(KEY, JSON.stringify(tokens), {
        keychainAccessible: SecureStore.AFTER_FIRST_UNLOCK_THIS_DEVICE_ONLY,
      });
    } catch {
      // The session still works in memory; it just will not survive a restart.
    }
  },
  async clear() {
    try {
      await SecureStore.deleteItemAsync(KEY);
    } catch {
      // Nothing stored.
    }
  },
};

export const __test__ = { parse, KEY };
