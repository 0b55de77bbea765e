/**
 * My screenings: the server's (newest first, filtered by risk and by how they arrived) and, on top,
 * those still waiting on this phone to sync. Server rows open the detail; waiting ones the queue.
 */
import { router } from 'expo-router';
import { useState, type ReactNode } from 'react';
import { StyleSheet, Text, View } from 'react-native';

import { asFailure } from '@/api/result';
import { DISPLAY_NAMES, LABELS, type Label, type RiskLevel } from '@/contract';
import { useUserTimeZone } from '@/features/appointments/queries';
import { formatDateTime } from '@/lib/format';
import { Button } from '@/ui/Button';
import { Chip } from '@/ui/Chip';
import { ListItem } from '@/ui/ListItem';
import { Screen } from '@/ui/Screen';
import { EmptyState, ErrorState, LoadingState } from '@/ui/States';
import { colors, font, space } from '@/ui/theme';
import type { ScreeningSource } from '../api';
import { useOutbox } from '../engine';
import type { OutboxItem } from '../engine.types';
import { useScreeningsQuery } from '../queries';

type SourceFilter = 'all' | ScreeningSource | 'waiting';

const RISKS: { key: RiskLevel | 'all'; label: string }[] = [
  { key: 'all', label: 'All risks' },
  { key: 'high', label: 'Higher' },
  { key: 'medium', label: 'Medium' },
  { key: 'low', label: 'Lower' },
];
const SOURCES: { key: SourceFilter; label: string }[] = [
  { key: 'all', label: 'All' },
  { key: 'online', label: 'Screened online' },
  { key: 'sync', label: 'Synced later' },
  { key: 'waiting', label: 'Waiting to sync' },
];
export const RISK_SHORT: Readonly<Record<RiskLevel, string>> = { high: 'Higher risk', medium: 'Medium risk', low: 'Lower risk' };
const STATUS_SHORT: Readonly<Record<OutboxItem['status'], string>> = {
  queued: 'waiting to sync',
  sending: 'sending…',
  synced: 'synced',
  failed: 'not sent',
};

function displayName(label: string): string {
  return (LABELS as readonly string[]).includes(label) ? DISPLAY_NAMES[label as Label] : label;
}

export function HistoryScreen() {
  const tz = useUserTimeZone();
  const [risk, setRisk] = useState<RiskLevel | 'all'>('all');
  const [source, setSource] = useState<SourceFilter>('all');
  const outbox = useOutbox();
  const serverFilters = { risk: risk === 'all' ? undefined : risk, source: source === 'online' || source === 'sync' ? source : undefined };
  const screenings = useScreeningsQuery(serverFilters);
  const showServer = source !== 'waiting';
  const showWaiting = source === 'all' || source === 'waiting';

  const waiting = showWaiting
    ? outbox.items.filter((i) => i.status !== 'synced' && (risk === 'all' || (i.device?.outcome !== 'cannot_assess' && i.device?.risk === risk))).sort((a, b) => b.capturedAt.localeCompare(a.capturedAt))
    : [];
  const items = screenings.data?.pages.flatMap((p) => p.items) ?? [];

  let serverList: ReactNode = null;
  if (showServer) {
    if (screenings.data === undefined) {
      serverList = screenings.isError ? (
        <ErrorState failure={asFailure(screenings.error)} onRetry={() => void screenings.refetch()} />
      ) : (
        <LoadingState label="Loading your screenings…" />
      );
    } else if (items.length === 0 && waiting.length === 0) {
      serverList = (
        <EmptyState
          title={risk === 'all' && source === 'all' ? 'No screenings yet' : 'No screenings match these filters'}
          body={risk === 'all' && source === 'all' ? 'Screen a lesion to see it here.' : undefined}
          action={{ title: 'Screen a lesion', testID: 'history-new', onPress: () => router.push('/screening') }}
        />
      );
    } else {
      serverList = (
        <View testID="history-list">
          {items.map((s) => (
            <ListItem
              key={s.id}
              testID={`history-${s.id}`}
              title={s.outcome === 'cannot_assess' || !s.risk || !s.top_label ? 'Cannot assess · retake the photo or see a clinician' : `${RISK_SHORT[s.risk]} · most like ${s.top_label_display || displayName(s.top_label)}`}
              subtitle={`${formatDateTime(s.captured_at, tz)} · ${s.source === 'sync' ? 'synced later' : 'screened online'}${s.body_site ? ` · ${s.body_site}` : ''}`}
              detail={`Model ${s.model_version}`}
              onPress={() => router.push({ pathname: '/screening/detail/[id]', params: { id: s.id } })}
            />
          ))}
          {screenings.hasNextPage ? (
            <Button variant="secondary" title="Load more" testID="history-more" busy={screenings.isFetchingNextPage} onPress={() => void screenings.fetchNextPage()} />
          ) : null}
        </View>
      );
    }
  } else if (waiting.length === 0) {
    serverList = <EmptyState title="Nothing is waiting to sync" body="Screenings made offline wait here until they reach the clinic’s server." />;
  }

  return (
    <Screen testID="screen-screening-history" title="My screenings">
      <View style={styles.chips} testID="history-risk-filters">
        {RISKS.map((r) => (
          <Chip key={r.key} label={r.label} selected={risk === r.key} onPress={() => setRisk(r.key)} testID={`history-risk-${r.key}`} />
        ))}
      </View>
      <View style={styles.chips} testID="history-source-filters">
        {SOURCES.map((s) => (
          <Chip key={s.key} label={s.label} selected={source === s.key} onPress={() => setSource(s.key)} testID={`history-source-${s.key}`} />
        ))}
      </View>
      {waiting.length ? (
        <View testID="history-waiting">
          <Text style={styles.heading}>On this phone, not yet synced</Text>
          {waiting.map((i) => (
            <ListItem
              key={i.clientUuid}
              testID={`history-waiting-${i.clientUuid}`}
              title={
                !i.device ? 'Not screened yet' : i.device.outcome === 'cannot_assess' ? 'Cannot assess (this device) · retake the photo or see a clinician' : `${RISK_SHORT[i.device.risk]} · most like ${DISPLAY_NAMES[i.device.topLabel]} (this device)`
              }
              subtitle={`${formatDateTime(i.capturedAt, tz)} · ${STATUS_SHORT[i.status]}`}
              detail={i.status === 'failed' && i.lastError ? i.lastError : undefined}
              onPress={() => router.push('/screening/queue')}
            />
          ))}
          {showServer ? <Text style={styles.heading}>On the clinic’s server</Text> : null}
        </View>
      ) : null}
      {serverList}
    </Screen>
  );
}

const styles = StyleSheet.create({
  chips: { flexDirection: 'row', flexWrap: 'wrap' },
  heading: { fontSize: font.small, fontWeight: '700', color: colors.muted, textTransform: 'uppercase', marginVertical: space.sm },
});
