/** An administrator's home: the app has no admin flows; users, schedules, the shop, the blog and models are run on the admin site. */
import { Linking, StyleSheet, Text } from 'react-native';

import { greetingName } from './greeting';
import { apiBaseUrl } from '@/api/config';
import { useMeQuery } from '@/features/auth/queries';
import { Button } from '@/ui/Button';
import { Card, Screen } from '@/ui/Screen';
import { colors, font, space } from '@/ui/theme';

export function adminSiteUrl(): string {
  return `${apiBaseUrl().replace(/\/+$/, '')}/admin/`;
}

export function AdminHome() {
  const me = useMeQuery();
  const name = greetingName(me.data?.full_name);
  return (
    <Screen testID="screen-admin-home">
      <Text style={styles.greeting} accessibilityRole="header" testID="home-greeting">
        {name ? `Hello, ${name}` : 'Hello'}
      </Text>
      <Card testID="admin-card">
        <Text style={styles.body}>
          You are signed in as an administrator. Users, clinicians and their schedules, appointments, orders, the blog and the screening models are managed
          on the admin site.
        </Text>
      </Card>
      <Button title="Open the admin site" testID="home-admin-site" onPress={() => void Linking.openURL(adminSiteUrl())} />
      <Text style={styles.muted}>{adminSiteUrl()}</Text>
    </Screen>
  );
}

const styles = StyleSheet.create({
  greeting: { fontSize: font.heading, fontWeight: '700', color: colors.text, marginBottom: space.md },
  body: { fontSize: font.body, color: colors.text },
  muted: { fontSize: font.small, color: colors.muted, marginTop: space.sm },
});
