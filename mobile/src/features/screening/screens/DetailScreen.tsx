/**
 * One screening the server has: its photo (authenticated), the answer of record with per-class bars,
 * what to do, the on-device answer it was compared with, and actions: share with my clinician, book
 * an appointment (high risk), delete (after a confirmation).
 */
import { router, useLocalSearchParams } from 'expo-router';
import { useState, type ReactNode } from 'react';
import { StyleSheet, Text, View } from 'react-native';

import { failureMessage } from '@/api/result';
import { DISPLAY_NAMES, LABELS, type Label } from '@/contract';
import { useUserTimeZone } from '@/features/appointments/queries';
import { ReviewList } from '@/features/lesions/components/ReviewList';
import { formatDateTime } from '@/lib/format';
import { Button } from '@/ui/Button';
import { QueryView } from '@/ui/QueryView';
import { Card, Screen } from '@/ui/Screen';
import { FormMessage } from '@/ui/States';
import { colors, font, space } from '@/ui/theme';
import type { Screening } from '../api';
import { CannotAssessBanner } from '../components/CannotAssessBanner';
import { ProbabilityBars } from '../components/ProbabilityBars';
import { RiskBanner } from '../components/RiskBanner';
import { percent } from '../components/riskText';
import { ScreeningPhoto } from '../components/ScreeningPhoto';
import { useDeleteScreeningMutation, useScreeningQuery } from '../queries';

function isLabel(label: string): label is Label {
  return (LABELS as readonly string[]).includes(label);
}

function name(label: string): string {
  return isLabel(label) ? DISPLAY_NAMES[label] : label;
}

function Section({ title, children, testID }: { title: string; children: ReactNode; testID?: string }) {
  return (
    <Card testID={testID}>
      <Text style={styles.cardTitle}>{title}</Text>
      {children}
    </Card>
  );
}

function DeleteButton({ id }: { id: string }) {
  const remove = useDeleteScreeningMutation(id);
  const [confirming, setConfirming] = useState(false);
  const [message, setMessage] = useState<string | null>(null);

  async function confirm() {
    const result = await remove.mutateAsync();
    if (result.kind === 'ok' || result.kind === 'not_found') {
      router.replace('/screening/history');
      return;
    }
    setMessage(failureMessage(result));
  }

  if (!confirming) {
    return <Button variant="secondary" title="Delete this screening" testID="detail-delete" onPress={() => setConfirming(true)} />;
  }
  return (
    <Card testID="detail-delete-confirm">
      <Text style={styles.body}>Delete this screening and its photo for good? Clinicians you shared it with will no longer see it.</Text>
      <FormMessage text={message} testID="detail-delete-message" />
      <Button variant="danger" title="Delete for good" testID="detail-delete-yes" busy={remove.isPending} onPress={() => void confirm()} />
      <Button variant="secondary" title="Keep it" testID="detail-delete-no" onPress={() => setConfirming(false)} />
    </Card>
  );
}

