import { Redirect } from 'expo-router';
import { Tabs } from 'expo-router/js-tabs';
import { useEffect } from 'react';
import { Text, type ColorValue } from 'react-native';

import { useMeQuery } from '@/features/auth/queries';
import { tabsFor } from '@/features/home/roles';
import { useSession } from '@/features/auth/session';
import { useUnreadCountQuery } from '@/features/notifications/queries';
import { startScreeningSync } from '@/features/screening/engine';
import { colors } from '@/ui/theme';
import { LoadingState } from '@/ui/States';

function icon(glyph: string) {
  const TabIcon = ({ color }: { color: ColorValue }) => (
    <Text style={{ color, fontSize: 18 }} accessibilityElementsHidden importantForAccessibility="no">
      {glyph}
    </Text>
  );
  return TabIcon;
}

export default function AppLayout() {
  const { status } = useSession();
  const me = useMeQuery();
  const unread = useUnreadCountQuery(status === 'signedIn');
  // Screenings queued offline sync on app start (signed in), on reconnect and on return to the foreground.
  useEffect(() => {
    if (status === 'signedIn') startScreeningSync();
  }, [status]);
  if (status === 'loading') return <LoadingState />;
  if (status === 'signedOut') return <Redirect href="/login" />;
  const shown = tabsFor(me.data?.role);
  const hidden = (name: string) => (shown.has(name) ? {} : { href: null });
  const badge = unread.data ? { tabBarBadge: unread.data > 99 ? '99+' : unread.data } : {};
  return (
    <Tabs screenOptions={{ tabBarActiveTintColor: colors.primary, headerShown: false }}>
      <Tabs.Screen name="index" options={{ title: 'Home', tabBarButtonTestID: 'tab-home', tabBarIcon: icon('⌂'), headerShown: true }} />
      <Tabs.Screen name="screening" options={{ ...hidden('screening'), title: 'Screening', tabBarButtonTestID: 'tab-screening', tabBarIcon: icon('◎') }} />
      <Tabs.Screen name="appointments" options={{ ...hidden('appointments'), title: 'Visits', tabBarButtonTestID: 'tab-appointments', tabBarIcon: icon('◷') }} />
      <Tabs.Screen name="worklist" options={{ ...hidden('worklist'), title: 'Worklist', tabBarButtonTestID: 'tab-worklist', tabBarIcon: icon('☰') }} />
      <Tabs.Screen name="shop" options={{ ...hidden('shop'), title: 'Shop', tabBarButtonTestID: 'tab-shop', tabBarIcon: icon('◫') }} />
      <Tabs.Screen name="blog" options={{ title: 'Blog', tabBarButtonTestID: 'tab-blog', tabBarIcon: icon('✎') }} />
      <Tabs.Screen name="profile" options={{ ...badge, title: 'Profile', tabBarButtonTestID: 'tab-profile', tabBarIcon: icon('☺') }} />
    </Tabs>
  );
}
