/** A clinician's free times; choose one, add a reason and book. */
import { router, useLocalSearchParams } from 'expo-router';
import { useState } from 'react';
import { StyleSheet, Text } from 'react-native';

import { SlotPicker } from '../components/SlotPicker';
import { useBookMutation, useClinicianQuery, useUserTimeZone } from '../queries';
import type { Slot } from '../types';
import { failureMessage } from '@/api/result';
import { formatDateTime } from '@/lib/format';
import { Button } from '@/ui/Button';
import { QueryView } from '@/ui/QueryView';
import { Card, Screen } from '@/ui/Screen';
import { FormMessage } from '@/ui/States';
import { TextField } from '@/ui/TextField';
import { colors, font, space } from '@/ui/theme';

export function BookScreen() {
  const { id } = useLocalSearchParams<{ id: string }>();
  const clinicianId = Number(id);
  const clinician = useClinicianQuery(clinicianId);
  const tz = useUserTimeZone();
  const book = useBookMutation();
  const [slot, setSlot] = useState<Slot | null>(null);
  const [reason, setReason] = useState('');
  const [message, setMessage] = useState<string | null>(null);

  async function submit() {
    if (!slot) return setMessage('Choose a time first.');
    if (reason.length > 500) return setMessage('Keep the reason under 500 characters.');
    setMessage(null);
    const result = await book.mutateAsync({ clinician_id: clinicianId, start: slot.start, reason: reason.trim() || undefined });
    if (result.kind === 'ok') {
      router.replace({ pathname: '/appointments/[id]', params: { id: String(result.data.id) } });
      return;
    }
    if (result.kind === 'conflict') setSlot(null);
    // The server's conflict already says what to do ("...; pick another one."): show it once, as it is.
    setMessage(failureMessage(result));
  }

  return (
    <Screen testID="screen-book">
      <QueryView query={clinician} loadingLabel="Loading clinician…">
        {(c) => (
          <Card>
            <Text style={styles.name} accessibilityRole="header" testID="clinician-name">
              {c.full_name}
            </Text>
            <Text style={styles.muted}>{[c.speciality, c.clinic].filter(Boolean).join(' · ')}</Text>
          </Card>
        )}
      </QueryView>
      <FormMessage text={message} testID="book-message" />
      <SlotPicker clinicianId={clinicianId} timeZone={tz} selected={slot} onSelect={setSlot} />
      {slot ? (
        <Text style={styles.chosen} testID="slot-chosen">
          Chosen: {formatDateTime(slot.start, tz)}
        </Text>
      ) : null}
      <TextField label="Reason (optional)" testID="book-reason" value={reason} onChangeText={setReason} multiline maxLength={500} placeholder="e.g. a mole that changed" />
      <Button title="Book this time" testID="book-submit" disabled={!slot} busy={book.isPending} onPress={() => void submit()} />
    </Screen>
  );
}

const styles = StyleSheet.create({
  name: { fontSize: font.title, fontWeight: '700', color: colors.text },
  muted: { color: colors.muted },
  chosen: { fontSize: font.body, fontWeight: '600', color: colors.text, marginVertical: space.sm },
});
