/** Put a screening on a lesion: one of mine, or a new one placed on the body map. */
import { router, useLocalSearchParams } from 'expo-router';
import { useState } from 'react';
import { StyleSheet, Text, View } from 'react-native';

import { useAssignMutation, useLesionsQuery } from '../queries';
import { failureMessage } from '@/api/result';
import { Button } from '@/ui/Button';
import { ListItem } from '@/ui/ListItem';
import { QueryView } from '@/ui/QueryView';
import { Screen } from '@/ui/Screen';
import { FormMessage } from '@/ui/States';
import { colors, font, space } from '@/ui/theme';

export function AssignLesionScreen() {
  const { id } = useLocalSearchParams<{ id: string }>();
  const screeningId = id ?? '';
  const lesions = useLesionsQuery();
  const assign = useAssignMutation(screeningId);
  const [message, setMessage] = useState<string | null>(null);

  async function choose(lesionId: string) {
    setMessage(null);
    const result = await assign.mutateAsync(lesionId);
    if (result.kind === 'ok') router.replace({ pathname: '/screening/lesions/[id]', params: { id: lesionId } });
    else setMessage(failureMessage(result));
  }

  return (
    <Screen testID="screen-lesion-assign">
      <Text style={styles.lead}>Which lesion is this? Screenings of the same lesion line up on its timeline, so you and your clinician can see how it changes.</Text>
      <FormMessage text={message} testID="assign-message" />
      <Button title="A new lesion" testID="assign-new" onPress={() => router.push({ pathname: '/screening/lesions/new', params: { screening: screeningId } })} />
      <QueryView query={lesions} loadingLabel="Loading your lesions…">
        {(items) =>
          items.length ? (
            <View>
              <Text style={styles.heading}>Or one you already follow</Text>
              {items.map((l) => (
                <ListItem key={l.id} testID={`assign-${l.id}`} title={l.name} subtitle={l.body_region || l.body_view} onPress={() => void choose(l.id)} />
              ))}
            </View>
          ) : null
        }
      </QueryView>
    </Screen>
  );
}

const styles = StyleSheet.create({
  lead: { fontSize: font.body, color: colors.text, marginBottom: space.md },
  heading: { fontSize: font.title, fontWeight: '600', color: colors.text, marginVertical: space.sm },
});
