/** The result's headline: risk wording, the most similar class and what to do next (the server's or the engine's wording when given). */
import { StyleSheet, Text, View } from 'react-native';

import { DISPLAY_NAMES, HIGH_RISK_LABELS, LABELS, RISK_GROUP, type Label, type RiskLevel } from '@/contract';
import { colors, font, space } from '@/ui/theme';
import { percent, RISK_WORDING } from './riskText';

const TONE = {
  high: { bg: '#FFEBE9', border: colors.danger, text: colors.danger },
  medium: { bg: '#FFF8C5', border: colors.warning, text: colors.warning },
  low: { bg: '#DDF4FF', border: colors.primary, text: colors.primary },
} as const;

type Props = { risk: RiskLevel; topLabel: Label; confidence: number; probabilities: readonly number[]; action?: string; testID: string };

/**
 * A high risk whose most similar type is not itself high-risk comes from the high-risk types adding
 * up (the contract's rule): say so, or "most similar to: nevus" under "higher risk" reads as a contradiction.
 */
function highRiskMassNote(risk: RiskLevel, topLabel: Label, probabilities: readonly number[]): string | null {
  if (risk !== 'high' || RISK_GROUP[topLabel] === 'high') return null;
  const mass = HIGH_RISK_LABELS.reduce((sum, label) => sum + (probabilities[LABELS.indexOf(label)] ?? 0), 0);
  const names = HIGH_RISK_LABELS.map((l) => DISPLAY_NAMES[l].toLowerCase()).join(', ');
  return `Lesion types that can be malignant (${names}) together reach ${percent(mass)}, which is enough to treat it as higher risk.`;
}

export function RiskBanner({ risk, topLabel, confidence, probabilities, action, testID }: Props) {
  const wording = RISK_WORDING[risk];
  const tone = TONE[risk];
  const massNote = highRiskMassNote(risk, topLabel, probabilities);
  return (
    <View testID={testID} style={[styles.box, { backgroundColor: tone.bg, borderColor: tone.border }]} role="status">
      <Text style={[styles.title, { color: tone.text }]} accessibilityRole="header" testID={`${testID}-risk`}>
        {wording.title}
      </Text>
      <Text style={styles.body} testID={`${testID}-top`}>
        Most similar to: {DISPLAY_NAMES[topLabel]} ({percent(confidence)})
      </Text>
      {massNote ? (
        <Text style={styles.body} testID={`${testID}-mass`}>
          {massNote}
        </Text>
      ) : action ? null : (
        <Text style={styles.body}>{wording.summary}</Text>
      )}
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
