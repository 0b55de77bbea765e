/** Where the API lives: EXPO_PUBLIC_API_URL, else the page's origin on web, else app.json extra.apiUrl. */
import Constants from 'expo-constants';
import { Platform } from 'react-native';

export function apiBaseUrl(): string {
  const fromEnv = process.env.EXPO_PUBLIC_API_URL;
  if (fromEnv) return fromEnv;
  if (Platform.OS === 'web' && typeof window !== 'undefined' && window.location?.origin) {
    return window.location.origin;
  }
  const extra = Constants.expoConfig?.extra as { apiUrl?: string } | undefined;
  return extra?.apiUrl ?? 'http://127.0.0.1:8000';
}
