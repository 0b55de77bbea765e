/** The one button: primary, secondary or danger; shows a spinner while busy and is then disabled. */
import { ActivityIndicator, Pressable, StyleSheet, Text } from 'react-native';

import { colors, font, space } from './theme';

type Props = {
  title: string;
  onPress: () => void;
  testID: string;
  variant?: 'primary' | 'secondary' | 'danger';
  busy?: boolean;
  disabled?: boolean;
  accessibilityHint?: string;
  /** What a screen reader says, when the visible title is a symbol such as + or −. */
  accessibilityLabel?: string;
};

export function Button({ title, onPress, testID, variant = 'primary', busy = false, disabled = false, accessibilityHint, accessibilityLabel }: Props) {
  const inactive = disabled || busy;
  return (
    <Pressable
      testID={testID}
      accessibilityRole="button"
      accessibilityLabel={accessibilityLabel ?? title}
      accessibilityHint={accessibilityHint}
      accessibilityState={{ disabled: inactive, busy }}
      disabled={inactive}
      onPress={onPress}
      style={({ pressed }) => [styles.base, styles[variant], inactive && styles.inactive, pressed && styles.pressed]}
    >
      {busy ? (
        <ActivityIndicator color={variant === 'secondary' ? colors.primary : colors.primaryText} />
      ) : (
        <Text style={[styles.label, variant === 'secondary' && styles.secondaryLabel]}>{title}</Text>
      )}
    </Pressable>
  );
}

const styles = StyleSheet.create({
  base: { minHeight: 44, borderRadius: 8, paddingHorizontal: space.lg, alignItems: 'center', justifyContent: 'center', marginVertical: space.xs },
  primary: { backgroundColor: colors.primary },
  secondary: { backgroundColor: colors.card, borderWidth: 1, borderColor: colors.primary },
  danger: { backgroundColor: colors.danger },
  inactive: { opacity: 0.5 },
  pressed: { opacity: 0.8 },
  label: { color: colors.primaryText, fontSize: font.body, fontWeight: '600' },
  secondaryLabel: { color: colors.primary },
});
