/**
 * One appointment: details, reschedule to another free time, or cancel (after a confirmation). Inside the
 * clinic's change cutoff a patient is told to phone instead; the clinician records done / no-show.
 */
import { useLocalSearchParams } from 'expo-router';
import { useState } from 'react';
import { StyleSheet, Text, View } from 'react-native';

import { SlotPicker } from '../components/SlotPicker';
import { useAppointmentQuery, useCancelAppointmentMutation, useRescheduleMutation, useUserTimeZone } from '../queries';
import type { Slot } from '../types';
import { failureMessage } from '@/api/result';
import { useMeQuery } from '@/features/auth/queries';
import { VisitActions } from '@/features/clinician/components/VisitActions';
import { useClinicQuery } from '@/features/shop/queries';
import { formatDateTime } from '@/lib/format';
import { Button } from '@/ui/Button';
import { ConfirmButton } from '@/ui/ConfirmButton';
import { QueryView } from '@/ui/QueryView';
import { Card, Screen } from '@/ui/Screen';
import { FormMessage } from '@/ui/States';
import { colors, font, space } from '@/ui/theme';

/** The server's default, used until the clinic's own cutoff has loaded (the server enforces the real one). */
const DEFAULT_CUTOFF_HOURS = 24;

export function AppointmentScreen() {
  const { id } = useLocalSearchParams<{ id: string }>();
  const appointmentId = Number(id);
  const appointment = useAppointmentQuery(appointmentId);
  const reschedule = useRescheduleMutation(appointmentId);
  const cancel = useCancelAppointmentMutation(appointmentId);
  const tz = useUserTimeZone();
  const me = useMeQuery();
  const clinic = useClinicQuery();
  const [now] = useState(() => Date.now());
  const [picking, setPicking] = useState(false);
  const [slot, setSlot] = useState<Slot | null>(null);
  const [message, setMessage] = useState<{ text: string; tone: 'error' | 'success' } | null>(null);

  return (
    <Screen testID="screen-appointment">
      <QueryView query={appointment} loadingLabel="Loading appointment…">
        {(a) => {
          const asClinician = me.data?.id === a.clinician.id;
          const cutoffHours = clinic.data?.appointment_change_cutoff_hours ?? DEFAULT_CUTOFF_HOURS;
          // The server lets the clinician and admins change any time before the start; patients only before the cutoff.
          const bound = asClinician || me.data?.role === 'admin';
          const upcoming = a.status === 'booked' && Date.parse(a.start) > now;
          const insideCutoff = upcoming && !bound && Date.parse(a.start) - now < cutoffHours * 3_600_000;
          const changeable = upcoming && !insideCutoff;
          const other = asClinician ? a.patient.full_name : a.clinician.full_name;
          return (
            <View>
              <Card testID="appointment-detail">
                <Text style={styles.when} accessibilityRole="header" testID="appointment-when">
                  {formatDateTime(a.start, tz)}
                </Text>
                <Text style={styles.muted}>Until {formatDateTime(a.end, tz)} ({tz})</Text>
                <Text style={styles.line} testID="appointment-with">
                  {asClinician ? `Patient: ${other}` : other}
                </Text>
                {asClinician ? null : <Text style={styles.muted}>{[a.clinician.speciality, a.clinician.clinic].filter(Boolean).join(' · ')}</Text>}
                <Text style={styles.line} testID="appointment-status">
                  Status: {a.status}
                </Text>
                {a.reason ? <Text style={styles.line}>Reason: {a.reason}</Text> : null}
              </Card>
              <FormMessage text={message?.text} tone={message?.tone} testID="appointment-message" />
              {asClinician ? <VisitActions appointment={a} now={now} /> : null}
              {insideCutoff ? (
                <Card testID="appointment-cutoff">
                  <Text style={styles.line}>
                    {`Less than ${cutoffHours} hours to go, so this appointment can no longer be moved or cancelled online.`}
                    {clinic.data?.phone ? ` To change it, please call ${clinic.data.name} on ${clinic.data.phone}.` : ' To change it, please call the clinic.'}
                  </Text>
                </Card>
              ) : null}
              {changeable && !picking ? (
                <>
                  <Button variant="secondary" title="Reschedule" testID="reschedule-start" onPress={() => setPicking(true)} />
                  <ConfirmButton
                    title="Cancel appointment"
                    question={`Cancel the appointment on ${formatDateTime(a.start, tz)} with ${other}? The time is given to others and cannot be taken back.`}
                    confirmTitle="Yes, cancel it"
                    keepTitle="Keep the appointment"
                    testID="cancel-appointment"
                    busy={cancel.isPending}
                    onConfirm={async () => {
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
