/** Record a visit's outcome (done / no-show), offered once the appointment has started and is still booked. */
import { useState } from 'react';
import { StyleSheet, Text, View } from 'react-native';

import { useVisitOutcomeMutation } from '../queries';
import type { VisitOutcome } from '../api';
import { failureMessage } from '@/api/result';
import type { Appointment } from '@/features/appointments/types';
import { Button } from '@/ui/Button';
import { FormMessage } from '@/ui/States';
import { colors, font, space } from '@/ui/theme';

export function VisitActions({ appointment, now }: { appointment: Appointment; now: number }) {
  const outcome = useVisitOutcomeMutation();
  const [pending, setPending] = useState<VisitOutcome | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (appointment.status !== 'booked') return null;
  if (Date.parse(appointment.start) > now) {
    return (
      <Text style={styles.muted} testID={`visit-${appointment.id}-not-started`}>
        You can mark it done or no-show once it has started.
      </Text>
    );
  }
  async function record(status: VisitOutcome) {
    setPending(status);
    setError(null);
    const result = await outcome.mutateAsync({ id: appointment.id, status });
    setPending(null);
    if (result.kind !== 'ok') setError(failureMessage(result));
  }
  return (
    <View>
      <FormMessage text={error} testID={`visit-${appointment.id}-error`} />
      <View style={styles.row}>
        <Button title="Mark done" testID={`visit-${appointment.id}-done`} busy={pending === 'done'} disabled={pending !== null} onPress={() => void record('done')} />
        <Button variant="secondary" title="No-show" testID={`visit-${appointment.id}-no-show`} busy={pending === 'no_show'} disabled={pending !== null} onPress={() => void record('no_show')} />
      </View>
    </View>
  );
}

const styles = StyleSheet.create({
  row: { flexDirection: 'row', gap: space.sm, flexWrap: 'wrap' },
  muted: { color: colors.muted, fontSize: font.small, marginTop: space.xs },
});
