/** Home: each role gets its own (patient: next visit and shortcuts; clinician: today's patients; admin: the admin site). */
import { router } from 'expo-router';
import { StyleSheet, Text } from 'react-native';

import { AdminHome } from './AdminHome';
import { greetingName } from './greeting';
import { useMyAppointmentsQuery, useUserTimeZone } from '@/features/appointments/queries';
import { splitAppointments } from '@/features/appointments/screens/MyAppointmentsScreen';
import { useMeQuery } from '@/features/auth/queries';
import { ClinicianHomeScreen } from '@/features/clinician/screens/ClinicianHomeScreen';
import { useUnreadCountQuery } from '@/features/notifications/queries';
import { formatDateTime } from '@/lib/format';
import { Button } from '@/ui/Button';
import { Card, Screen } from '@/ui/Screen';
import { LoadingState } from '@/ui/States';
import { colors, font, space } from '@/ui/theme';

export function HomeScreen() {
  const me = useMeQuery();
  if (me.data === undefined && me.isPending) return <LoadingState />;
  if (me.data?.role === 'clinician') return <ClinicianHomeScreen />;
  if (me.data?.role === 'admin') return <AdminHome />;
  return <PatientHome />;
}

function PatientHome() {
  const me = useMeQuery();
  const appointments = useMyAppointmentsQuery();
  const unread = useUnreadCountQuery();
  const tz = useUserTimeZone();
  // Only visits where I am the patient are "my next appointment".
  const mine = (appointments.data?.pages.flatMap((p) => p.items) ?? []).filter((a) => me.data === undefined || a.patient.id === me.data.id);
  const next = splitAppointments(mine).upcoming[0];
  const name = greetingName(me.data?.full_name);
  const unreadCount = unread.data ?? 0;

  return (
    <Screen testID="screen-home">
      <Text style={styles.greeting} accessibilityRole="header" testID="home-greeting">
        {name ? `Hello, ${name}` : 'Hello'}
      </Text>
      {unreadCount > 0 ? (
        <Button
          variant="secondary"
          title={`${unreadCount} unread ${unreadCount === 1 ? 'notification' : 'notifications'}`}
          testID="home-unread"
          onPress={() => router.navigate('/profile/notifications')}
        />
      ) : null}
      <Card testID="home-next-appointment">
        <Text style={styles.cardTitle}>Next appointment</Text>
        {appointments.isPending ? (
          <Text style={styles.muted}>Loading…</Text>
        ) : appointments.isError && !appointments.data ? (
          <Text style={styles.muted}>Could not load your appointments.</Text>
        ) : next ? (
          <Text style={styles.body} testID="home-next-when">
            {formatDateTime(next.start, tz)} with {next.clinician.full_name}
          </Text>
        ) : (
          <Text style={styles.muted}>None booked.</Text>
        )}
      </Card>
      <Button title="Screen a lesion" testID="home-screening" onPress={() => router.navigate('/screening')} accessibilityHint="Photograph a lesion and get a screening result" />
      <Button variant="secondary" title="My lesions" testID="home-lesions" onPress={() => router.navigate('/screening/lesions')} />
      <Button variant="secondary" title="Book a skin check" testID="home-book" onPress={() => router.navigate('/appointments/book')} />
      <Button variant="secondary" title="Shop" testID="home-shop" onPress={() => router.navigate('/shop')} />
      <Button variant="secondary" title="Read the blog" testID="home-blog" onPress={() => router.navigate('/blog')} />
      <Text style={styles.disclaimer}>
        Screening in this app is an aid, never a diagnosis. See a clinician about any lesion that worries you, changes, bleeds or itches.
      </Text>
    </Screen>
  );
}

const styles = StyleSheet.create({
  greeting: { fontSize: font.heading, fontWeight: '700', color: colors.text, marginBottom: space.md },
  cardTitle: { fontSize: font.small, fontWeight: '700', color: colors.muted, marginBottom: space.xs, textTransform: 'uppercase' },
  body: { fontSize: font.body, color: colors.text },
  muted: { fontSize: font.body, color: colors.muted },
  disclaimer: { fontSize: font.small, color: colors.muted, marginTop: space.lg },
});
