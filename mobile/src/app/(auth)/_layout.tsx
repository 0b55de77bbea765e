import { Redirect, Stack } from 'expo-router';

import { useSession } from '@/features/auth/session';
import { LoadingState } from '@/ui/States';

export default function AuthLayout() {
  const { status } = useSession();
  if (status === 'loading') return <LoadingState />;
  if (status === 'signedIn') return <Redirect href="/" />;
  return <Stack screenOptions={{ headerShown: false }} />;
}
