/** Root: server-state cache, the session, safe areas; the (auth) and (app) groups decide access. */
import { QueryClientProvider } from '@tanstack/react-query';
import { Stack } from 'expo-router';
import { StatusBar } from 'expo-status-bar';
import { useState } from 'react';
import { SafeAreaProvider } from 'react-native-safe-area-context';

import { SessionProvider } from '@/features/auth/session';
import { wireFeatures } from '@/features/wiring';
import { wireOnlineManager } from '@/lib/network';
import { makeQueryClient } from '@/lib/queryClient';

wireOnlineManager();
wireFeatures();

export default function RootLayout() {
  const [queryClient] = useState(makeQueryClient);
  return (
    <SafeAreaProvider>
      <QueryClientProvider client={queryClient}>
        <SessionProvider>
          <StatusBar style="dark" />
          <Stack screenOptions={{ headerShown: false }} />
        </SessionProvider>
      </QueryClientProvider>
    </SafeAreaProvider>
  );
}
