/** The app's one API client, wired to secure token storage and the session's sign-out. */
import { ApiClient } from './client';
import { apiBaseUrl } from './config';
import { secureTokenStore } from '@/lib/tokenStore';

type Listener = () => void;
const expiredListeners = new Set<Listener>();

export const api = new ApiClient({
  baseUrl: apiBaseUrl(),
  tokens: secureTokenStore,
  onSessionExpired: () => expiredListeners.forEach((listener) => listener()),
});

/** Subscribe to "the server rejected our refresh token": the session provider signs out. */
export function onSessionExpired(listener: Listener): () => void {
  expiredListeners.add(listener);
  return () => expiredListeners.delete(listener);
}

export * from './result';
export type { Tokens } from './client';
