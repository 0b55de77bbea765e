/** Clinicians' reviews of a screening, as the patient (and other clinicians) see them. */
import { StyleSheet, Text, View } from 'react-native';

import type { Review } from '../api';
import { formatDateTime } from '@/lib/format';
import { Card } from '@/ui/Screen';
import { colors, font, space } from '@/ui/theme';

export function ReviewList({ reviews, timeZone, testID }: { reviews: Review[]; timeZone: string; testID: string }) {
  if (reviews.length === 0) {
    return (
      <Text style={styles.muted} testID={`${testID}-none`}>
        Not reviewed by a clinician yet.
      </Text>
    );
  }
  return (
    <View testID={testID}>
      {reviews.map((r) => (
        <Card key={r.id} testID={`${testID}-${r.id}`}>
          <Text style={styles.title}>
            {r.clinician_name}: <Text testID={`${testID}-${r.id}-impression`}>{r.impression_display}</Text>
          </Text>
          {r.note ? (
            <Text style={styles.body} testID={`${testID}-${r.id}-note`}>
              {r.note}
            </Text>
          ) : null}
          {r.follow_up_weeks ? <Text style={styles.body}>Check again in {r.follow_up_weeks} weeks.</Text> : null}
          <Text style={styles.muted}>
            {formatDateTime(r.updated_at, timeZone)}
            {r.revision > 1 ? ` · amended (version ${r.revision})` : ''}
          </Text>
        </Card>
      ))}
    </View>
  );
}

const styles = StyleSheet.create({
  title: { fontSize: font.body, fontWeight: '700', color: colors.text },
  body: { fontSize: font.body, color: colors.text, marginTop: space.xs },
  muted: { fontSize: font.small, color: colors.muted, marginTop: space.xs },
});
