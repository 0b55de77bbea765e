/** One bar per class, largest first, with the contract's display names; colour by the class's risk group. */
import { StyleSheet, Text, View } from 'react-native';

import { DISPLAY_NAMES, LABELS, RISK_GROUP, type Label } from '@/contract';
import { colors, font, space } from '@/ui/theme';
import { percent } from './riskText';

const BAR_COLOUR = { high: colors.danger, medium: colors.warning, low: colors.primary } as const;

export function ProbabilityBars({ probabilities, testID }: { probabilities: readonly number[]; testID: string }) {
  const rows = LABELS.map((label, i) => ({ label, p: probabilities[i] ?? 0 })).sort((a, b) => b.p - a.p);
  return (
    <View testID={testID} style={styles.wrap}>
      {rows.map(({ label, p }) => (
        <Bar key={label} label={label} p={p} testID={`${testID}-${label}`} />
      ))}
    </View>
  );
}

function Bar({ label, p, testID }: { label: Label; p: number; testID: string }) {
  const width = `${Math.round(Math.max(0, Math.min(1, p)) * 1000) / 10}%` as const;
  return (
    <View testID={testID} style={styles.row} accessible accessibilityLabel={`${DISPLAY_NAMES[label]}: ${percent(p)}`}>
      <View style={styles.labels}>
        <Text style={styles.name} numberOfLines={2}>
          {DISPLAY_NAMES[label]}
        </Text>
        <Text style={styles.value}>{percent(p)}</Text>
      </View>
      <View style={styles.track}>
        <View style={[styles.fill, { width, backgroundColor: BAR_COLOUR[RISK_GROUP[label]] }]} />
      </View>
    </View>
  );
}

const styles = StyleSheet.create({
  wrap: { gap: space.sm },
  row: { gap: 2 },
  labels: { flexDirection: 'row', justifyContent: 'space-between', gap: space.sm },
  name: { flex: 1, fontSize: font.small, color: colors.text },
  value: { fontSize: font.small, color: colors.text, fontWeight: '600', fontVariant: ['tabular-nums'] },
  track: { height: 8, borderRadius: 4, backgroundColor: colors.border, overflow: 'hidden' },
  fill: { height: 8, borderRadius: 4 },
});
