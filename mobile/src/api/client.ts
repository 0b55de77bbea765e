/**
 * HTTP client for /api/v1: typed results, bearer auth, and a transparent refresh on 401 that is
 * shared by every call waiting on it (one refresh request however many calls got a 401).
 */
import type { ApiFailure, ApiResult, FieldErrors } from './result';

export type Tokens = { access: string; refresh: string };

/** Where the session's tokens live (expo-secure-store on devices); implementations never throw. */
export interface TokenStore {
  load(): Promise<Tokens | null>;
  save(tokens: Tokens): Promise<void>;
  clear(): Promise<void>;
  /**
   * The newest refresh token when other instances (browser tabs) share it and may have rotated it;
   * absent where each install has its own (phones).
   */
  latestRefresh?(): Promise<string | null>;
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type QueryValue = string | number | boolean | null | undefined;

export type RequestOptions = {
  body?: unknown;
  query?: Record<string, QueryValue>;
  headers?: Record<string, string>;
  /** Send the bearer token and refresh it on 401 (default true). */
  auth?: boolean;
  /** How to read a 2xx body (default json; 204 is always `undefined`). */
  responseType?: 'json' | 'blob' | 'arrayBuffer';
  signal?: AbortSignal;
};

export type ApiClientOptions = {
  baseUrl: string;
  tokens: TokenStore;
  fetch?: typeof fetch;
  /** Called once when the session ends because the server rejected the refresh token. */
  onSessionExpired?: () => void;
};

type RefreshOutcome = 'refreshed' | 'rejected' | 'offline' | 'unavailable';

type ValidationItem = { loc?: unknown[]; msg?: string };

function buildQuery(query: Record<string, QueryValue> | undefined): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

function fieldErrorsFrom(errors: unknown): FieldErrors {
  const out: FieldErrors = {};
  if (!Array.isArray(errors)) return out;
  for (const raw of errors as ValidationItem[]) {
    const loc = Array.isArray(raw?.loc) ? raw.loc : [];
    const field = [...loc].reverse().find((p) => typeof p === 'string' && !['body', 'payload', 'query', 'path'].includes(p));
    const key = typeof field === 'string' ? field : '_';
    if (!out[key]) out[key] = String(raw?.msg ?? 'Invalid value').replace(/^Value error, /, '');
  }
  return out;
}

async function readJson(response: Response): Promise<Record<string, unknown>> {
  try {
    const text = await response.text();
    if (!text) return {};
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Map a non-2xx response to its failure kind. */
export async function failureFromResponse(response: Response): Promise<ApiFailure> {
  const body = await readJson(response);
  const detail = typeof body.detail === 'string' ? body.detail : response.statusText || `HTTP ${response.status}`;
  const code = typeof body.code === 'string' ? body.code : 'error';
  switch (response.status) {
    case 400:
    case 422:
      return { kind: 'validation', detail, code, fieldErrors: fieldErrorsFrom(body.errors) };
    case 401:
      return { kind: 'unauthorized', detail };
    case 403:
      return { kind: 'forbidden', detail, code };
    case 404:
      return { kind: 'not_found', detail };
    case 409:
      return { kind: 'conflict', detail, code };
    case 429:
      return { kind: 'rate_limited', detail };
    default:
      return { kind: 'server', status: response.status, detail };
  }
}

export class ApiClient {
  private readonly baseUrl: string;
  private readonly store: TokenStore;
  private readonly fetchImpl: typeof fetch;
  private readonly onSessionExpired?: () => void;
  private tokens: Tokens | null | undefined; // undefined: not loaded from the store yet
  private refreshing: Promise<RefreshOutcome> | null = null;

  constructor(options: ApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.store = options.tokens;
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    this.onSessionExpired = options.onSessionExpired;
  }

  url(path: string, query?: Record<string, QueryValue>): string {
    return `${this.baseUrl}${path}${buildQuery(query)}`;
  }

  /** The tokens if already loaded from the store (undefined until then); never waits. */
  peekTokens(): Tokens | null | undefined {
    return this.tokens;
  }

  async currentTokens(): Promise<Tokens | null> {
    if (this.tokens === undefined) this.tokens = await this.store.load();
    return this.tokens;
  }

  async setTokens(tokens: Tokens | null): Promise<void> {
    this.tokens = tokens;
    if (tokens) await this.store.save(tokens);
    else await this.store.clear();
  }

  get<T>(path: string, options?: RequestOptions) {
    return this.request<T>('GET', path, options);
  }
  post<T>(path: string, body?: unknown, options?: RequestOptions) {
    return this.request<T>('POST', path, { ...options, body });
  }
  put<T>(path: string, body?: unknown, options?: RequestOptions) {
    return this.request<T>('PUT', path, { ...options, body });
  }
  patch<T>(path: string, body?: unknown, options?: RequestOptions) {
    return this.request<T>('PATCH', path, { ...options, body });
  }
  delete<T>(path: string, options?: RequestOptions) {
    return this.request<T>('DELETE', path, options);
  }

  async request<T>(method: Method, path: string, options: RequestOptions = {}): Promise<ApiResult<T>> {
    const auth = options.auth ?? true;
    const usedAccess = auth ? (await this.currentTokens())?.access : undefined;
    let response = await this.send(method, path, options, usedAccess);
    if (response === 'offline') return { kind: 'offline' };

    if (response.status === 401 && auth && (await this.currentTokens())) {
      const outcome = await this.refreshAfter401(usedAccess);
      if (outcome === 'offline') return { kind: 'offline' };
      if (outcome === 'rejected') return { kind: 'unauthorized', detail: 'Your session has ended. Please sign in again.' };
      if (outcome === 'unavailable') return { kind: 'server', status: 503, detail: 'Could not renew your session. Please try again.' };
      response = await this.send(method, path, options, this.tokens?.access);
      if (response === 'offline') return { kind: 'offline' };
    }
    if (!response.ok) return failureFromResponse(response);
    return { kind: 'ok', status: response.status, data: (await this.readBody(response, options)) as T };
  }

  private async readBody(response: Response, options: RequestOptions): Promise<unknown> {
    if (response.status === 204) return undefined;
    if (options.responseType === 'blob') return response.blob();
    if (options.responseType === 'arrayBuffer') return response.arrayBuffer();
    const text = await response.text();
    return text ? JSON.parse(text) : undefined;
  }

  private async send(method: Method, path: string, options: RequestOptions, access: string | undefined): Promise<Response | 'offline'> {
    const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
    // A FormData body is multipart: fetch sets Content-Type with its boundary.
    const multipart = typeof FormData !== 'undefined' && options.body instanceof FormData;
    if (options.body !== undefined && !multipart) headers['Content-Type'] = 'application/json';
    if (access) headers.Authorization = `Bearer ${access}`;
    try {
      return await this.fetchImpl(this.url(path, options.query), {
        method,
        headers,
        body: options.body === undefined ? undefined : multipart ? (options.body as FormData) : JSON.stringify(options.body),
        signal: options.signal,
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      return 'offline';
    }
  }

  /** Take the shared refresh token if another instance rotated it; true when it changed. */
  private async adoptLatestRefresh(): Promise<boolean> {
    const latest = await this.store.latestRefresh?.().catch(() => null);
    if (!latest || !this.tokens || latest === this.tokens.refresh) return false;
    this.tokens = { access: this.tokens.access, refresh: latest };
    return true;
  }

  /**
   * Refresh once for every call that saw a 401. A call whose token was already replaced by a
   * refresh that finished meanwhile retries straight away instead of refreshing again.
   */
  private refreshAfter401(usedAccess: string | undefined): Promise<RefreshOutcome> {
    if (this.refreshing) return this.refreshing;
    if (this.tokens && usedAccess !== undefined && this.tokens.access !== usedAccess) return Promise.resolve('refreshed');
    this.refreshing = this.doRefresh().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async doRefresh(retried = false): Promise<RefreshOutcome> {
    await this.adoptLatestRefresh();
    const refresh = this.tokens?.refresh;
    if (!refresh) return 'rejected';
    const response = await this.send('POST', '/api/v1/auth/refresh', { body: { refresh } }, undefined);
    if (response === 'offline') return 'offline';
    if (response.ok) {
      const body = await readJson(response);
      if (typeof body.access === 'string' && typeof body.refresh === 'string') {
        await this.setTokens({ access: body.access, refresh: body.refresh });
        return 'refreshed';
      }
    }
    if (response.status >= 500) return 'unavailable'; // keep the session: the server may recover
    // Another tab may have rotated the shared token while this refresh was on its way: use that one once.
    if (!retried && (await this.adoptLatestRefresh())) return this.doRefresh(true);
    await this.setTokens(null);
    this.onSessionExpired?.();
    return 'rejected';
  }
}
