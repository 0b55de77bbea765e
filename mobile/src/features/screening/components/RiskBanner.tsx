/** The result's headline: risk wording, the most similar class and what to do next (the server's or the engine's wording when given). */
import { StyleSheet, Text, View } from 'react-native';

import { DISPLAY_NAMES, type Label, type RiskLevel } from '@/contract';
import { colors, font, space } from '@/ui/theme';
import { percent, RISK_WORDING } from './riskText';

const TONE = {
  high: { bg: '#FFEBE9', border: colors.danger, text: colors.danger },
  medium: { bg: '#FFF8C5', border: colors.warning, text: colors.warning },
  low: { bg: '#DDF4FF', border: colors.primary, text: colors.primary },
} as const;

type Props = { risk: RiskLevel; topLabel: Label; confidence: number; action?: string; testID: string };

export function RiskBanner({ risk, topLabel, confidence, action, testID }: Props) {
  const wording = RISK_WORDING[risk];
  const tone = TONE[risk];
  return (
    <View testID={testID} style={[styles.box, { backgroundColor: tone.bg, borderColor: tone.border }]} role="status">
      <Text style={[styles.title, { color: tone.text }]} accessibilityRole="header" testID={`${testID}-risk`}>
        {wording.title}
      </Text>
      <Text style={styles.body} testID={`${testID}-top`}>
        Most similar to: {DISPLAY_NAMES[topLabel]} ({percent(confidence)})
      </Text>
      {action ? null : <Text style={styles.body}>{wording.summary}</Text>}
      <Text style={[styles.body, styles.action]} testID={`${testID}-action`}>
        {action || wording.action}
      </Text>
    </View>
  );
}

const styles = StyleSheet.create({
  box: { borderWidth: 1, borderRadius: 10, padding: space.md, marginBottom: space.md, gap: space.xs },
  title: { fontSize: font.title, fontWeight: '700' },
  body: { fontSize: font.body, color: colors.text },
  action: { fontWeight: '600' },
});
