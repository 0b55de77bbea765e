/** The photo check's verdict with what to do about each issue. */
import { StyleSheet, Text, View } from 'react-native';

import { colors, font, space } from '@/ui/theme';
import type { QualityReport } from '../engine.types';
import { RETAKE_ADVICE } from '../quality';

export function QualityVerdict({ report }: { report: QualityReport }) {
  if (report.ok) {
    return (
      <View style={[styles.box, styles.ok]} testID="quality-ok" role="status">
        <Text style={styles.okTitle}>Photo looks usable</Text>
        <Text style={styles.body}>Light, focus and framing are fine for screening.</Text>
      </View>
    );
  }
  return (
    <View style={[styles.box, styles.bad]} testID="quality-issues" role="alert">
      <Text style={styles.badTitle}>Please retake the photo</Text>
      {report.issues.map((issue) => (
        <View key={issue} testID={`quality-issue-${issue}`} style={styles.issue}>
          <Text style={styles.issueTitle}>{RETAKE_ADVICE[issue].title}</Text>
          <Text style={styles.body}>{RETAKE_ADVICE[issue].advice}</Text>
        </View>
      ))}
      <Text style={styles.note}>A poor photo makes any screening result unreliable.</Text>
    </View>
  );
}

const styles = StyleSheet.create({
  box: { borderRadius: 10, borderWidth: 1, padding: space.md, marginBottom: space.md, gap: space.xs },
  ok: { backgroundColor: '#DAFBE1', borderColor: colors.success },
  bad: { backgroundColor: '#FFF8C5', borderColor: colors.warning },
  okTitle: { fontSize: font.body, fontWeight: '700', color: colors.success },
  badTitle: { fontSize: font.body, fontWeight: '700', color: colors.warning },
  issue: { marginTop: space.xs },
  issueTitle: { fontSize: font.body, fontWeight: '600', color: colors.text },
  body: { fontSize: font.small, color: colors.text },
  note: { fontSize: font.small, color: colors.muted, marginTop: space.xs },
});
