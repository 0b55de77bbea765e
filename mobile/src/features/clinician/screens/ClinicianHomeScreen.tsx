/** A clinician's home: today's appointments with patient names and their outcome, and the way to the rest. */
import { router } from 'expo-router';
import { StyleSheet, Text, View } from 'react-native';

import { VisitActions } from '../components/VisitActions';
import { useTodaysVisitsQuery, useUnreviewedHighRiskQuery } from '../queries';
import { asFailure } from '@/api/result';
import { useUserTimeZone } from '@/features/appointments/queries';
import { useMeQuery } from '@/features/auth/queries';
import { greetingName } from '@/features/home/greeting';
import { formatTime } from '@/lib/format';
import { useNow } from '@/lib/useNow';
import { Button } from '@/ui/Button';
import { Card, Screen } from '@/ui/Screen';
import { ErrorState, LoadingState } from '@/ui/States';
import { colors, font, space } from '@/ui/theme';

const STATUS_LABEL: Record<string, string> = { booked: 'Booked', done: 'Done', no_show: 'No-show', cancelled: 'Cancelled' };

export function ClinicianHomeScreen() {
  const me = useMeQuery();
  const tz = useUserTimeZone();
  const visits = useTodaysVisitsQuery(me.data?.id ?? undefined, tz);
  const name = greetingName(me.data?.full_name);
  const now = useNow();
  const unreviewed = useUnreviewedHighRiskQuery(me.data?.role === 'clinician');
  const highCount = unreviewed.data;

  return (
    <Screen testID="screen-clinician-home">
      <Text style={styles.greeting} accessibilityRole="header" testID="home-greeting">
        {name ? `Hello, ${name}` : 'Hello'}
      </Text>
      <Card testID="home-worklist">
        <Text style={styles.when} testID="home-unreviewed-high">
          {highCount === undefined
            ? unreviewed.isError
              ? 'Could not load the worklist.'
              : 'Loading the worklist…'
            : highCount === 0
              ? 'No high-risk screenings waiting for a review.'
              : `${highCount} high-risk ${highCount === 1 ? 'screening' : 'screenings'} not reviewed yet`}
        </Text>
        <Button title="Open the worklist" testID="home-open-worklist" onPress={() => router.navigate('/worklist')} />
      </Card>
      <Text style={styles.section} accessibilityRole="header">
        Today
      </Text>
      {visits.data === undefined ? (
        visits.isError ? <ErrorState failure={asFailure(visits.error)} onRetry={() => void visits.refetch()} /> : <LoadingState label="Loading today's appointments…" />
      ) : visits.data.length === 0 ? (
        <Text style={styles.muted} testID="today-empty">
          No appointments today.
        </Text>
      ) : (
        <View testID="today-list">
          {visits.data.map((a) => (
            <Card key={a.id} testID={`visit-${a.id}`}>
              <Text style={styles.when}>
                {formatTime(a.start, tz)}–{formatTime(a.end, tz)} · <Text testID={`visit-${a.id}-status`}>{STATUS_LABEL[a.status] ?? a.status}</Text>
              </Text>
              <Text style={styles.patient} testID={`visit-${a.id}-patient`}>
                {a.patient.full_name}
              </Text>
              {a.reason ? <Text style={styles.muted}>Reason: {a.reason}</Text> : null}
              <VisitActions appointment={a} now={now} />
              <Button
                variant="secondary"
                title="Open"
                testID={`visit-${a.id}-open`}
                accessibilityLabel={`Open the appointment with ${a.patient.full_name}`}
                onPress={() => router.push({ pathname: '/appointments/[id]', params: { id: String(a.id) } })}
              />
            </Card>
          ))}
        </View>
      )}
      <Button variant="secondary" title="All my appointments" testID="home-visits" onPress={() => router.navigate('/appointments')} />
      <Text style={styles.disclaimer}>Screening results in this app are aids for your assessment, never a diagnosis.</Text>
    </Screen>
  );
}

const styles = StyleSheet.create({
  greeting: { fontSize: font.heading, fontWeight: '700', color: colors.text, marginBottom: space.md },
  section: { fontSize: font.title, fontWeight: '600', color: colors.text, marginVertical: space.sm },
  when: { fontSize: font.body, fontWeight: '600', color: colors.text },
  patient: { fontSize: font.title, color: colors.text, marginVertical: space.xs },
  muted: { fontSize: font.body, color: colors.muted, marginBottom: space.sm },
  disclaimer: { fontSize: font.small, color: colors.muted, marginTop: space.lg },
});
