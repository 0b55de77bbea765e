/**
 * One lesion over time: its screenings oldest first (photo, result, model version, clinicians' reviews),
 * two of them side by side, and a follow-up reminder in N weeks.
 */
import { useLocalSearchParams } from 'expo-router';
import { useState } from 'react';
import { StyleSheet, Text, View } from 'react-native';

import { ReviewList } from '../components/ReviewList';
import { useFollowUpMutation, useTimelineQuery } from '../queries';
import type { Lesion } from '../api';
import { failureMessage } from '@/api/result';
import type { RiskLevel } from '@/contract';
import { useUserTimeZone } from '@/features/appointments/queries';
import type { Screening } from '@/features/screening/api';
import { RISK_WORDING, percent } from '@/features/screening/components/riskText';
import { ScreeningPhoto } from '@/features/screening/components/ScreeningPhoto';
import { formatDate, formatDateTime } from '@/lib/format';
import { Button } from '@/ui/Button';
import { QueryView } from '@/ui/QueryView';
import { Card, Screen } from '@/ui/Screen';
import { FormMessage } from '@/ui/States';
import { TextField } from '@/ui/TextField';
import { colors, font, space } from '@/ui/theme';

/** "Lower risk: ... · most like X (70 %)", or that the photo could not be assessed (no risk, no type). */
function resultSummary(s: Pick<Screening, 'risk' | 'top_label' | 'top_label_display' | 'probabilities'>): string {
  if (!s.risk || !s.top_label) return 'Could not be assessed from this photo';
  const title = RISK_WORDING[s.risk as RiskLevel]?.title ?? s.risk;
  return `${title} · most like ${s.top_label_display ?? s.top_label} (${percent(s.probabilities?.[s.top_label] ?? 0)})`;
}

function Result({ s, tz, compact = false }: { s: Screening; tz: string; compact?: boolean }) {
  return (
    <View style={compact ? styles.half : undefined}>
      <ScreeningPhoto id={s.id} testID={`${compact ? 'compare' : 'timeline'}-photo-${s.id}`} />
      <Text style={styles.when}>{formatDateTime(s.captured_at, tz)}</Text>
      <Text style={styles.body} testID={`${compact ? 'compare' : 'timeline'}-risk-${s.id}`}>
        {resultSummary(s)}
      </Text>
      <Text style={styles.muted}>Model {s.model_version}</Text>
    </View>
  );
}

function FollowUp({ lesion, tz }: { lesion: Lesion; tz: string }) {
  const followUp = useFollowUpMutation(lesion.id);
  const [weeks, setWeeks] = useState('4');
  const [message, setMessage] = useState<{ text: string; tone: 'error' | 'success' } | null>(null);
  async function save(value: number | null) {
    setMessage(null);
    const result = await followUp.mutateAsync(value);
    if (result.kind === 'ok') setMessage({ text: value === null ? 'Reminder cancelled.' : `We will remind you on ${formatDate(result.data.follow_up_due_at ?? '', tz)}.`, tone: 'success' });
    else setMessage({ text: failureMessage(result), tone: 'error' });
  }
  const n = Number(weeks);
  const valid = Number.isInteger(n) && n >= 1 && n <= 104;
  return (
    <Card testID="follow-up">
      <Text style={styles.cardTitle}>Follow-up reminder</Text>
      <Text style={styles.body} testID="follow-up-due">
        {lesion.follow_up_due_at ? `Reminder set for ${formatDate(lesion.follow_up_due_at, tz)}.` : 'No reminder set.'}
      </Text>
      <FormMessage text={message?.text} tone={message?.tone} testID="follow-up-message" />
      <TextField
        label="Remind me in (weeks)"
        testID="follow-up-weeks"
        value={weeks}
        onChangeText={setWeeks}
        inputMode="numeric"
        keyboardType="number-pad"
        error={weeks && !valid ? 'Use a whole number of weeks from 1 to 104.' : undefined}
      />
      <Button title="Set reminder" testID="follow-up-save" disabled={!valid} busy={followUp.isPending} onPress={() => void save(n)} />
      {lesion.follow_up_due_at ? <Button variant="secondary" title="Cancel the reminder" testID="follow-up-clear" onPress={() => void save(null)} /> : null}
    </Card>
  );
}

export function LesionTimelineScreen() {
  const { id } = useLocalSearchParams<{ id: string }>();
  const timeline = useTimelineQuery(id ?? '');
  const tz = useUserTimeZone();
  const [picked, setPicked] = useState<string[]>([]);

  function toggle(screeningId: string) {
    // Two at most: picking a third replaces the older pick.
    setPicked((p) => (p.includes(screeningId) ? p.filter((x) => x !== screeningId) : [...p, screeningId].slice(-2)));
  }

  return (
    <Screen testID="screen-lesion-timeline">
      <QueryView query={timeline} loadingLabel="Loading the timeline…">
        {({ lesion, screenings }) => {
          const compared = screenings.filter((s) => picked.includes(s.id));
          return (
            <View>
              <Text style={styles.title} accessibilityRole="header" testID="timeline-name">
                {lesion.name}
              </Text>
              <Text style={styles.muted}>
                {[lesion.body_region, lesion.body_view === 'front' ? 'front' : 'back'].filter(Boolean).join(' · ')}
                {lesion.notes ? ` · ${lesion.notes}` : ''}
              </Text>
              {compared.length === 2 ? (
                <Card testID="compare">
                  <Text style={styles.cardTitle}>Side by side</Text>
                  <View style={styles.sideBySide}>
                    {compared.map((s) => (
                      <Result key={s.id} s={s} tz={tz} compact />
                    ))}
                  </View>
                </Card>
              ) : screenings.length >= 2 ? (
                <Text style={styles.muted}>Pick two screenings to compare them side by side.</Text>
              ) : null}
              {screenings.length === 0 ? (
                <Text style={styles.body} testID="timeline-empty">
                  No screenings on this lesion yet. Screen it, then add the result to this lesion.
                </Text>
              ) : null}
              {screenings.map((s, i) => (
                <Card key={s.id} testID={`timeline-${s.id}`}>
                  <Text style={styles.cardTitle}>Screening {i + 1}</Text>
                  <Result s={s} tz={tz} />
                  <ReviewList reviews={s.reviews ?? []} timeZone={tz} testID={`timeline-reviews-${s.id}`} />
                  {screenings.length >= 2 ? (
                    <Button
                      variant="secondary"
                      title={picked.includes(s.id) ? 'Remove from comparison' : 'Compare'}
                      testID={`timeline-compare-${s.id}`}
                      onPress={() => toggle(s.id)}
                    />
                  ) : null}
                </Card>
              ))}
              <FollowUp lesion={lesion} tz={tz} />
              <Text style={styles.disclaimer}>Screening results are aids, never a diagnosis. Show changes to a clinician.</Text>
            </View>
          );
        }}
      </QueryView>
    </Screen>
  );
}

const styles = StyleSheet.create({
  title: { fontSize: font.heading, fontWeight: '700', color: colors.text },
  cardTitle: { fontSize: font.small, fontWeight: '700', color: colors.muted, marginBottom: space.sm, textTransform: 'uppercase' },
  body: { fontSize: font.body, color: colors.text, marginVertical: space.xs },
  when: { fontSize: font.small, color: colors.text, marginTop: space.xs },
  muted: { fontSize: font.small, color: colors.muted, marginBottom: space.sm },
  sideBySide: { flexDirection: 'row', gap: space.sm },
  half: { flex: 1 },
  disclaimer: { fontSize: font.small, color: colors.muted, marginVertical: space.md },
});
