/** The web session: a new tab of the same origin is signed in, and tabs never spend a refresh token another tab rotated. */
import { ApiClient } from '@/api/client';
import { SHARED_REFRESH_KEY, secureTokenStore } from './tokenStore.web';

class MemoryStorage {
  private data = new Map<string, string>();
  getItem(key: string) {
    return this.data.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.data.set(key, String(value));
  }
  removeItem(key: string) {
    this.data.delete(key);
  }
}

const shared = new MemoryStorage(); // localStorage: one per origin
let tab = new MemoryStorage(); // sessionStorage: one per tab

beforeAll(() => {
  Object.defineProperty(window, 'localStorage', { configurable: true, get: () => shared });
  Object.defineProperty(window, 'sessionStorage', { configurable: true, get: () => tab });
});

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

/** Like the server: refresh tokens rotate and a spent one is refused (BLACKLIST_AFTER_ROTATION). */
function server() {
  let n = 1;
  const liveRefresh = new Set(['refresh-1']);
  const liveAccess = new Set(['access-1']);
  const refreshesSent: string[] = [];
  const fetchImpl = jest.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    if (url.endsWith('/api/v1/auth/refresh')) {
      const { refresh } = JSON.parse(String(init?.body)) as { refresh: string };
      refreshesSent.push(refresh);
      if (!liveRefresh.delete(refresh)) return json(401, { detail: 'Token is blacklisted', code: 'token_not_valid' });
      n += 1;
      liveRefresh.add(`refresh-${n}`);
      liveAccess.add(`access-${n}`);
      return json(200, { access: `access-${n}`, refresh: `refresh-${n}` });
    }
    const auth = ((init?.headers ?? {}) as Record<string, string>).Authorization ?? '';
    return liveAccess.has(auth.replace('Bearer ', '')) ? json(200, { ok: true }) : json(401, { detail: 'expired', code: 'token_not_valid' });
  });
  return { fetchImpl, refreshesSent, expireAccess: () => liveAccess.clear() };
}

function client(fetchImpl: typeof fetch, onSessionExpired = jest.fn()) {
  return new ApiClient({ baseUrl: 'http://app', tokens: secureTokenStore, fetch: fetchImpl, onSessionExpired });
}

describe('web token store', () => {
  beforeEach(() => {
    shared.removeItem(SHARED_REFRESH_KEY);
    tab = new MemoryStorage();
  });

  it('signs a new tab in with the shared refresh token (no password asked)', async () => {
    // Given a tab that signed in
    const s = server();
    await client(s.fetchImpl).setTokens({ access: 'access-1', refresh: 'refresh-1' });

    // When the user opens a new tab of the same origin
    tab = new MemoryStorage();
    const expired = jest.fn();
    const second = client(s.fetchImpl, expired);
    const result = await second.get('/api/v1/auth/me');

    // Then it is signed in after one refresh, and the access token never left its own tab
    expect(result.kind).toBe('ok');
    expect(s.refreshesSent).toEqual(['refresh-1']);
    expect(expired).not.toHaveBeenCalled();
    expect(shared.getItem(SHARED_REFRESH_KEY)).toBe('refresh-2');
    expect(JSON.stringify(shared)).not.toContain('access');
  });

  it('a tab whose refresh token another tab rotated uses the new one instead of being signed out', async () => {
    // Given tab A signed in, and tab B opened later (which rotated the shared refresh token)
    const s = server();
    const tabA = tab;
    const expired = jest.fn();
    const a = client(s.fetchImpl, expired);
    await a.setTokens({ access: 'access-1', refresh: 'refresh-1' });
    tab = new MemoryStorage();
    const b = client(s.fetchImpl);
    expect((await b.get('/api/v1/auth/me')).kind).toBe('ok');

    // When A's access token expires and A refreshes
    tab = tabA;
    s.expireAccess();
    const result = await a.get('/api/v1/auth/me');

    // Then A used the rotated token (never the spent one) and stays signed in
    expect(result.kind).toBe('ok');
    expect(s.refreshesSent).toEqual(['refresh-1', 'refresh-2']);
    expect(expired).not.toHaveBeenCalled();
  });

  it('signing out removes the shared token, so a new tab asks to sign in', async () => {
    const s = server();
    const a = client(s.fetchImpl);
    await a.setTokens({ access: 'access-1', refresh: 'refresh-1' });
    await a.setTokens(null);

    tab = new MemoryStorage();
    expect(await client(s.fetchImpl).currentTokens()).toBeNull();
  });
});
