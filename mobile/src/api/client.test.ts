import { ApiClient, type TokenStore, type Tokens } from './client';

type Call = { url: string; method: string; headers: Record<string, string>; body?: string };

function memoryStore(initial: Tokens | null): TokenStore & { value: Tokens | null } {
  return {
    value: initial,
    async load() {
      return this.value;
    },
    async save(tokens) {
      this.value = tokens;
    },
    async clear() {
      this.value = null;
    },
  };
}

function json(status: number, body: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });
}

/** A fake server: `/api/v1/auth/refresh` rotates tokens; other paths need the current access token. */
function fakeServer(opts: { refreshStatus?: number; delayMs?: number } = {}) {
  const calls: Call[] = [];
  let validAccess = 'access-2';
  let refreshCount = 0;
  const fetchImpl = jest.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    const headers = (init?.headers ?? {}) as Record<string, string>;
    calls.push({ url, method: init?.method ?? 'GET', headers, body: init?.body as string | undefined });
    if (url.endsWith('/api/v1/auth/refresh')) {
      refreshCount += 1;
      await new Promise((r) => setTimeout(r, opts.delayMs ?? 5));
      if (opts.refreshStatus && opts.refreshStatus !== 200) {
        return json(opts.refreshStatus, { detail: 'Token is invalid or expired', code: 'token_not_valid' });
      }
      validAccess = `access-${refreshCount + 2}`;
      return json(200, { access: validAccess, refresh: `refresh-${refreshCount + 2}` });
    }
    const authorised = headers.Authorization === `Bearer ${validAccess}`;
    if (url.includes('slow')) await new Promise((r) => setTimeout(r, 60));
    if (!authorised) {
      return json(401, { detail: 'Token expired', code: 'token_not_valid' });
    }
    return json(200, { path: url });
  });
  return { fetchImpl, calls, refreshes: () => refreshCount, setValid: (v: string) => (validAccess = v) };
}

