/**
 * The result's headline when the model could not assess the photo (the bundle's "cannot assess" rule):
 * no lesion type, no risk level, no probabilities - only what to do next.
 */
import { StyleSheet, Text, View } from 'react-native';

import { CANNOT_ASSESS_MESSAGE } from '@/contract';
import { colors, font, space } from '@/ui/theme';

type Props = { action?: string; testID: string };

export const CANNOT_ASSESS_TITLE = 'Cannot assess: retake the photo or see a clinician';

export function CannotAssessBanner({ action, testID }: Props) {
  return (
    <View testID={testID} style={styles.box} role="status">
      <Text style={styles.title} accessibilityRole="header" testID={`${testID}-title`}>
        {CANNOT_ASSESS_TITLE}
      </Text>
      <Text style={styles.body} testID={`${testID}-action`}>
        {action || CANNOT_ASSESS_MESSAGE}
      </Text>
      <Text style={styles.body}>Take a sharp, evenly lit close-up with the spot in the middle of the frame. If the spot worries you, see a clinician whatever the app says.</Text>
    </View>
  );
}

const styles = StyleSheet.create({
  box: { borderWidth: 1, borderRadius: 10, padding: space.md, marginBottom: space.md, gap: space.xs, backgroundColor: '#FFF8C5', borderColor: colors.warning },
  title: { fontSize: font.title, fontWeight: '700', color: colors.warning },
  body: { fontSize: font.body, color: colors.text },
});
