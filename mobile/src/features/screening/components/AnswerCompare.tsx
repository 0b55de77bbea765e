/** On-device and server answers side by side; the server's is the one of record when both exist. */
import { StyleSheet, Text, View } from 'react-native';

import { DISPLAY_NAMES } from '@/contract';
import { colors, font, space } from '@/ui/theme';
import type { ModelAnswer } from '../engine.types';
import { percent } from './riskText';

const RISK_NAME = { high: 'Higher risk', medium: 'Medium risk', low: 'Lower risk' } as const;

function Column({ title, answer, pending, testID }: { title: string; answer: ModelAnswer | null; pending: string; testID: string }) {
  return (
    <View style={styles.column} testID={testID}>
      <Text style={styles.columnTitle}>{title}</Text>
      {answer?.outcome === 'cannot_assess' ? (
        <>
          <Text style={styles.top} testID={`${testID}-cannot-assess`}>
            Cannot assess
          </Text>
          <Text style={styles.meta} testID={`${testID}-version`}>
            Model {answer.modelVersion}
          </Text>
        </>
      ) : answer ? (
        <>
          <Text style={styles.top} testID={`${testID}-top`}>
            {DISPLAY_NAMES[answer.topLabel]}
          </Text>
          <Text style={styles.line}>{percent(answer.confidence)}</Text>
          <Text style={styles.line} testID={`${testID}-risk`}>
            {RISK_NAME[answer.risk]}
          </Text>
          <Text style={styles.meta} testID={`${testID}-version`}>
            Model {answer.modelVersion}
          </Text>
          <Text style={styles.meta}>{Math.round(answer.latencyMs)} ms</Text>
        </>
      ) : (
        <Text style={styles.meta}>{pending}</Text>
      )}
    </View>
  );
}

type Props = { device: ModelAnswer | null; server: ModelAnswer | null; disagreement: boolean; serverPending: string };

export function AnswerCompare({ device, server, disagreement, serverPending }: Props) {
  return (
    <View>
      <View style={styles.row} testID="answers">
        <Column title="On this device" answer={device} pending="No on-device answer (no model ready)." testID="answer-device" />
        <Column title="Clinic server (of record)" answer={server} pending={serverPending} testID="answer-server" />
      </View>
      {disagreement ? (
        <Text style={styles.disagree} testID="answers-disagree" role="alert">
          The two models disagree. The server’s answer is the one on record; please have a clinician look at this lesion.
        </Text>
      ) : device && server ? (
        <Text style={styles.agree} testID="answers-agree">
          {device.outcome === 'cannot_assess' ? 'Neither model could assess this photo.' : 'Both models point to the same lesion type.'}
        </Text>
      ) : null}
    </View>
  );
}

const styles = StyleSheet.create({
  row: { flexDirection: 'row', gap: space.sm },
  column: { flex: 1, borderWidth: 1, borderColor: colors.border, borderRadius: 8, padding: space.sm, backgroundColor: colors.card, gap: 2 },
  columnTitle: { fontSize: font.small, fontWeight: '700', color: colors.muted, textTransform: 'uppercase', marginBottom: space.xs },
  top: { fontSize: font.body, fontWeight: '600', color: colors.text },
  line: { fontSize: font.small, color: colors.text },
  meta: { fontSize: font.small, color: colors.muted },
  disagree: { marginTop: space.sm, padding: space.sm, borderRadius: 8, color: colors.danger, backgroundColor: '#FFEBE9', fontSize: font.body },
  agree: { marginTop: space.sm, color: colors.success, fontSize: font.small },
});
