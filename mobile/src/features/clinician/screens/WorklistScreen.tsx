/** The clinician's worklist: screenings shared with them or of their patients, high risk first; filter by risk, reviewed, date. */
import { router } from 'expo-router';
import { useState } from 'react';
import { StyleSheet, Text, View } from 'react-native';

import type { WorklistFilters } from '../api';
import { useWorklistQuery } from '../queries';
import { asFailure } from '@/api/result';
import { useUserTimeZone } from '@/features/appointments/queries';
import { isPastDate } from '@/features/auth/validation';
import { formatDateTime } from '@/lib/format';
import { useDebounced } from '@/lib/useDebounced';
import { Button } from '@/ui/Button';
import { Chip } from '@/ui/Chip';
import { ListItem } from '@/ui/ListItem';
import { Screen } from '@/ui/Screen';
import { EmptyState, ErrorState, LoadingState } from '@/ui/States';
import { TextField } from '@/ui/TextField';
import { colors, font, space } from '@/ui/theme';

const RISKS = [
  { key: undefined, label: 'Any risk' },
  { key: 'high', label: 'High' },
  { key: 'medium', label: 'Medium' },
  { key: 'low', label: 'Low' },
] as const;
const REVIEWED = [
  { key: undefined, label: 'All' },
  { key: false, label: 'Not reviewed' },
  { key: true, label: 'Reviewed' },
] as const;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** A date filter is sent only once it is a whole valid date (a half-typed one is ignored, and said so). */
function dateOrUndefined(text: string): string | undefined {
  const t = text.trim();
  return DATE.test(t) && (isPastDate(t) || isPastDate(t, new Date(Date.now() + 400 * 86_400_000))) ? t : undefined;
}

export function WorklistScreen() {
  const tz = useUserTimeZone();
  const [risk, setRisk] = useState<WorklistFilters['risk']>(undefined);
  const [reviewed, setReviewed] = useState<boolean | undefined>(false);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const dateFrom = useDebounced(dateOrUndefined(from), 300);
  const dateTo = useDebounced(dateOrUndefined(to), 300);
  const filters: WorklistFilters = { risk, reviewed, date_from: dateFrom, date_to: dateTo };
  const worklist = useWorklistQuery(filters);
  const items = worklist.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <Screen testID="screen-worklist">
      <View style={styles.row}>
        {RISKS.map((r) => (
          <Chip key={r.label} label={r.label} selected={risk === r.key} onPress={() => setRisk(r.key)} testID={`worklist-risk-${r.key ?? 'any'}`} />
        ))}
      </View>
      <View style={styles.row}>
        {REVIEWED.map((r) => (
          <Chip key={r.label} label={r.label} selected={reviewed === r.key} onPress={() => setReviewed(r.key)} testID={`worklist-reviewed-${String(r.key ?? 'all')}`} />
        ))}
      </View>
      <View style={styles.dates}>
        <View style={styles.date}>
          <TextField label="From (YYYY-MM-DD)" testID="worklist-from" value={from} onChangeText={setFrom} error={from.trim() && !dateOrUndefined(from) ? 'Use a date as YYYY-MM-DD.' : undefined} autoCapitalize="none" />
        </View>
        <View style={styles.date}>
          <TextField label="To (YYYY-MM-DD)" testID="worklist-to" value={to} onChangeText={setTo} error={to.trim() && !dateOrUndefined(to) ? 'Use a date as YYYY-MM-DD.' : undefined} autoCapitalize="none" />
        </View>
      </View>
      {worklist.data === undefined ? (
        worklist.isError ? <ErrorState failure={asFailure(worklist.error)} onRetry={() => void worklist.refetch()} /> : <LoadingState label="Loading the worklist…" />
      ) : items.length === 0 ? (
        <EmptyState title="Nothing to show" body="Screenings your patients share with you, or of patients with an appointment with you, appear here." />
      ) : (
        <View testID="worklist-list">
          <Text style={styles.count}>{worklist.data.pages[0]?.count ?? items.length} screenings</Text>
          {items.map((s) => (
            <ListItem
              key={s.id}
              testID={`worklist-${s.id}`}
              title={`${s.patient_name} · ${s.risk ? `${s.risk} risk` : 'not assessed'}`}
              subtitle={`${formatDateTime(s.captured_at, tz)}${s.top_label_display ? ` · most like ${s.top_label_display}` : ''}${s.lesion_name ? ` · ${s.lesion_name}` : ''}`}
              trailing={s.reviewed ? 'Reviewed' : undefined}
              onPress={() => router.push({ pathname: '/worklist/[id]', params: { id: s.id } })}
            />
          ))}
          {worklist.hasNextPage ? <Button variant="secondary" title="Load more" testID="worklist-more" onPress={() => void worklist.fetchNextPage()} /> : null}
        </View>
      )}
    </Screen>
  );
}

const styles = StyleSheet.create({
  row: { flexDirection: 'row', flexWrap: 'wrap' },
  dates: { flexDirection: 'row', gap: space.sm, flexWrap: 'wrap' },
  date: { flexGrow: 1, minWidth: 140 },
  count: { fontSize: font.small, color: colors.muted, marginBottom: space.sm },
});
