/**
 * The result of one screening run: risk wording and what to do, per-class bars, the model version,
 * on-device and server answers side by side (server = of record) with a disagreement flag, the
 * "queued - will sync" state while offline, and "book an appointment" when the risk is high.
 */
import { router, useLocalSearchParams } from 'expo-router';
import type { ReactNode } from 'react';
import { StyleSheet, Text, View } from 'react-native';

import { useUserTimeZone } from '@/features/appointments/queries';
import { formatDateTime } from '@/lib/format';
import { Button } from '@/ui/Button';
import { Card, Screen } from '@/ui/Screen';
import { EmptyState, LoadingState } from '@/ui/States';
import { colors, font, space } from '@/ui/theme';
import { AnswerCompare } from '../components/AnswerCompare';
import { CannotAssessBanner } from '../components/CannotAssessBanner';
import { ProbabilityBars } from '../components/ProbabilityBars';
import { RiskBanner } from '../components/RiskBanner';
import { FALLBACK_REASON_TEXT, joinReasons } from '../components/riskText';
import { disagree, useOutbox } from '../engine';
import type { ModelAnswer, OutboxItem } from '../engine.types';
import { RETAKE_ADVICE } from '../quality';
import { useScreeningRun, type ScreeningRun } from '../queries';

const DEFAULT_DISCLAIMER =
  'This is a screening aid, not a diagnosis. It cannot rule out skin cancer. See a qualified clinician about any lesion that worries you, changes, bleeds or itches.';

export function syncStatusText(item: OutboxItem | undefined, timeZone: string): string {
  if (!item) return 'Saved on this phone; it will be sent when you are back online.';
  switch (item.status) {
    case 'queued':
      return item.nextAttemptAt
        ? `Waiting to send (next try ${formatDateTime(item.nextAttemptAt, timeZone)}${item.attempts ? `; ${item.attempts === 1 ? 'tried once' : `tried ${item.attempts} times`}` : ''}).`
        : 'Waiting to send: it will go as soon as you are back online.';
    case 'sending':
      return 'Sending to the clinic’s server…';
    case 'synced':
      return 'Synced: the clinic’s server has it.';
    case 'failed':
      return `Not sent: ${item.lastError ?? 'the server refused it'}.`;
  }
}

function Section({ title, children, testID }: { title: string; children: ReactNode; testID?: string }) {
  return (
    <Card testID={testID}>
      <Text style={styles.cardTitle}>{title}</Text>
      {children}
    </Card>
  );
}

/** The raw on-device probabilities, for tests and support (not shown). */
function RawProbabilities({ answer }: { answer: ModelAnswer | null }) {
  if (!answer) return null;
  return (
    <View testID="result-device-probabilities" style={styles.hidden} accessibilityElementsHidden importantForAccessibility="no-hide-descendants">
      <Text>{JSON.stringify(answer.probabilities)}</Text>
    </View>
  );
}

