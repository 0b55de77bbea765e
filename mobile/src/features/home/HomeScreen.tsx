/** Home: a greeting, the next appointment, shortcuts, and the screening-aid disclaimer. */
import { router } from 'expo-router';
import { StyleSheet, Text } from 'react-native';

import { useMyAppointmentsQuery, useUserTimeZone } from '@/features/appointments/queries';
import { splitAppointments } from '@/features/appointments/screens/MyAppointmentsScreen';
import { useMeQuery } from '@/features/auth/queries';
import { formatDateTime } from '@/lib/format';
import { Button } from '@/ui/Button';
import { Card, Screen } from '@/ui/Screen';
import { colors, font, space } from '@/ui/theme';

export function HomeScreen() {
  const me = useMeQuery();
  const appointments = useMyAppointmentsQuery();
  const tz = useUserTimeZone();
  const next = splitAppointments(appointments.data?.pages.flatMap((p) => p.items) ?? []).upcoming[0];
  const name = me.data?.full_name?.split(' ')[0];

  return (
    <Screen testID="screen-home">
      <Text style={styles.greeting} accessibilityRole="header" testID="home-greeting">
        {name ? `Hello, ${name}` : 'Hello'}
      </Text>
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
