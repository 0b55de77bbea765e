/** My lesions: on the body map (front / back) and as a list; each opens its timeline. */
import { router } from 'expo-router';
import { useState } from 'react';
import { StyleSheet, Text, View } from 'react-native';

import type { BodyView } from '../api';
import { BodyMap } from '../components/BodyMap';
import { useLesionsQuery } from '../queries';
import { useUserTimeZone } from '@/features/appointments/queries';
import { formatDate } from '@/lib/format';
import { Button } from '@/ui/Button';
import { Chip } from '@/ui/Chip';
import { ListItem } from '@/ui/ListItem';
import { QueryView } from '@/ui/QueryView';
import { Screen } from '@/ui/Screen';
import { colors, font, space } from '@/ui/theme';

const open = (id: string) => router.push({ pathname: '/screening/lesions/[id]', params: { id } });

export function LesionsScreen() {
  const lesions = useLesionsQuery();
  const tz = useUserTimeZone();
  const [view, setView] = useState<BodyView>('front');
  return (
    <Screen testID="screen-lesions">
      <Button title="Add a lesion" testID="lesions-new" onPress={() => router.push('/screening/lesions/new')} />
      <QueryView
        query={lesions}
        loadingLabel="Loading your lesions…"
        isEmpty={(items) => items.length === 0}
        empty={{ title: 'No lesions yet', body: 'Add a spot you want to follow, or add a screening to a lesion from its result.' }}
      >
        {(items) => (
          <View>
            <View style={styles.row}>
              <Chip label="Front" selected={view === 'front'} onPress={() => setView('front')} testID="lesions-view-front" />
              <Chip label="Back" selected={view === 'back'} onPress={() => setView('back')} testID="lesions-view-back" />
            </View>
            <BodyMap
              view={view}
              testID="lesions-map"
              spots={items.filter((l) => l.body_view === view).map((l) => ({ id: l.id, x: l.body_x, y: l.body_y, label: `${l.name}: open its timeline` }))}
              onSpotPress={open}
            />
            <Text style={styles.heading} accessibilityRole="header">
              All lesions
            </Text>
            {items.map((l) => (
              <ListItem
                key={l.id}
                testID={`lesion-${l.id}`}
                title={l.name}
                subtitle={[l.body_region || (l.body_view === 'front' ? 'front' : 'back'), `${l.screening_count} screening${l.screening_count === 1 ? '' : 's'}`].join(' · ')}
                detail={l.follow_up_due_at ? `Follow-up reminder: ${formatDate(l.follow_up_due_at, tz)}` : undefined}
                onPress={() => open(l.id)}
              />
            ))}
          </View>
        )}
      </QueryView>
    </Screen>
  );
}

const styles = StyleSheet.create({
  row: { flexDirection: 'row', flexWrap: 'wrap', justifyContent: 'center', marginTop: space.md },
  heading: { fontSize: font.title, fontWeight: '600', color: colors.text, marginVertical: space.sm },
});
