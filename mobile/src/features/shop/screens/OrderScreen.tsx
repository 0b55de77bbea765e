/** One order: lines, totals, status; download and share its receipt; cancel while allowed. */
import { useLocalSearchParams } from 'expo-router';
import { useState } from 'react';
import { StyleSheet, Text, View } from 'react-native';

import { useCancelOrderMutation, useOrderQuery } from '../queries';
import { downloadReceipt } from '../receipt';
import { failureMessage } from '@/api/result';
import { formatDate, formatMoney } from '@/lib/format';
import { Button } from '@/ui/Button';
import { ConfirmButton } from '@/ui/ConfirmButton';
import { QueryView } from '@/ui/QueryView';
import { Card, Screen } from '@/ui/Screen';
import { FormMessage } from '@/ui/States';
import { colors, font, space } from '@/ui/theme';

const CANCELLABLE = new Set(['pending', 'paid', 'placed', 'confirmed']);

export function OrderScreen() {
  const { id } = useLocalSearchParams<{ id: string }>();
  const orderId = Number(id);
  const order = useOrderQuery(orderId);
  const cancel = useCancelOrderMutation(orderId);
  const [message, setMessage] = useState<{ text: string; tone: 'error' | 'success' } | null>(null);
  const [downloading, setDownloading] = useState(false);

  return (
    <Screen testID="screen-order">
      <QueryView query={order} loadingLabel="Loading order…">
        {(o) => (
          <View>
            <Text style={styles.title} accessibilityRole="header" testID="order-number">
              Order {o.number}
            </Text>
            <Text style={styles.muted} testID="order-status">
              {formatDate(o.created_at)} · {o.status}
            </Text>
            <FormMessage text={message?.text} tone={message?.tone} testID="order-message" />
            <Card testID="order-lines">
              {o.lines.map((l, i) => (
                <View key={`${l.product_id ?? 'x'}-${i}`} style={styles.row}>
                  <Text style={styles.line}>
                    {l.quantity} × {l.name}
                  </Text>
                  <Text style={styles.amount}>{formatMoney(l.line_total_minor, o.currency)}</Text>
                </View>
              ))}
              <View style={styles.row}>
                <Text style={styles.muted}>Subtotal</Text>
                <Text style={styles.amount}>{formatMoney(o.subtotal_minor, o.currency)}</Text>
              </View>
              <View style={styles.row}>
                <Text style={styles.muted}>Tax</Text>
                <Text style={styles.amount}>{formatMoney(o.tax_minor, o.currency)}</Text>
              </View>
              <View style={styles.row}>
                <Text style={styles.total}>Total</Text>
                <Text style={styles.total} testID="order-total">
                  {formatMoney(o.total_minor, o.currency)}
                </Text>
              </View>
            </Card>
            <Button
              title="Download receipt (PDF)"
              testID="download-receipt"
              busy={downloading}
              onPress={async () => {
                setDownloading(true);
                setMessage(null);
                const outcome = await downloadReceipt(o.id, o.number);
                setDownloading(false);
                if (outcome.kind === 'shared' || outcome.kind === 'saved') setMessage({ text: 'Receipt downloaded.', tone: 'success' });
                else setMessage({ text: outcome.kind === 'not_found' ? 'The receipt is not ready yet. Try again in a moment.' : failureMessage(outcome), tone: 'error' });
              }}
            />
            {CANCELLABLE.has(o.status) ? (
              <ConfirmButton
                title="Cancel order"
                question={`Cancel order ${o.number} (${formatMoney(o.total_minor, o.currency)})? This cannot be undone.`}
                confirmTitle="Yes, cancel the order"
                keepTitle="Keep the order"
                testID="cancel-order"
                busy={cancel.isPending}
                onConfirm={async () => {
                  const result = await cancel.mutateAsync();
                  setMessage(result.kind === 'ok' ? { text: 'Order cancelled.', tone: 'success' } : { text: failureMessage(result), tone: 'error' });
                }}
              />
            ) : null}
          </View>
        )}
      </QueryView>
    </Screen>
  );
}

const styles = StyleSheet.create({
  title: { fontSize: font.heading, fontWeight: '700', color: colors.text },
  muted: { color: colors.muted, fontSize: font.body, marginBottom: space.sm },
  row: { flexDirection: 'row', justifyContent: 'space-between', paddingVertical: space.xs, gap: space.md },
  line: { flex: 1, color: colors.text, fontSize: font.body },
  amount: { color: colors.text, fontSize: font.body },
  total: { color: colors.text, fontSize: font.title, fontWeight: '700' },
});
