/** A selectable pill (filters, tags, slots). */
import { Pressable, StyleSheet, Text } from 'react-native';

import { colors, font, space } from './theme';

export function Chip({ label, selected = false, onPress, testID, accessibilityLabel }: { label: string; selected?: boolean; onPress: () => void; testID: string; accessibilityLabel?: string }) {
  return (
    <Pressable
      testID={testID}
      onPress={onPress}
      accessibilityRole="button"
      accessibilityLabel={accessibilityLabel ?? label}
      accessibilityState={{ selected }}
      style={[styles.chip, selected && styles.selected]}
    >
      <Text style={[styles.text, selected && styles.selectedText]}>{label}</Text>
    </Pressable>
  );
}

const styles = StyleSheet.create({
  chip: { borderWidth: 1, borderColor: colors.border, borderRadius: 16, paddingHorizontal: space.md, paddingVertical: space.xs + 2, backgroundColor: colors.card, marginRight: space.sm, marginBottom: space.sm },
  selected: { backgroundColor: colors.primary, borderColor: colors.primary },
  text: { color: colors.text, fontSize: font.small },
  selectedText: { color: colors.primaryText, fontWeight: '600' },
});
