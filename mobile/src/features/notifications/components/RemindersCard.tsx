/** Explains why we want notification permission before the system prompt appears. */
import { useEffect, useState } from 'react';
import { StyleSheet, Text } from 'react-native';

import { enablePush, pushPermission, pushSupported } from '../push';
import { failureMessage } from '@/api/result';
import { Button } from '@/ui/Button';
import { Card } from '@/ui/Screen';
import { FormMessage } from '@/ui/States';
import { colors, font, space } from '@/ui/theme';

export function RemindersCard() {
  const [state, setState] = useState<'unknown' | 'ask' | 'on' | 'denied'>('unknown');
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let alive = true;
    if (pushSupported) void pushPermission().then((p) => alive && setState(p === 'granted' ? 'on' : p === 'denied' ? 'denied' : 'ask'));
    return () => {
      alive = false;
    };
  }, []);

  if (!pushSupported) {
    return (
      <Card testID="reminders-card">
        <Text style={styles.muted}>In the browser, appointment reminders appear in the notification list under Profile. Install the phone app to get them as push notifications.</Text>
      </Card>
    );
  }
  if (state === 'unknown' || state === 'on') return null;
  return (
    <Card testID="reminders-card">
      <Text style={styles.title}>Get appointment reminders</Text>
      <Text style={styles.muted}>
        We send a reminder the day before and an hour before each appointment. Nothing else, and never your health data.
      </Text>
      <FormMessage text={message} />
      {state === 'denied' ? (
        <Text style={styles.muted}>Notifications are switched off for this app. You can turn them on in the system settings.</Text>
      ) : (
        <Button
          title="Enable reminders"
          testID="enable-reminders"
          busy={busy}
          onPress={async () => {
            setBusy(true);
            const outcome = await enablePush();
            setBusy(false);
            if (outcome.kind === 'registered') setState('on');
            else if (outcome.kind === 'denied') setState('denied');
            else setMessage(outcome.kind === 'unsupported' ? outcome.reason : failureMessage(outcome));
          }}
        />
      )}
    </Card>
  );
}

const styles = StyleSheet.create({
  title: { fontSize: font.body, fontWeight: '700', color: colors.text, marginBottom: space.xs },
  muted: { color: colors.muted, fontSize: font.small, marginBottom: space.sm },
});
