/**
 * Screenings kept on this phone until the clinic's server has them: each one's state (waiting,
 * sending, synced, failed with the server's reason), attempts and next try, and "Try again now".
 */
import { router } from 'expo-router';
import { useState } from 'react';
import { StyleSheet, Text, View } from 'react-native';

import { DISPLAY_NAMES } from '@/contract';
import { useUserTimeZone } from '@/features/appointments/queries';
import { formatDateTime } from '@/lib/format';
import { useOnline } from '@/lib/network';
import { Button } from '@/ui/Button';
import { Card, Screen } from '@/ui/Screen';
import { EmptyState, FormMessage } from '@/ui/States';
import { colors, font, space } from '@/ui/theme';
import { retryOutboxItem, useOutbox } from '../engine';
import type { OutboxItem } from '../engine.types';

const STATE: Readonly<Record<OutboxItem['status'], { label: string; colour: string }>> = {
  queued: { label: 'Waiting to send', colour: colors.warning },
  sending: { label: 'Sending…', colour: colors.primary },
  synced: { label: 'Synced', colour: colors.success },
  failed: { label: 'Not sent', colour: colors.danger },
};

function Row({ item, timeZone }: { item: OutboxItem; timeZone: string }) {
  const state = STATE[item.status];
  return (
    <Card testID={`queue-item-${item.clientUuid}`}>
      <View style={styles.head}>
        <Text style={styles.when}>{formatDateTime(item.capturedAt, timeZone)}</Text>
        <Text style={[styles.state, { color: state.colour }]} testID={`queue-state-${item.clientUuid}`}>
          {state.label}
        </Text>
      </View>
      <Text style={styles.body}>
        {!item.device
          ? 'Not screened on this device (no model was ready).'
          : item.device.outcome === 'cannot_assess'
            ? `On this device: cannot assess, retake the photo or see a clinician (model ${item.device.modelVersion})`
            : `On this device: ${DISPLAY_NAMES[item.device.topLabel]} (model ${item.device.modelVersion})`}
      </Text>
      {item.attempts ? <Text style={styles.muted}>{item.attempts === 1 ? 'Tried once' : `Tried ${item.attempts} times`}</Text> : null}
      {item.status === 'queued' && item.nextAttemptAt ? <Text style={styles.muted}>Next try {formatDateTime(item.nextAttemptAt, timeZone)}</Text> : null}
      {item.status === 'failed' ? (
        <>
          <Text style={styles.error} testID={`queue-error-${item.clientUuid}`}>
            {item.lastError ?? 'The server refused it.'}
          </Text>
          <Button variant="secondary" title="Send it again" testID={`queue-retry-${item.clientUuid}`} onPress={() => void retryOutboxItem(item.clientUuid)} />
        </>
      ) : item.lastError && item.status !== 'synced' ? (
        <Text style={styles.muted}>Last problem: {item.lastError}</Text>
      ) : null}
      {item.status === 'synced' && item.screeningId ? (
        <Button
          variant="secondary"
          title="Open the clinic’s answer"
          testID={`queue-open-${item.clientUuid}`}
          onPress={() => router.push({ pathname: '/screening/detail/[id]', params: { id: item.screeningId ?? '' } })}
        />
      ) : null}
    </Card>
  );
}

export function QueueScreen() {
  const tz = useUserTimeZone();
  const online = useOnline();
  const { items, flush } = useOutbox();
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const sorted = [...items].sort((a, b) => b.capturedAt.localeCompare(a.capturedAt));
  const pending = items.filter((i) => i.status === 'queued').length;

  async function retry() {
    setBusy(true);
    setMessage(null);
    try {
      // Now means now: each waiting item's back-off is reset, then the queue is flushed.
      const waiting = items.filter((i) => i.status === 'queued');
      for (const item of waiting) await retryOutboxItem(item.clientUuid);
      if (!waiting.length) await flush();
    } catch (error) {
      setMessage(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Screen testID="screen-screening-queue" title="Waiting to sync">
      <Text style={styles.intro}>
        Screenings made without a connection are kept on this phone and sent to the clinic’s server when you are back online. Sending twice never creates a duplicate.
      </Text>
      {!online ? <Text style={styles.muted}>You are offline: nothing can be sent right now.</Text> : null}
      <FormMessage text={message} testID="queue-message" />
      {pending ? <Button title="Try again now" testID="queue-retry" busy={busy} disabled={!online} onPress={() => void retry()} /> : null}
      {sorted.length === 0 ? (
        <EmptyState title="Nothing is waiting" body="Everything you screened has reached the clinic’s server." />
      ) : (
        <View testID="queue-list">
          {sorted.map((item) => (
            <Row key={item.clientUuid} item={item} timeZone={tz} />
          ))}
        </View>
      )}
    </Screen>
  );
}

const styles = StyleSheet.create({
  intro: { fontSize: font.body, color: colors.text, marginBottom: space.md },
  head: { flexDirection: 'row', justifyContent: 'space-between', alignItems: 'center', marginBottom: space.xs },
  when: { fontSize: font.body, fontWeight: '600', color: colors.text },
  state: { fontSize: font.small, fontWeight: '700' },
  body: { fontSize: font.body, color: colors.text },
  muted: { fontSize: font.small, color: colors.muted, marginTop: 2 },
  error: { fontSize: font.small, color: colors.danger, marginTop: space.xs },
});
