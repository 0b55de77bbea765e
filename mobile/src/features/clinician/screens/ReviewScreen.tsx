/**
 * A screening on the clinician's worklist: photo, the model's answer, the reviews so far with their
 * history, and my review (impression, note, follow-up weeks). Saving again amends it; every version stays.
 */
import { useLocalSearchParams } from 'expo-router';
import { useState } from 'react';
import { StyleSheet, Text, View } from 'react-native';

import type { ReviewDetail, ReviewInput } from '../api';
import { useReviewMutation } from '../queries';
import { failureMessage } from '@/api/result';
import { useUserTimeZone } from '@/features/appointments/queries';
import { useMeQuery } from '@/features/auth/queries';
import { useReviewsQuery } from '@/features/lesions/queries';
import type { Screening } from '@/features/screening/api';
import { percent } from '@/features/screening/components/riskText';
import { ScreeningPhoto } from '@/features/screening/components/ScreeningPhoto';
import { useScreeningQuery } from '@/features/screening/queries';
import { formatDateTime } from '@/lib/format';
import { Button } from '@/ui/Button';
import { Chip } from '@/ui/Chip';
import { QueryView } from '@/ui/QueryView';
import { Card, Screen } from '@/ui/Screen';
import { FormMessage } from '@/ui/States';
import { TextField } from '@/ui/TextField';
import { colors, font, space } from '@/ui/theme';

const IMPRESSIONS: { key: ReviewInput['impression']; label: string }[] = [
  { key: 'benign', label: 'Benign' },
  { key: 'monitor', label: 'Monitor' },
  { key: 'excise_or_biopsy', label: 'Excise or biopsy' },
  { key: 'refer_urgently', label: 'Refer urgently' },
];

type Message = { text: string; tone: 'error' | 'success' } | null;

function ReviewForm({ screeningId, mine, message, setMessage }: { screeningId: string; mine: ReviewDetail | undefined; message: Message; setMessage: (m: Message) => void }) {
  const save = useReviewMutation(screeningId);
  const [impression, setImpression] = useState<ReviewInput['impression'] | null>(mine?.impression as ReviewInput['impression'] | undefined ?? null);
  const [note, setNote] = useState(mine?.note ?? '');
  const [weeks, setWeeks] = useState(mine?.follow_up_weeks ? String(mine.follow_up_weeks) : '');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState(false);

  async function submit() {
    const found: Record<string, string> = {};
    if (!impression) found.impression = 'Choose an impression.';
    const n = weeks.trim() ? Number(weeks) : null;
    if (n !== null && !(Number.isInteger(n) && n >= 1 && n <= 104)) found.follow_up_weeks = 'Use a whole number of weeks from 1 to 104, or leave it empty.';
    setErrors(found);
    setMessage(null);
    if (Object.keys(found).length || !impression) return;
    const result = await save.mutateAsync({ impression, note: note.trim(), follow_up_weeks: n });
    if (result.kind === 'ok') {
      setSaved(true);
      setImpression(result.data.impression as ReviewInput['impression']);
      setNote(result.data.note);
      setWeeks(result.data.follow_up_weeks ? String(result.data.follow_up_weeks) : '');
      setMessage({ text: result.data.revision > 1 ? `Review amended (version ${result.data.revision}).` : 'Review saved. The patient can see it now.', tone: 'success' });
      return;
    }
    const fieldErrors = result.kind === 'validation' ? result.fieldErrors : {};
    setErrors(fieldErrors);
    if (!Object.keys(fieldErrors).length) setMessage({ text: failureMessage(result), tone: 'error' });
  }

  return (
    <Card testID="review-form">
      <Text style={styles.cardTitle}>{mine || saved ? 'Amend my review' : 'My review'}</Text>
      <FormMessage text={message?.text} tone={message?.tone} testID="review-message" />
      <Text style={styles.label}>Impression</Text>
      <View style={styles.row}>
        {IMPRESSIONS.map((i) => (
          <Chip key={i.key} label={i.label} selected={impression === i.key} onPress={() => setImpression(i.key)} testID={`review-impression-${i.key}`} />
        ))}
      </View>
      {errors.impression ? (
        <Text style={styles.error} testID="review-impression-error">
          {errors.impression}
        </Text>
      ) : null}
      <TextField label="Note for the patient (optional)" testID="review-note" value={note} onChangeText={setNote} error={errors.note} multiline maxLength={2000} />
      <TextField
        label="Follow up in (weeks, optional)"
        testID="review-weeks"
        value={weeks}
        onChangeText={setWeeks}
        error={errors.follow_up_weeks}
        inputMode="numeric"
        keyboardType="number-pad"
      />
      <Button title={mine || saved ? 'Save amendment' : 'Save review'} testID="review-save" busy={save.isPending} onPress={() => void submit()} />
    </Card>
  );
}

