/** One appointment: details, reschedule to another free time, or cancel. */
import { useLocalSearchParams } from 'expo-router';
import { useState } from 'react';
import { StyleSheet, Text, View } from 'react-native';

import { SlotPicker } from '../components/SlotPicker';
import { useAppointmentQuery, useCancelAppointmentMutation, useRescheduleMutation, useUserTimeZone } from '../queries';
import type { Slot } from '../types';
import { failureMessage } from '@/api/result';
import { formatDateTime } from '@/lib/format';
import { Button } from '@/ui/Button';
import { QueryView } from '@/ui/QueryView';
import { Card, Screen } from '@/ui/Screen';
import { FormMessage } from '@/ui/States';
import { colors, font, space } from '@/ui/theme';

export function AppointmentScreen() {
  const { id } = useLocalSearchParams<{ id: string }>();
  const appointmentId = Number(id);
  const appointment = useAppointmentQuery(appointmentId);
  const reschedule = useRescheduleMutation(appointmentId);
  const cancel = useCancelAppointmentMutation(appointmentId);
  const tz = useUserTimeZone();
  const [now] = useState(() => Date.now());
  const [picking, setPicking] = useState(false);
  const [slot, setSlot] = useState<Slot | null>(null);
  const [message, setMessage] = useState<{ text: string; tone: 'error' | 'success' } | null>(null);

  return (
    <Screen testID="screen-appointment">
      <QueryView query={appointment} loadingLabel="Loading appointment…">
        {(a) => {
          const changeable = a.status === 'booked' && Date.parse(a.start) > now;
          return (
            <View>
              <Card testID="appointment-detail">
                <Text style={styles.when} accessibilityRole="header" testID="appointment-when">
                  {formatDateTime(a.start, tz)}
                </Text>
                <Text style={styles.muted}>Until {formatDateTime(a.end, tz)} ({tz})</Text>
                <Text style={styles.line}>{a.clinician.full_name}</Text>
                <Text style={styles.muted}>{[a.clinician.speciality, a.clinician.clinic].filter(Boolean).join(' · ')}</Text>
                <Text style={styles.line} testID="appointment-status">
                  Status: {a.status}
                </Text>
                {a.reason ? <Text style={styles.line}>Reason: {a.reason}</Text> : null}
              </Card>
              <FormMessage text={message?.text} tone={message?.tone} testID="appointment-message" />
              {changeable && !picking ? (
                <>
                  <Button variant="secondary" title="Reschedule" testID="reschedule-start" onPress={() => setPicking(true)} />
                  <Button
                    variant="danger"
                    title="Cancel appointment"
                    testID="cancel-appointment"
                    busy={cancel.isPending}
                    onPress={async () => {
                      const result = await cancel.mutateAsync();
                      setMessage(result.kind === 'ok' ? { text: 'Appointment cancelled.', tone: 'success' } : { text: failureMessage(result), tone: 'error' });
                    }}
                  />
                </>
              ) : null}
              {changeable && picking ? (
                <View>
                  <SlotPicker clinicianId={a.clinician.id} timeZone={tz} selected={slot} onSelect={setSlot} exclude={a.start} />
                  <Button
                    title={slot ? `Move to ${formatDateTime(slot.start, tz)}` : 'Choose a new time'}
                    testID="reschedule-submit"
                    disabled={!slot}
                    busy={reschedule.isPending}
                    onPress={async () => {
                      if (!slot) return;
                      const result = await reschedule.mutateAsync(slot.start);
                      if (result.kind === 'ok') {
                        setPicking(false);
                        setSlot(null);
                        setMessage({ text: 'Appointment moved.', tone: 'success' });
                      } else {
                        setMessage({ text: failureMessage(result), tone: 'error' });
                      }
                    }}
                  />
                  <Button variant="secondary" title="Keep the current time" testID="reschedule-cancel" onPress={() => setPicking(false)} />
                </View>
              ) : null}
            </View>
          );
        }}
      </QueryView>
    </Screen>
  );
}

const styles = StyleSheet.create({
  when: { fontSize: font.title, fontWeight: '700', color: colors.text },
  muted: { color: colors.muted, marginBottom: space.xs },
  line: { color: colors.text, fontSize: font.body, marginTop: space.xs },
});