function RunResult({ run, item }: { run: ScreeningRun; item: OutboxItem | undefined }) {
  const tz = useUserTimeZone();
  const { outcome } = run;
  // A queued screening gets the server's answer when it syncs: it then becomes the one of record here too.
  const server = (outcome.kind === 'done' ? outcome.server : null) ?? item?.server ?? null;
  const device = outcome.device;
  const record = server ?? device;
  const screeningId = (outcome.kind === 'done' ? outcome.screeningId : null) ?? item?.screeningId ?? null;
  const queued = outcome.kind === 'queued';
  const syncedLater = queued && item?.status === 'synced';
  const disagreement = outcome.kind === 'done' && outcome.server ? outcome.disagreement : disagree(device, server);
  const serverError = outcome.kind === 'done' ? outcome.serverError : undefined;

  return (
    <>
      {queued && !syncedLater ? (
        <View style={styles.queued} testID="result-queued" role="status">
          <Text style={styles.queuedTitle}>Queued – will sync</Text>
          <Text style={styles.body}>
            {device
              ? 'You are offline, so this answer comes from the model on your phone only. The photo is kept safely on this phone and the clinic’s server will check it when it syncs.'
              : 'You are offline and no model is ready on this phone. The photo is kept safely here and will be screened by the clinic’s server when you are back online.'}
          </Text>
          <Text style={styles.body} testID="result-sync-status">
            {syncStatusText(item, tz)}
          </Text>
        </View>
      ) : null}
      {syncedLater ? (
        <View style={styles.synced} testID="result-synced" role="status">
          <Text style={styles.syncedTitle}>Synced</Text>
          <Text style={styles.body}>The clinic’s server has checked this screening; its answer below is the one of record.</Text>
        </View>
      ) : null}
      {serverError ? (
        <Text style={styles.warning} testID="result-server-error">
          The clinic’s server gave no second answer: {serverError}
        </Text>
      ) : null}

      {record?.outcome === 'cannot_assess' ? (
        <CannotAssessBanner action={outcome.kind === 'done' && (outcome.server || !server) ? outcome.recommendedAction : undefined} testID="result-cannot-assess" />
      ) : record ? (
        <RiskBanner
          risk={record.risk}
          topLabel={record.topLabel}
          confidence={record.confidence}
          probabilities={record.probabilities}
          action={outcome.kind === 'done' && (outcome.server || !server) ? outcome.recommendedAction : undefined}
          testID="result-banner"
        />
      ) : null}
      {record?.risk === 'high' && record.outcome !== 'cannot_assess' ? (
        <Button title="Book an appointment" testID="result-book" onPress={() => router.push('/appointments/book')} accessibilityHint="Choose a clinician and a time" />
      ) : null}

      {run.qualityOverridden && run.quality ? (
        <Text style={styles.warning} testID="result-quality-warning">
          This photo did not pass the quality check ({run.quality.issues.map((i) => RETAKE_ADVICE[i].title.toLowerCase()).join(', ')}), so this result may be unreliable. A retake is worth it.
        </Text>
      ) : null}

      {record && record.outcome !== 'cannot_assess' ? (
        <Section title={`How closely the photo resembles each lesion type (${server ? 'clinic server' : 'this device'})`} testID="result-bars-card">
          <ProbabilityBars probabilities={record.probabilities} testID="result-bars" />
          <Text style={styles.meta} testID="result-model-version">
            Model {record.modelVersion} · {server ? 'answer of record from the clinic’s server' : 'answer from this device'}
          </Text>
        </Section>
      ) : null}

      <Section title="On this device and on the clinic’s server">
        <AnswerCompare
          device={device}
          server={server}
          disagreement={disagreement}
          serverPending={queued ? 'Will be asked when this syncs.' : outcome.fallback.askServer ? 'The server did not answer.' : 'Not asked: the device model was confident and found a low or medium risk.'}
        />
        {!queued && !server && item && item.status !== 'synced' ? (
          <Text style={styles.meta} testID="result-sync-status">
            It goes to your history on the clinic’s server in the background. {syncStatusText(item, tz)}
          </Text>
        ) : null}
        {outcome.fallback.askServer && outcome.fallback.reasons.length ? (
          <Text style={styles.meta} testID="result-fallback">
            {queued ? 'The clinic’s server will check it' : 'Asked the clinic’s server'} because{' '}
            {joinReasons(outcome.fallback.reasons.map((r) => FALLBACK_REASON_TEXT[r]))}.
          </Text>
        ) : null}
      </Section>

      {run.bodySite || run.note ? (
        <Section title="Your notes">
          {run.bodySite ? <Text style={styles.body}>Body site: {run.bodySite}</Text> : null}
          {run.note ? <Text style={styles.body}>{run.note}</Text> : null}
        </Section>
      ) : null}

      <Text style={styles.disclaimer} testID="result-disclaimer">
        {outcome.disclaimer || DEFAULT_DISCLAIMER}
      </Text>
      <RawProbabilities answer={device} />

      {screeningId ? (
        <Button
          title="Add to a lesion"
          testID="result-assign"
          accessibilityHint="Follow this spot over time on its timeline"
          onPress={() => router.push({ pathname: '/screening/assign/[id]', params: { id: screeningId } })}
        />
      ) : null}
      {screeningId ? (
        <Button
          variant="secondary"
          title="Open in my screenings"
          testID="result-open-detail"
          onPress={() => router.push({ pathname: '/screening/detail/[id]', params: { id: screeningId } })}
        />
      ) : null}
      {queued ? <Button variant="secondary" title="See what is waiting to sync" testID="result-goto-queue" onPress={() => router.push('/screening/queue')} /> : null}
      <Button variant="secondary" title="Screen another lesion" testID="result-new" onPress={() => router.replace('/screening')} />
    </>
  );
}

export function ResultScreen() {
  const { clientUuid } = useLocalSearchParams<{ clientUuid: string }>();
  const run = useScreeningRun(clientUuid ?? '');
  const outbox = useOutbox();
  const item = outbox.items.find((i) => i.clientUuid === clientUuid);

  let body: ReactNode;
  if (run.isPending) body = <LoadingState />;
  else if (run.data) body = <RunResult run={run.data} item={item} />;
  else if (item?.screeningId) {
    body = (
      <EmptyState
        title="This result has synced"
        body="Open it in your screenings to see the clinic’s answer."
        action={{ title: 'Open it', testID: 'result-open-detail', onPress: () => router.replace({ pathname: '/screening/detail/[id]', params: { id: item.screeningId ?? '' } }) }}
      />
    );
  } else if (item) {
    body = (
      <EmptyState
        title="Waiting to sync"
        body="This screening is kept on this phone and will be sent when you are back online."
        action={{ title: 'See what is waiting', testID: 'result-goto-queue', onPress: () => router.replace('/screening/queue') }}
      />
    );
  } else {
    body = (
      <EmptyState
        title="This result is no longer open"
        body="Screenings the clinic’s server has are in My screenings."
        action={{ title: 'My screenings', testID: 'result-goto-history', onPress: () => router.replace('/screening/history') }}
      />
    );
  }
  return <Screen testID="screen-screening-result">{body}</Screen>;
}

const styles = StyleSheet.create({
  cardTitle: { fontSize: font.small, fontWeight: '700', color: colors.muted, marginBottom: space.sm, textTransform: 'uppercase' },
  body: { fontSize: font.body, color: colors.text },
  meta: { fontSize: font.small, color: colors.muted, marginTop: space.sm },
  queued: { backgroundColor: '#FFF8C5', borderColor: colors.warning, borderWidth: 1, borderRadius: 10, padding: space.md, marginBottom: space.md, gap: space.xs },
  queuedTitle: { fontSize: font.body, fontWeight: '700', color: colors.warning },
  synced: { backgroundColor: '#DAFBE1', borderColor: colors.success, borderWidth: 1, borderRadius: 10, padding: space.md, marginBottom: space.md, gap: space.xs },
  syncedTitle: { fontSize: font.body, fontWeight: '700', color: colors.success },
  warning: { fontSize: font.small, color: colors.warning, marginBottom: space.md },
  disclaimer: { fontSize: font.small, color: colors.muted, marginVertical: space.md },
  hidden: { display: 'none' },
});
