/**
 * Web build: browsers have no keychain and expo-secure-store has no web implementation.
 * - The access token (15 minutes) stays in sessionStorage: this tab only.
 * - The refresh token is shared by the tabs of this origin in localStorage, so a new tab (or a reopened
 *   browser) is signed in with one refresh instead of asking for the password again.
 * Trade-off (docs/mobile.md): a script injected into this origin could read the refresh token for its
 * lifetime (JWT_REFRESH_DAYS), where sessionStorage limited that to the tab. The strict CSP (scripts from
 * this origin only) is what keeps scripts out; each refresh rotates the token and blacklists the old one;
 * signing out blacklists it on the server and removes it here. `latestRefresh` lets a tab pick up the
 * token another tab rotated instead of spending an old one (which the server refuses).
 */
import type { TokenStore, Tokens } from '@/api/client';

const KEY = 'skinscreen.session.v1';
export const SHARED_REFRESH_KEY = 'skinscreen.refresh.v1';

function tabStorage(): Storage | null {
  try {
    return typeof window !== 'undefined' ? window.sessionStorage : null;
  } catch {
    return null;
  }
}

function sharedStorage(): Storage | null {
  try {
    return typeof window !== 'undefined' ? window.localStorage : null;
  } catch {
    return null;
  }
}

function readShared(): string | null {
  try {
    const value = sharedStorage()?.getItem(SHARED_REFRESH_KEY);
    return value || null;
  } catch {
    return null;
  }
}

function readTab(): Tokens | null {
  try {
    const raw = tabStorage()?.getItem(KEY);
    if (!raw) return null;
    const value = JSON.parse(raw) as Partial<Tokens>;
    return typeof value.access === 'string' && typeof value.refresh === 'string' ? { access: value.access, refresh: value.refresh } : null;
  } catch {
    return null;
  }
}

export const secureTokenStore: TokenStore = {
  async load() {
    const tab = readTab();
    const shared = readShared();
    // Another tab may have rotated the refresh token since this tab saved its own.
    if (tab) return shared && shared !== tab.refresh ? { access: tab.access, refresh: shared } : tab;
    // A new tab: no access token yet; the first call's 401 refreshes with the shared token.
    return shared ? { access: '', refresh: shared } : null;
  },
  async save(tokens) {
    try {
      tabStorage()?.setItem(KEY, JSON.stringify(tokens));
    } catch {
      // Private mode or quota: the session still works in memory.
    }
    try {
      sharedStorage()?.setItem(SHARED_REFRESH_KEY, tokens.refresh);
    } catch {
      // Other tabs will ask for a sign-in.
    }
  },
  async clear() {
    try {
      tabStorage()?.removeItem(KEY);
      sharedStorage()?.removeItem(SHARED_REFRESH_KEY);
    } catch {
      // Nothing stored.
    }
  },
  async latestRefresh() {
    return readShared();
  },
};
