/** Add a lesion: a name, front or back, a tap on the body map, optional region and notes; optionally with a screening on it. */
import { router, useLocalSearchParams } from 'expo-router';
import { useState } from 'react';
import { StyleSheet, Text, View } from 'react-native';

import type { BodyView } from '../api';
import { BodyMap } from '../components/BodyMap';
import { useCreateLesionMutation } from '../queries';
import { failureMessage } from '@/api/result';
import { Button } from '@/ui/Button';
import { Chip } from '@/ui/Chip';
import { Screen } from '@/ui/Screen';
import { FormMessage } from '@/ui/States';
import { TextField } from '@/ui/TextField';
import { colors, font, space } from '@/ui/theme';

export function NewLesionScreen() {
  const { screening } = useLocalSearchParams<{ screening?: string }>();
  const create = useCreateLesionMutation();
  const [name, setName] = useState('');
  const [view, setView] = useState<BodyView>('front');
  const [point, setPoint] = useState<{ x: number; y: number } | null>(null);
  const [region, setRegion] = useState('');
  const [notes, setNotes] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);

  async function submit() {
    const found: Record<string, string> = {};
    if (!name.trim()) found.name = 'Give the lesion a name, e.g. "mole on left shoulder".';
    if (!point) found.point = 'Tap the body map where the lesion is.';
    setErrors(found);
    setMessage(null);
    if (Object.keys(found).length || !point) return;
    const { created, assigned } = await create.mutateAsync({
      input: { name: name.trim(), body_view: view, body_x: round(point.x), body_y: round(point.y), body_region: region.trim(), notes: notes.trim() },
      screeningId: screening || undefined,
    });
    if (created.kind !== 'ok') {
      if (created.kind === 'validation' && Object.keys(created.fieldErrors).length) setErrors(created.fieldErrors);
      else setMessage(failureMessage(created));
      return;
    }
    if (assigned && assigned.kind !== 'ok') {
      setMessage(`The lesion was saved, but the screening could not be added to it: ${failureMessage(assigned)}`);
      return;
    }
    router.replace({ pathname: '/screening/lesions/[id]', params: { id: created.data.id } });
  }

  return (
    <Screen testID="screen-lesion-new">
      {screening ? <Text style={styles.lead}>The screening you came from will be added to this lesion.</Text> : null}
      <FormMessage text={message} testID="lesion-new-message" />
      <TextField label="Name" testID="lesion-name" value={name} onChangeText={setName} error={errors.name} maxLength={80} placeholder="e.g. mole on left shoulder" />
      <View style={styles.row}>
        <Chip label="Front" selected={view === 'front'} onPress={() => setView('front')} testID="lesion-view-front" />
        <Chip label="Back" selected={view === 'back'} onPress={() => setView('back')} testID="lesion-view-back" />
      </View>
      <BodyMap view={view} point={point} onPlace={(x, y) => setPoint({ x, y })} testID="lesion-map" />
      {errors.point ? (
        <Text style={styles.error} testID="lesion-map-error" role="alert">
          {errors.point}
        </Text>
      ) : point ? (
        <Text style={styles.muted} testID="lesion-map-placed">
          Placed on the {view}. Tap again to move it.
        </Text>
      ) : (
        <Text style={styles.muted}>Tap the map where the lesion is.</Text>
      )}
      <TextField label="Region (optional)" testID="lesion-region" value={region} onChangeText={setRegion} error={errors.body_region} maxLength={64} placeholder="e.g. left forearm" />
      <TextField label="Notes (optional)" testID="lesion-notes" value={notes} onChangeText={setNotes} error={errors.notes} maxLength={500} multiline />
      <Button title={screening ? 'Save and add the screening' : 'Save lesion'} testID="lesion-save" busy={create.isPending} onPress={() => void submit()} />
    </Screen>
  );
}

const round = (v: number) => Math.round(v * 1000) / 1000;

const styles = StyleSheet.create({
  lead: { fontSize: font.body, color: colors.text, marginBottom: space.md },
  row: { flexDirection: 'row', justifyContent: 'center' },
  muted: { fontSize: font.small, color: colors.muted, textAlign: 'center', marginBottom: space.md },
  error: { fontSize: font.small, color: colors.danger, textAlign: 'center', marginBottom: space.md },
});
