/** My appointments (upcoming first), a way to book, and the reminders opt-in. */
import { router } from 'expo-router';
import { Text, View } from 'react-native';

import { useMyAppointmentsQuery, useUserTimeZone } from '../queries';
import type { Appointment } from '../types';
import { asFailure } from '@/api/result';
import { useMeQuery } from '@/features/auth/queries';
import { RemindersCard } from '@/features/notifications/components/RemindersCard';
import { formatDateTime } from '@/lib/format';
import { Button } from '@/ui/Button';
import { ListItem } from '@/ui/ListItem';
import { Screen } from '@/ui/Screen';
import { EmptyState, ErrorState, LoadingState } from '@/ui/States';
import { colors, font, space } from '@/ui/theme';

export function splitAppointments(items: Appointment[], now = Date.now()) {
  const upcoming = items.filter((a) => a.status === 'booked' && Date.parse(a.end) > now).sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  const past = items.filter((a) => !upcoming.includes(a)).sort((a, b) => Date.parse(b.start) - Date.parse(a.start));
  return { upcoming, past };
}

export function MyAppointmentsScreen() {
  const appointments = useMyAppointmentsQuery();
  const tz = useUserTimeZone();
  const me = useMeQuery();
  const asClinician = me.data?.role === 'clinician';
  const items = appointments.data?.pages.flatMap((p) => p.items) ?? [];
  const { upcoming, past } = splitAppointments(items);
  const row = (a: Appointment) => (
    <ListItem
      key={a.id}
      testID={`appointment-${a.id}`}
      title={formatDateTime(a.start, tz)}
      subtitle={`${a.clinician.id === me.data?.id ? `Patient: ${a.patient.full_name}` : a.clinician.full_name} · ${a.status.replace('_', '-')}`}
      detail={a.reason || undefined}
      onPress={() => router.push({ pathname: '/appointments/[id]', params: { id: String(a.id) } })}
    />
  );

  return (
    <Screen testID="screen-appointments">
      {asClinician ? null : <Button title="Book an appointment" testID="book-appointment" onPress={() => router.push('/appointments/book')} />}
      <RemindersCard />
      {appointments.data === undefined ? (
        appointments.isError ? <ErrorState failure={asFailure(appointments.error)} onRetry={() => void appointments.refetch()} /> : <LoadingState label="Loading appointments…" />
      ) : items.length === 0 ? (
        <EmptyState title="No appointments yet" body={asClinician ? 'Appointments patients book with you appear here.' : 'Book a skin check with a clinician.'} />
      ) : (
        <View testID="appointment-list">
          <Text style={{ fontSize: font.title, fontWeight: '600', color: colors.text, marginVertical: space.sm }} accessibilityRole="header">
            Upcoming
          </Text>
          {upcoming.length ? upcoming.map(row) : <Text style={{ color: colors.muted }}>Nothing upcoming.</Text>}
          {past.length ? (
            <>
              <Text style={{ fontSize: font.title, fontWeight: '600', color: colors.text, marginVertical: space.sm }} accessibilityRole="header">
                Past and cancelled
              </Text>
              {past.map(row)}
            </>
          ) : null}
          {appointments.hasNextPage ? <Button variant="secondary" title="Load more" testID="appointments-more" onPress={() => void appointments.fetchNextPage()} /> : null}
        </View>
      )}
    </Screen>
  );
}
