/** Web build: Expo push needs a native app, so reminders arrive in the in-app list only. */
import type { ApiFailure } from '@/api/result';

export type PushOutcome = { kind: 'registered'; token: string } | { kind: 'denied' } | { kind: 'unsupported'; reason: string } | ApiFailure;

export const pushSupported = false;

export async function pushPermission(): Promise<'granted' | 'denied' | 'undetermined'> {
  return 'denied';
}

export async function enablePush(): Promise<PushOutcome> {
  return { kind: 'unsupported', reason: 'Push reminders need the iOS or Android app. In the browser, reminders appear under Profile → Notifications.' };
}

export async function disablePush(): Promise<void> {}