function History({ reviews, tz }: { reviews: ReviewDetail[]; tz: string }) {
  if (!reviews.length) return <Text style={styles.muted}>No reviews yet.</Text>;
  return (
    <View testID="review-history">
      {reviews.map((r) => (
        <Card key={r.id} testID={`review-${r.id}`}>
          <Text style={styles.body}>
            {r.clinician_name}: {r.impression_display}
            {r.follow_up_weeks ? ` · follow up in ${r.follow_up_weeks} weeks` : ''}
          </Text>
          {r.note ? <Text style={styles.body}>{r.note}</Text> : null}
          {r.revisions.length > 1 ? (
            <View testID={`review-${r.id}-revisions`}>
              <Text style={styles.label}>History</Text>
              {r.revisions.map((v) => (
                <Text key={v.number} style={styles.muted} testID={`review-${r.id}-revision-${v.number}`}>
                  Version {v.number}, {formatDateTime(v.created_at, tz)}: {IMPRESSIONS.find((i) => i.key === v.impression)?.label ?? v.impression}
                  {v.note ? ` · “${v.note}”` : ''}
                  {v.follow_up_weeks ? ` · ${v.follow_up_weeks} weeks` : ''}
                </Text>
              ))}
            </View>
          ) : null}
        </Card>
      ))}
    </View>
  );
}

function Result({ s, tz }: { s: Screening; tz: string }) {
  return (
    <Card testID="review-screening">
      <ScreeningPhoto id={s.id} testID="review-photo" />
      <Text style={styles.body} testID="review-result">
        {s.risk && s.top_label ? `${s.risk} risk · most like ${s.top_label_display ?? s.top_label} (${percent(s.probabilities?.[s.top_label] ?? 0)})` : 'The model could not assess this photo.'}
      </Text>
      <Text style={styles.muted}>
        {formatDateTime(s.captured_at, tz)} · model {s.model_version}
        {s.body_site ? ` · ${s.body_site}` : ''}
      </Text>
      {s.note ? <Text style={styles.body}>Patient’s note: {s.note}</Text> : null}
      <Text style={styles.muted}>The model’s answer is a screening aid, not a diagnosis.</Text>
    </Card>
  );
}

export function ReviewScreen() {
  const { id } = useLocalSearchParams<{ id: string }>();
  const screeningId = id ?? '';
  const screening = useScreeningQuery(screeningId);
  const reviews = useReviewsQuery(screeningId);
  const me = useMeQuery();
  const tz = useUserTimeZone();
  // Kept here: the form is mounted again once my first review exists, and the confirmation must stay.
  const [message, setMessage] = useState<Message>(null);
  return (
    <Screen testID="screen-review">
      <QueryView query={screening} loadingLabel="Loading the screening…">
        {(s) => <Result s={s} tz={tz} />}
      </QueryView>
      <QueryView query={reviews} loadingLabel="Loading reviews…">
        {(list) => {
          const mine = list.find((r) => r.clinician_id === me.data?.id);
          return (
            <View>
              <History reviews={list} tz={tz} />
              {/* Keyed by the saved version: after each save the form shows what is on record. */}
              {/* Mounted once: it starts from my saved review and, after each save, shows what the server
                  recorded; a refetch landing meanwhile (even a slow, older one) never resets what is being typed. */}
              <ReviewForm screeningId={screeningId} mine={mine} message={message} setMessage={setMessage} />
            </View>
          );
        }}
      </QueryView>
    </Screen>
  );
}

const styles = StyleSheet.create({
  cardTitle: { fontSize: font.small, fontWeight: '700', color: colors.muted, marginBottom: space.sm, textTransform: 'uppercase' },
  label: { fontSize: font.small, color: colors.text, fontWeight: '600', marginBottom: space.xs, marginTop: space.xs },
  row: { flexDirection: 'row', flexWrap: 'wrap' },
  body: { fontSize: font.body, color: colors.text, marginVertical: space.xs },
  muted: { fontSize: font.small, color: colors.muted },
  error: { fontSize: font.small, color: colors.danger, marginBottom: space.sm },
});
