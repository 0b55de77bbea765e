/** Page frame: safe area, scrolling, a heading and an offline banner driven by NetInfo. */
import type { ReactNode } from 'react';
import { ScrollView, StyleSheet, Text, View } from 'react-native';
import { SafeAreaView } from 'react-native-safe-area-context';

import { useOnline } from '@/lib/network';
import { colors, font, space } from './theme';

type Props = { title?: string; children: ReactNode; testID: string; scroll?: boolean };

export function Screen({ title, children, testID, scroll = true }: Props) {
  const online = useOnline();
  const body = (
    <>
      {title ? (
        <Text style={styles.heading} accessibilityRole="header" testID={`${testID}-title`}>
          {title}
        </Text>
      ) : null}
      {children}
    </>
  );
  return (
    <SafeAreaView style={styles.safe} edges={['left', 'right', 'bottom']} testID={testID}>
      {online ? null : (
        <View style={styles.banner} testID="offline-banner" role="status">
          <Text style={styles.bannerText}>Offline: showing what was loaded before.</Text>
        </View>
      )}
      {scroll ? (
        <ScrollView contentContainerStyle={styles.content} keyboardShouldPersistTaps="handled">
          {body}
        </ScrollView>
      ) : (
        <View style={[styles.content, styles.fill]}>{body}</View>
      )}
    </SafeAreaView>
  );
}

export function Card({ children, testID }: { children: ReactNode; testID?: string }) {
  return (
    <View style={styles.card} testID={testID}>
      {children}
    </View>
  );
}

const styles = StyleSheet.create({
  safe: { flex: 1, backgroundColor: colors.bg },
  content: { padding: space.lg, maxWidth: 720, width: '100%', alignSelf: 'center' },
  fill: { flex: 1 },
  heading: { fontSize: font.heading, fontWeight: '700', color: colors.text, marginBottom: space.md },
  banner: { backgroundColor: '#FFF8C5', padding: space.sm },
  bannerText: { color: colors.warning, textAlign: 'center', fontSize: font.small },
  card: {
    backgroundColor: colors.card,
    borderRadius: 10,
    borderWidth: 1,
    borderColor: colors.border,
    padding: space.md,
    marginBottom: space.md,
  },
});
