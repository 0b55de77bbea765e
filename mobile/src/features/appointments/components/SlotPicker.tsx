/** Free slots of a clinician for the next two weeks, grouped by day in the user's time zone. */
import { useMemo, useState } from 'react';
import { StyleSheet, Text, View } from 'react-native';

import { useSlotsQuery } from '../queries';
import type { Slot } from '../types';
import { asFailure } from '@/api/result';
import { dayInZone, dayKey, formatDayHeading, formatTime } from '@/lib/format';
import { Chip } from '@/ui/Chip';
import { EmptyState, ErrorState, LoadingState } from '@/ui/States';
import { colors, font, space } from '@/ui/theme';

export const DAYS_AHEAD = 14;

export function groupSlotsByDay(slots: Slot[], timeZone: string): Map<string, Slot[]> {
  const days = new Map<string, Slot[]>();
  for (const slot of [...slots].sort((a, b) => Date.parse(a.start) - Date.parse(b.start))) {
    const day = dayKey(slot.start, timeZone);
    days.set(day, [...(days.get(day) ?? []), slot]);
  }
  return days;
}

type Props = { clinicianId: number; timeZone: string; selected: Slot | null; onSelect: (slot: Slot) => void; exclude?: string };

export function SlotPicker({ clinicianId, timeZone, selected, onSelect, exclude }: Props) {
  const start = dayInZone(timeZone);
  const end = dayInZone(timeZone, DAYS_AHEAD);
  const slots = useSlotsQuery(clinicianId, start, end, timeZone);
  const days = useMemo(() => groupSlotsByDay((slots.data ?? []).filter((s) => s.start !== exclude), timeZone), [slots.data, timeZone, exclude]);
  const [day, setDay] = useState<string | null>(null);
  const activeDay = day && days.has(day) ? day : (days.keys().next().value ?? null);

  if (slots.data === undefined) {
    return slots.isError ? <ErrorState failure={asFailure(slots.error)} onRetry={() => void slots.refetch()} /> : <LoadingState label="Loading free times…" />;
  }
  if (days.size === 0) return <EmptyState testID="slots-empty" title="No free times" body={`Nothing free in the next ${DAYS_AHEAD} days. Try another clinician.`} />;

  return (
    <View testID="slot-picker">
      <Text style={styles.zone}>Times shown in {timeZone}</Text>
      {/* Wrapped, not a horizontal scroller: a cut-off row gave no hint that more days follow. */}
      <View style={styles.days} testID="slot-days">
        {[...days.keys()].map((d) => (
          <Chip key={d} label={formatDayHeading(d)} selected={d === activeDay} onPress={() => setDay(d)} testID={`day-${d}`} />
        ))}
      </View>
      {activeDay ? (
        <View style={styles.times} accessibilityLabel={`Free times on ${formatDayHeading(activeDay)}`}>
          {(days.get(activeDay) ?? []).map((s, i) => (
            <Chip
              key={s.start}
              label={formatTime(s.start, timeZone)}
              accessibilityLabel={`${formatDayHeading(activeDay)} at ${formatTime(s.start, timeZone)}`}
              selected={selected?.start === s.start}
              onPress={() => onSelect(s)}
              testID={i === 0 ? 'slot-first' : `slot-${s.start}`}
            />
          ))}
        </View>
      ) : null}
    </View>
  );
}

const styles = StyleSheet.create({
  zone: { color: colors.muted, fontSize: font.small, marginBottom: space.sm },
  days: { flexDirection: 'row', flexWrap: 'wrap', marginBottom: space.sm },
  times: { flexDirection: 'row', flexWrap: 'wrap' },
});
