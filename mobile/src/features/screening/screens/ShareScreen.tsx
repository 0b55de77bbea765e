/**
 * Share one screening with my clinician: the clinicians I have (or had) appointments with, each with
 * "Share" or "Stop sharing". Sharing lets that clinician see the screening and its photo.
 */
import { router, useLocalSearchParams } from 'expo-router';
import { useState, type ReactNode } from 'react';
import { StyleSheet, Text, View } from 'react-native';

import { asFailure, failureMessage } from '@/api/result';
import { useMyAppointmentsQuery } from '@/features/appointments/queries';
import type { Clinician } from '@/features/appointments/types';
import { Button } from '@/ui/Button';
import { Card, Screen } from '@/ui/Screen';
import { EmptyState, ErrorState, FormMessage, LoadingState } from '@/ui/States';
import { colors, font, space } from '@/ui/theme';
import { useShareMutation, useSharesQuery, useUnshareMutation } from '../queries';

/** Clinicians of my appointments, once each, cancelled-only ones left out. */
export function myClinicians(appointments: { clinician: Clinician; status: string }[]): Clinician[] {
  const seen = new Map<number, Clinician>();
  for (const a of appointments) if (a.status !== 'cancelled' && !seen.has(a.clinician.id)) seen.set(a.clinician.id, a.clinician);
  return [...seen.values()].sort((a, b) => a.full_name.localeCompare(b.full_name));
}

export function ShareScreen() {
  const { id = '' } = useLocalSearchParams<{ id: string }>();
  const appointments = useMyAppointmentsQuery();
  const shares = useSharesQuery(id);
  const share = useShareMutation(id);
  const unshare = useUnshareMutation(id);
  const [busyId, setBusyId] = useState<number | null>(null);
  const [message, setMessage] = useState<{ text: string; tone: 'error' | 'success' } | null>(null);

  const clinicians = myClinicians(appointments.data?.pages.flatMap((p) => p.items) ?? []);
  const sharedWith = new Set((shares.data ?? []).map((s) => s.clinician_id));

  async function toggle(c: Clinician) {
    setBusyId(c.id);
    setMessage(null);
    const shared = sharedWith.has(c.id);
    const result = shared ? await unshare.mutateAsync(c.id) : await share.mutateAsync(c.id);
    setBusyId(null);
    if (result.kind === 'ok') setMessage({ text: shared ? `${c.full_name} can no longer see this screening.` : `Shared with ${c.full_name}.`, tone: 'success' });
    else setMessage({ text: failureMessage(result), tone: 'error' });
  }

  let body: ReactNode;
  if (appointments.data === undefined || shares.data === undefined) {
    const error = appointments.error ?? shares.error;
    body = error ? (
      <ErrorState
        failure={asFailure(error)}
        onRetry={() => {
          void appointments.refetch();
          void shares.refetch();
        }}
      />
    ) : (
      <LoadingState label="Loading your clinicians…" />
    );
  } else if (clinicians.length === 0) {
    body = (
      <EmptyState
        title="No clinician to share with yet"
        body="You can share a screening with a clinician you have an appointment with."
        action={{ title: 'Book an appointment', testID: 'share-book', onPress: () => router.push('/appointments/book') }}
      />
    );
  } else {
    body = (
      <View testID="share-list">
        {clinicians.map((c) => {
          const shared = sharedWith.has(c.id);
          return (
            <Card key={c.id} testID={`share-clinician-${c.id}`}>
              <Text style={styles.name}>{c.full_name}</Text>
              <Text style={styles.muted}>{[c.speciality, c.clinic].filter(Boolean).join(' · ')}</Text>
              <Text style={[styles.state, shared && styles.shared]} testID={`share-state-${c.id}`}>
                {shared ? 'Can see this screening' : 'Cannot see this screening'}
              </Text>
              <Button
                variant={shared ? 'secondary' : 'primary'}
                title={shared ? 'Stop sharing' : 'Share'}
                testID={`share-toggle-${c.id}`}
                busy={busyId === c.id}
                disabled={busyId !== null && busyId !== c.id}
                onPress={() => void toggle(c)}
              />
            </Card>
          );
        })}
        {appointments.hasNextPage ? <Button variant="secondary" title="Load more" testID="share-more" onPress={() => void appointments.fetchNextPage()} /> : null}
      </View>
    );
  }

  return (
    <Screen testID="screen-screening-share" title="Share with my clinician">
      <Text style={styles.intro}>The clinician will see the photo, the result and your note. You can stop sharing at any time.</Text>
      <FormMessage text={message?.text} tone={message?.tone} testID="share-message" />
      {body}
    </Screen>
  );
}

const styles = StyleSheet.create({
  intro: { fontSize: font.body, color: colors.text, marginBottom: space.md },
  name: { fontSize: font.body, fontWeight: '600', color: colors.text },
  muted: { fontSize: font.small, color: colors.muted },
  state: { fontSize: font.small, color: colors.muted, marginVertical: space.xs },
  shared: { color: colors.success, fontWeight: '600' },
});
