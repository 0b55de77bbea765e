/** The signed-in/out state of the app, sign-in and a clean sign-out (server, push, caches, storage). */
import { useQueryClient } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';

import { api, onSessionExpired } from '@/api';
import type { LoginResponse } from '@/api/types';
import { authApi } from './api';
import { RQKEY_ME } from './queries';

export type SessionStatus = 'loading' | 'signedOut' | 'signedIn';
export type EndedReason = 'expired' | 'deleted' | null;

type SessionContextValue = {
  status: SessionStatus;
  /** Why the last session ended, shown on the login screen ("expired", "deleted": the account was deleted), or null. */
  endedReason: EndedReason;
  signIn: (login: LoginResponse) => Promise<void>;
  signOut: (reason?: 'deleted') => Promise<void>;
};

const SessionContext = createContext<SessionContextValue | null>(null);

type SignOutHook = () => Promise<void> | void;
const signOutHooks = new Set<SignOutHook>();

/** Features register cleanup to run on sign-out (drop the push token, empty the cart). */
export function addSignOutHook(hook: SignOutHook): () => void {
  signOutHooks.add(hook);
  return () => signOutHooks.delete(hook);
}

type SignInHook = () => Promise<void> | void;
const signInHooks = new Set<SignInHook>();

/**
 * Features register work to start once someone signs in (send the screenings this user left waiting
 * on the device). Run after the tokens are saved, without delaying the sign-in; failures are ignored.
 */
export function addSignInHook(hook: SignInHook): () => void {
  signInHooks.add(hook);
  return () => signInHooks.delete(hook);
}

function runSignInHooks(): void {
  signInHooks.forEach((hook) => {
    void Promise.resolve()
      .then(hook)
      .catch(() => undefined);
  });
}

/** The signed-in user's id (the `user_id` of the session's tokens), or null when signed out. */
export { currentUserId } from '@/api/identity';

type SignOutWarning = () => Promise<string | null> | string | null;
const signOutWarnings = new Set<SignOutWarning>();

/**
 * Features register what the user should know before signing out (screenings not sent yet, which stay
 * on this device until this account signs in again), worded for the user, or null when nothing; the
 * sign-out button shows it and asks for a confirmation when there is any.
 */
export function addSignOutWarning(warning: SignOutWarning): () => void {
  signOutWarnings.add(warning);
  return () => signOutWarnings.delete(warning);
}

/** What to tell the user before signing out now; a check that fails says nothing (it must not block signing out). */
export async function checkSignOut(): Promise<string[]> {
  const found = await Promise.all(
    [...signOutWarnings].map(async (warning) => {
      try {
        return await warning();
      } catch {
        return null;
      }
    }),
  );
  return found.filter((text): text is string => !!text);
}

async function runSignOutHooks(): Promise<void> {
  await Promise.all([...signOutHooks].map(async (hook) => {
    try {
      await hook();
    } catch {
      // Cleanup is best effort: signing out must always succeed.
    }
  }));
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<SessionStatus>(() => {
    const known = api.peekTokens();
    return known === undefined ? 'loading' : known ? 'signedIn' : 'signedOut';
  });
  const [endedReason, setEndedReason] = useState<EndedReason>(null);

  useEffect(() => {
    let alive = true;
    if (api.peekTokens() === undefined) {
      void api.currentTokens().then((tokens) => {
        if (alive) setStatus(tokens ? 'signedIn' : 'signedOut');
      });
    }
    const unsubscribe = onSessionExpired(() => {
      void runSignOutHooks();
      queryClient.clear();
      setEndedReason('expired');
      setStatus('signedOut');
    });
    return () => {
      alive = false;
      unsubscribe();
    };
  }, [queryClient]);

  const signIn = useCallback(
    async (login: LoginResponse) => {
      await api.setTokens({ access: login.access, refresh: login.refresh });
      queryClient.setQueryData(RQKEY_ME, login.user);
      setEndedReason(null);
      setStatus('signedIn');
      runSignInHooks();
    },
    [queryClient],
  );

  const signOut = useCallback(async (reason?: 'deleted') => {
    // Hooks first: unregistering the push token needs the session that is about to end.
    await runSignOutHooks();
    const tokens = await api.currentTokens();
    if (tokens) await authApi.logout(tokens.refresh); // best effort: offline still signs out locally
    await api.setTokens(null);
    queryClient.clear();
    setEndedReason(reason ?? null);
    setStatus('signedOut');
  }, [queryClient]);

  const value = useMemo(() => ({ status, endedReason, signIn, signOut }), [status, endedReason, signIn, signOut]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession must be used inside <SessionProvider>');
  return value;
}