describe('ApiClient', () => {
  it('returns ok with the parsed body when the access token is valid', async () => {
    // Given a stored session whose access token the server accepts
    const server = fakeServer();
    server.setValid('access-1');
    const client = new ApiClient({ baseUrl: 'http://x/', tokens: memoryStore({ access: 'access-1', refresh: 'refresh-1' }), fetch: server.fetchImpl });
    // When
    const result = await client.get<{ path: string }>('/api/v1/auth/me', { query: { page: 2, search: '' } });
    // Then
    expect(result).toEqual({ kind: 'ok', status: 200, data: { path: 'http://x/api/v1/auth/me?page=2' } });
    expect(server.refreshes()).toBe(0);
  });

  it('refreshes on 401, stores the rotated pair and retries the call', async () => {
    const server = fakeServer();
    const store = memoryStore({ access: 'access-1', refresh: 'refresh-1' });
    const client = new ApiClient({ baseUrl: 'http://x', tokens: store, fetch: server.fetchImpl });

    const result = await client.get('/api/v1/auth/me');

    expect(result.kind).toBe('ok');
    expect(server.refreshes()).toBe(1);
    expect(JSON.parse(server.calls[1]!.body!)).toEqual({ refresh: 'refresh-1' });
    expect(store.value).toEqual({ access: 'access-3', refresh: 'refresh-3' });
    expect(server.calls[2]!.headers.Authorization).toBe('Bearer access-3');
  });

  it('makes a single refresh for many concurrent 401s and retries them all', async () => {
    const server = fakeServer({ delayMs: 30 });
    const client = new ApiClient({ baseUrl: 'http://x', tokens: memoryStore({ access: 'access-1', refresh: 'refresh-1' }), fetch: server.fetchImpl });

    const results = await Promise.all(
      ['/a', '/b', '/c', '/d', '/e'].map((p) => client.get(`/api/v1${p}`)),
    );

    expect(results.map((r) => r.kind)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(server.refreshes()).toBe(1);
    expect(server.calls.filter((c) => c.url.endsWith('/refresh'))).toHaveLength(1);
  });

  it('does not refresh again for a 401 that arrives after the refresh finished', async () => {
    // Given two calls made with the expired token, the second answered only after the first refreshed
    const server = fakeServer({ delayMs: 5 });
    const client = new ApiClient({ baseUrl: 'http://x', tokens: memoryStore({ access: 'access-1', refresh: 'refresh-1' }), fetch: server.fetchImpl });

    // When
    const [fast, slow] = await Promise.all([client.get('/api/v1/fast'), client.get('/api/v1/slow')]);

    // Then the late call retried with the new token instead of rotating the refresh token again
    expect([fast.kind, slow.kind]).toEqual(['ok', 'ok']);
    expect(server.refreshes()).toBe(1);
    expect(server.calls.at(-1)!.headers.Authorization).toBe('Bearer access-3');
  });

  it('signs out cleanly when the refresh token is rejected', async () => {
    const server = fakeServer({ refreshStatus: 401 });
    const store = memoryStore({ access: 'access-1', refresh: 'refresh-1' });
    const expired = jest.fn();
    const client = new ApiClient({ baseUrl: 'http://x', tokens: store, fetch: server.fetchImpl, onSessionExpired: expired });

    const results = await Promise.all([client.get('/api/v1/a'), client.get('/api/v1/b')]);

    expect(results.map((r) => r.kind)).toEqual(['unauthorized', 'unauthorized']);
    expect(store.value).toBeNull();
    expect(await client.currentTokens()).toBeNull();
    expect(expired).toHaveBeenCalledTimes(1);
    expect(server.refreshes()).toBe(1);
  });

  it('keeps the session when the refresh endpoint fails with a 5xx', async () => {
    const server = fakeServer({ refreshStatus: 502 });
    const store = memoryStore({ access: 'access-1', refresh: 'refresh-1' });
    const expired = jest.fn();
    const client = new ApiClient({ baseUrl: 'http://x', tokens: store, fetch: server.fetchImpl, onSessionExpired: expired });

    const result = await client.get('/api/v1/a');

    expect(result.kind).toBe('server');
    expect(store.value).toEqual({ access: 'access-1', refresh: 'refresh-1' });
    expect(expired).not.toHaveBeenCalled();
  });

  it('returns offline when the network is unreachable, without signing out', async () => {
    const store = memoryStore({ access: 'a', refresh: 'r' });
    const fetchImpl = jest.fn(async () => {
      throw new TypeError('Network request failed');
    });
    const client = new ApiClient({ baseUrl: 'http://x', tokens: store, fetch: fetchImpl });

    const result = await client.post('/api/v1/orders', { items: [] });

    expect(result).toEqual({ kind: 'offline' });
    expect(store.value).not.toBeNull();
  });

  it('returns unauthorized without a refresh when signed out', async () => {
    const server = fakeServer();
    const client = new ApiClient({ baseUrl: 'http://x', tokens: memoryStore(null), fetch: server.fetchImpl });

    const result = await client.get('/api/v1/auth/me');

    expect(result.kind).toBe('unauthorized');
    expect(server.refreshes()).toBe(0);
  });

  it.each([
    [422, { detail: 'Invalid request', code: 'validation_error', errors: [{ loc: ['body', 'payload', 'email'], msg: 'value is not a valid email' }] }, 'validation'],
    [409, { detail: 'Slot taken', code: 'slot_taken' }, 'conflict'],
    [404, { detail: 'Not found', code: 'not_found' }, 'not_found'],
    [500, { detail: 'boom', code: 'server_error' }, 'server'],
  ])('maps HTTP %s to its failure kind', async (status, body, kind) => {
    const fetchImpl = jest.fn(async () => json(status, body));
    const client = new ApiClient({ baseUrl: 'http://x', tokens: memoryStore(null), fetch: fetchImpl });

    const result = await client.post('/api/v1/x', {}, { auth: false });

    expect(result.kind).toBe(kind);
    if (result.kind === 'validation') expect(result.fieldErrors).toEqual({ email: 'value is not a valid email' });
    if (result.kind === 'conflict') expect(result.code).toBe('slot_taken');
  });

  it('sends the JSON body and extra headers such as the idempotency key', async () => {
    const fetchImpl = jest.fn(async (_input: RequestInfo | URL, _init?: RequestInit) => json(201, { id: 1 }));
    const client = new ApiClient({ baseUrl: 'http://x', tokens: memoryStore({ access: 'a', refresh: 'r' }), fetch: fetchImpl });

    const result = await client.post('/api/v1/orders', { items: [{ product_id: 1, quantity: 2 }] }, { headers: { 'Idempotency-Key': 'k-1' } });

    expect(result).toEqual({ kind: 'ok', status: 201, data: { id: 1 } });
    const init = fetchImpl.mock.calls[0]![1]!;
    expect(init.headers).toMatchObject({ Authorization: 'Bearer a', 'Idempotency-Key': 'k-1', 'Content-Type': 'application/json' });
    expect(init.body).toBe('{"items":[{"product_id":1,"quantity":2}]}');
  });
});