function Detail({ s }: { s: Screening }) {
  const tz = useUserTimeZone();
  // "cannot assess" (outcome): the server withholds label, risk and probabilities; none is shown
  const assessed = s.outcome !== 'cannot_assess' && !!s.probabilities && !!s.risk;
  const probabilities = LABELS.map((l) => s.probabilities?.[l] ?? 0);
  const top = assessed && s.top_label && isLabel(s.top_label) ? s.top_label : null;
  return (
    <>
      <ScreeningPhoto id={s.id} testID="detail-photo" />
      <Text style={styles.meta} testID="detail-when">
        {formatDateTime(s.captured_at, tz)} · {s.source === 'sync' ? 'screened offline, synced later' : 'screened online'}
        {s.body_site ? ` · ${s.body_site}` : ''}
      </Text>
      {s.model_synthetic ? (
        <Text style={styles.synthetic} testID="detail-synthetic">
          Demonstration model trained on synthetic images: not for clinical use.
        </Text>
      ) : null}
      {!assessed ? <CannotAssessBanner action={s.recommended_action} testID="detail-cannot-assess" /> : null}
      {top && s.risk ? (
        <RiskBanner risk={s.risk} topLabel={top} confidence={s.probabilities?.[top] ?? 0} probabilities={probabilities} action={s.recommended_action} testID="detail-banner" />
      ) : null}
      {assessed && s.risk === 'high' ? <Button title="Book an appointment" testID="detail-book" onPress={() => router.push('/appointments/book')} /> : null}
      {assessed ? (
        <Section title="How closely the photo resembles each lesion type">
          <ProbabilityBars probabilities={probabilities} testID="detail-bars" />
          <Text style={styles.meta} testID="detail-model-version">
            Model {s.model_version} · answer of record from the clinic’s server
          </Text>
        </Section>
      ) : (
        <Text style={styles.meta} testID="detail-model-version">
          Model {s.model_version} · answer of record from the clinic’s server
        </Text>
      )}
      {s.device ? (
        <Section title="Compared with the answer on the phone" testID="detail-device">
          <Text style={styles.body}>
            Phone: {name(s.device.top_label)} ({percent(s.device.probabilities[s.device.top_label] ?? 0)}), model {s.device.model_version}
            {s.device.same_model_version ? '' : ' (a different version)'}
          </Text>
          <Text style={[styles.body, s.device.agrees_top1 ? styles.agree : styles.disagree]} testID="detail-agreement">
            {s.device.agrees_top1
              ? 'The phone and the server point to the same lesion type.'
              : 'The phone and the server disagree; the server’s answer is the one on record. Please have a clinician look at this lesion.'}
          </Text>
        </Section>
      ) : null}
      <Section title="Clinician review" testID="detail-review">
        <ReviewList reviews={s.reviews ?? []} timeZone={tz} testID="detail-reviews" />
      </Section>
      {s.note ? (
        <Section title="Your note">
          <Text style={styles.body}>{s.note}</Text>
        </Section>
      ) : null}
      <Text style={styles.disclaimer} testID="detail-disclaimer">
        {s.disclaimer}
      </Text>
      <View style={styles.actions}>
        {s.lesion_id ? (
          <Button variant="secondary" title="Open the lesion's timeline" testID="detail-lesion" onPress={() => router.push({ pathname: '/screening/lesions/[id]', params: { id: s.lesion_id ?? '' } })} />
        ) : (
          <Button variant="secondary" title="Add to a lesion" testID="detail-assign" onPress={() => router.push({ pathname: '/screening/assign/[id]', params: { id: s.id } })} />
        )}
        <Button
          variant="secondary"
          title="Share with my clinician"
          testID="detail-share"
          onPress={() => router.push({ pathname: '/screening/share/[id]', params: { id: s.id } })}
        />
        <DeleteButton id={s.id} />
      </View>
    </>
  );
}

export function DetailScreen() {
  const { id } = useLocalSearchParams<{ id: string }>();
  const screening = useScreeningQuery(id ?? '');
  return (
    <Screen testID="screen-screening-detail">
      <QueryView query={screening} loadingLabel="Loading the screening…">
        {(s) => <Detail s={s} />}
      </QueryView>
    </Screen>
  );
}

const styles = StyleSheet.create({
  cardTitle: { fontSize: font.small, fontWeight: '700', color: colors.muted, marginBottom: space.sm, textTransform: 'uppercase' },
  body: { fontSize: font.body, color: colors.text },
  meta: { fontSize: font.small, color: colors.muted, marginVertical: space.sm },
  synthetic: { fontSize: font.body, color: colors.danger, fontWeight: '700', marginBottom: space.sm },
  agree: { color: colors.success, marginTop: space.xs },
  disagree: { color: colors.danger, marginTop: space.xs },
  disclaimer: { fontSize: font.small, color: colors.muted, marginVertical: space.md },
  actions: { gap: space.xs },
});
