/**
 * Web build: browsers have no keychain and expo-secure-store has no web implementation, so the
 * session lives in sessionStorage (this tab only, gone when it closes). Never localStorage.
 */
import type { TokenStore, Tokens } from '@/api/client';

const KEY = 'skinscreen.session.v1';

function storage(): Storage | null {
  try {
    return typeof window !== 'undefined' ? window.sessionStorage : null;
  } catch {
    return null;
  }
}

export const secureTokenStore: TokenStore = {
  async load() {
    try {
      const raw = storage()?.getItem(KEY);
      if (!raw) return null;
      const value = JSON.parse(raw) as Partial<Tokens>;
      return typeof value.access === 'string' && typeof value.refresh === 'string'
        ? { access: value.access, refresh: value.refresh }
        : null;
    } catch {
      return null;
    }
  },
  async save(tokens) {
    try {
      storage()?.setItem(KEY, JSON.stringify(tokens));
    } catch {
      // Private mode or quota: the session still works in memory.
    }
  },
  async clear() {
    try {
      storage()?.removeItem(KEY);
    } catch {
      // Nothing stored.
    }
  },
};
