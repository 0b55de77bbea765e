/** A tappable card row with a title, subtitle and optional trailing text. */
import { Pressable, StyleSheet, Text, View } from 'react-native';

import { colors, font, space } from './theme';

type Props = { title: string; subtitle?: string; detail?: string; trailing?: string; onPress?: () => void; testID: string; accessibilityLabel?: string };

export function ListItem({ title, subtitle, detail, trailing, onPress, testID, accessibilityLabel }: Props) {
  return (
    <Pressable
      testID={testID}
      onPress={onPress}
      disabled={!onPress}
      accessibilityRole={onPress ? 'button' : undefined}
      accessibilityLabel={accessibilityLabel ?? [title, subtitle, trailing].filter(Boolean).join(', ')}
      style={({ pressed }) => [styles.item, pressed && styles.pressed]}
    >
      <View style={styles.body}>
        <Text style={styles.title}>{title}</Text>
        {subtitle ? <Text style={styles.subtitle}>{subtitle}</Text> : null}
        {detail ? <Text style={styles.detail} numberOfLines={3}>{detail}</Text> : null}
      </View>
      {trailing ? <Text style={styles.trailing}>{trailing}</Text> : null}
    </Pressable>
  );
}

const styles = StyleSheet.create({
  item: { flexDirection: 'row', alignItems: 'center', backgroundColor: colors.card, borderWidth: 1, borderColor: colors.border, borderRadius: 10, padding: space.md, marginBottom: space.sm, gap: space.md },
  pressed: { opacity: 0.7 },
  body: { flex: 1, gap: 2 },
  title: { fontSize: font.body, fontWeight: '600', color: colors.text },
  subtitle: { fontSize: font.small, color: colors.muted },
  detail: { fontSize: font.small, color: colors.text, marginTop: space.xs },
  trailing: { fontSize: font.body, fontWeight: '600', color: colors.text },
});
