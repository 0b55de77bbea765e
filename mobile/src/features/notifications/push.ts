/**
 * Push registration on devices: ask permission only after the user chose "Enable reminders",
 * get the Expo push token and send it to the server; forget it on sign-out.
 */
import Constants from 'expo-constants';
import * as Device from 'expo-device';
import * as Notifications from 'expo-notifications';
import { Platform } from 'react-native';

import { notificationsApi } from './api';
import type { ApiFailure } from '@/api/result';
import { readJson, remove, writeJson } from '@/lib/persisted';

const TOKEN_KEY = 'skinscreen.push.token';

export type PushOutcome = { kind: 'registered'; token: string } | { kind: 'denied' } | { kind: 'unsupported'; reason: string } | ApiFailure;

export const pushSupported = true;

export async function pushPermission(): Promise<'granted' | 'denied' | 'undetermined'> {
  try {
    const { status } = await Notifications.getPermissionsAsync();
    return status === 'granted' ? 'granted' : status === 'denied' ? 'denied' : 'undetermined';
  } catch {
    return 'undetermined';
  }
}

export async function enablePush(): Promise<PushOutcome> {
  if (!Device.isDevice) return { kind: 'unsupported', reason: 'Push notifications need a physical device.' };
  if (Platform.OS === 'android') {
    await Notifications.setNotificationChannelAsync('reminders', { name: 'Appointment reminders', importance: Notifications.AndroidImportance.DEFAULT });
  }
  const current = await Notifications.getPermissionsAsync();
  const status = current.status === 'granted' ? current.status : (await Notifications.requestPermissionsAsync()).status;
  if (status !== 'granted') return { kind: 'denied' };
  const projectId = (Constants.expoConfig?.extra as { eas?: { projectId?: string } } | undefined)?.eas?.projectId ?? Constants.easConfig?.projectId;
  let token: string;
  try {
    token = (await Notifications.getExpoPushTokenAsync(projectId ? { projectId } : undefined)).data;
  } catch (error) {
    return { kind: 'unsupported', reason: `Could not get a push token: ${String(error)}` };
  }
  const result = await notificationsApi.registerDevice(token, Platform.OS === 'ios' ? 'ios' : 'android');
  // A 409 (push_token_in_use): another account still signed in on this device holds the token; not registered.
  if (result.kind !== 'ok') return result;
  await writeJson(TOKEN_KEY, token);
  return { kind: 'registered', token };
}

/** Sign-out: stop pushes to this device for the account that is leaving. */
export async function disablePush(): Promise<void> {
  const token = await readJson(TOKEN_KEY);
  if (typeof token === 'string') await notificationsApi.unregisterDevice(token);
  await remove(TOKEN_KEY);
}
