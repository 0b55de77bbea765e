/** Loading, empty, error and offline states, the same on every screen. */
import { ActivityIndicator, StyleSheet, Text, View } from 'react-native';

import { Button } from './Button';
import { colors, font, space } from './theme';
import { failureMessage, type ApiFailure } from '@/api/result';

export function LoadingState({ label = 'Loading…', testID = 'state-loading' }: { label?: string; testID?: string }) {
  return (
    <View style={styles.centre} testID={testID} accessibilityRole="progressbar" accessibilityLabel={label}>
      <ActivityIndicator size="large" color={colors.primary} />
      <Text style={styles.muted}>{label}</Text>
    </View>
  );
}

export function EmptyState({ title, body, testID = 'state-empty', action }: { title: string; body?: string; testID?: string; action?: { title: string; onPress: () => void; testID: string } }) {
  return (
    <View style={styles.centre} testID={testID}>
      <Text style={styles.title} accessibilityRole="header">
        {title}
      </Text>
      {body ? <Text style={styles.muted}>{body}</Text> : null}
      {action ? <Button variant="secondary" {...action} /> : null}
    </View>
  );
}

/** Renders a failure: offline gets its own wording and testID so people know it is the network. */
export function ErrorState({ failure, onRetry, testID }: { failure: ApiFailure; onRetry?: () => void; testID?: string }) {
  const offline = failure.kind === 'offline';
  return (
    <View style={styles.centre} testID={testID ?? (offline ? 'state-offline' : 'state-error')} role="alert">
      <Text style={styles.title} accessibilityRole="header">
        {offline ? 'You are offline' : 'Something went wrong'}
      </Text>
      <Text style={styles.muted}>{failureMessage(failure)}</Text>
      {onRetry ? <Button variant="secondary" title="Try again" onPress={onRetry} testID="state-retry" /> : null}
    </View>
  );
}

/** An inline message above a form (e.g. "E-mail or password is incorrect."). */
export function FormMessage({ text, tone = 'error', testID = 'form-message' }: { text?: string | null; tone?: 'error' | 'success'; testID?: string }) {
  if (!text) return null;
  return (
    <Text testID={testID} role="alert" accessibilityLiveRegion="polite" style={[styles.message, tone === 'success' ? styles.success : styles.error]}>
      {text}
    </Text>
  );
}

const styles = StyleSheet.create({
  centre: { flex: 1, alignItems: 'center', justifyContent: 'center', padding: space.xl, gap: space.sm, minHeight: 200 },
  title: { fontSize: font.title, fontWeight: '600', color: colors.text, textAlign: 'center' },
  muted: { fontSize: font.body, color: colors.muted, textAlign: 'center' },
  message: { fontSize: font.body, padding: space.md, borderRadius: 8, marginBottom: space.md },
  error: { color: colors.danger, backgroundColor: '#FFEBE9' },
  success: { color: colors.success, backgroundColor: '#DAFBE1' },
});
