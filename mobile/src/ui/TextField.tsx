/** A labelled text input with its validation message underneath. */
import { StyleSheet, Text, TextInput, View, type TextInputProps } from 'react-native';

import { colors, font, space } from './theme';

type Props = Omit<TextInputProps, 'style'> & {
  label: string;
  testID: string;
  error?: string;
  hint?: string;
};

export function TextField({ label, error, hint, testID, ...input }: Props) {
  return (
    <View style={styles.wrap}>
      <Text style={styles.label} nativeID={`${testID}-label`}>
        {label}
      </Text>
      <TextInput
        testID={testID}
        accessibilityLabel={label}
        accessibilityHint={hint}
        aria-invalid={error ? true : undefined}
        placeholderTextColor={colors.muted}
        style={[styles.input, error ? styles.inputError : null]}
        {...input}
      />
      {hint && !error ? <Text style={styles.hint}>{hint}</Text> : null}
      {error ? (
        <Text testID={`${testID}-error`} style={styles.error} accessibilityLiveRegion="polite" role="alert">
          {error}
        </Text>
      ) : null}
    </View>
  );
}

const styles = StyleSheet.create({
  wrap: { marginBottom: space.md },
  label: { fontSize: font.small, color: colors.text, fontWeight: '600', marginBottom: space.xs },
  input: {
    borderWidth: 1,
    borderColor: colors.border,
    borderRadius: 8,
    backgroundColor: colors.card,
    paddingHorizontal: space.md,
    paddingVertical: space.sm,
    fontSize: font.body,
    color: colors.text,
    minHeight: 44,
  },
  inputError: { borderColor: colors.danger },
  hint: { fontSize: font.small, color: colors.muted, marginTop: space.xs },
  error: { fontSize: font.small, color: colors.danger, marginTop: space.xs },
});
