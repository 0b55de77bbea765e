/** Test helpers: a fake server behind global fetch, and rendering inside the app's providers. */
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react-native';
import type { ReactElement } from 'react';

import { api } from '@/api';
import { SessionProvider } from '@/features/auth/session';

export type Handler = (req: { method: string; path: string; query: URLSearchParams; body: unknown; headers: Record<string, string> }) =>
  | { status: number; body?: unknown }
  | 'offline'
  | Promise<{ status: number; body?: unknown } | 'offline'>;

export type FakeServer = {
  calls: { method: string; path: string; query: URLSearchParams; body: unknown; headers: Record<string, string> }[];
  on: (method: string, path: string, handler: Handler | { status: number; body?: unknown }) => void;
};

/** Route `fetch` to handlers keyed by "METHOD /path"; anything unhandled is a 404. */
export function fakeServer(): FakeServer {
  const routes = new Map<string, Handler>();
  const calls: FakeServer['calls'] = [];
  global.fetch = jest.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    const headers = (init?.headers ?? {}) as Record<string, string>;
    const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
    calls.push({ method, path: url.pathname, query: url.searchParams, body, headers });
    const handler = routes.get(`${method} ${url.pathname}`);
    const out = handler ? await handler({ method, path: url.pathname, query: url.searchParams, body, headers }) : { status: 404, body: { detail: 'Not found', code: 'not_found' } };
    if (out === 'offline') throw new TypeError('Network request failed');
    return new Response(out.body === undefined ? null : JSON.stringify(out.body), { status: out.status, headers: { 'Content-Type': 'application/json' } });
  }) as typeof fetch;
  return {
    calls,
    on(method, path, handler) {
      routes.set(`${method} ${path}`, typeof handler === 'function' ? handler : () => handler);
    },
  };
}

export function page<T>(items: T[]) {
  return { status: 200, body: { items, count: items.length } };
}

/** A JWT-shaped token (unsigned) whose `user_id` claim the app reads to tell users apart. */
export function fakeJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}.signature`;
}

/** Tokens of `userId` (the fixture `user` by default), as the server would issue them. */
export function tokensFor(userId: number = user.id) {
  return { access: fakeJwt({ token_type: 'access', user_id: userId }), refresh: fakeJwt({ token_type: 'refresh', user_id: userId }) };
}

export async function signedIn(userId: number = user.id) {
  await api.setTokens(tokensFor(userId));
}

export function renderApp(ui: ReactElement) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false, networkMode: 'always', gcTime: Infinity }, mutations: { networkMode: 'always', gcTime: Infinity } } });
  return render(
    <QueryClientProvider client={client}>
      <SessionProvider>{ui}</SessionProvider>
    </QueryClientProvider>,
  );
}

export const user = {
  id: 7,
  email: 'pat@example.org',
  full_name: 'Pat Patient',
  phone: '',
  date_of_birth: null,
  time_zone: 'Europe/Berlin',
  role: 'patient',
  created_at: '2026-11-01T10:00:00Z',
};
