/** The cart: change quantities, remove lines, check out (idempotent; the server prices the order). */
import { router } from 'expo-router';
import { useEffect, useState } from 'react';
import { StyleSheet, Text, View } from 'react-native';

import { cart, cartSubtotal, loadCart, maxQuantity, taxFor, useCart } from '../cart';
import { useCheckoutMutation, useClinicQuery } from '../queries';
import { failureMessage } from '@/api/result';
import { formatMoney } from '@/lib/format';
import { Button } from '@/ui/Button';
import { Card, Screen } from '@/ui/Screen';
import { EmptyState, FormMessage } from '@/ui/States';
import { colors, font, space } from '@/ui/theme';

export function CartScreen() {
  const current = useCart();
  const checkout = useCheckoutMutation();
  const clinic = useClinicQuery();
  const [message, setMessage] = useState<string | null>(null);
  useEffect(() => {
    void loadCart();
  }, []);

  async function submit() {
    setMessage(null);
    const result = await checkout.mutateAsync();
    if (result.kind === 'ok') {
      router.replace({ pathname: '/shop/orders/[id]', params: { id: String(result.data.id) } });
      return;
    }
    setMessage(result.kind === 'offline' ? 'You are offline. Your cart is kept; try again when connected; you will not be charged twice.' : failureMessage(result));
  }

  if (current.lines.length === 0) {
    return (
      <Screen testID="screen-cart">
        <EmptyState title="Your cart is empty" body="Browse the shop to add products." action={{ title: 'Browse the shop', testID: 'cart-browse', onPress: () => router.navigate('/shop') }} />
      </Screen>
    );
  }
  const currency = current.lines[0]?.currency ?? 'EUR';
  const subtotal = cartSubtotal(current);
  const tax = clinic.data ? taxFor(subtotal, clinic.data.tax_rate_percent) : null;
  return (
    <Screen testID="screen-cart">
      <FormMessage text={message} testID="checkout-error" />
      {current.lines.map((line) => (
        <Card key={line.product_id} testID={`cart-line-${line.product_id}`}>
          <Text style={styles.name}>{line.name}</Text>
          <Text style={styles.muted}>{formatMoney(line.price_minor, line.currency)} each</Text>
          <View style={styles.row}>
            <Button variant="secondary" title="−" testID={`cart-minus-${line.product_id}`} accessibilityLabel={`One fewer ${line.name}`} onPress={() => cart.setQuantity(line.product_id, line.quantity - 1)} />
            <Text style={styles.qty} testID={`cart-qty-${line.product_id}`} accessibilityLabel={`Quantity ${line.quantity}`}>
              {line.quantity}
            </Text>
            <Button
              variant="secondary"
              title="+"
              testID={`cart-plus-${line.product_id}`}
              accessibilityLabel={`One more ${line.name}`}
              disabled={line.quantity >= maxQuantity(line.stock)}
              onPress={() => cart.setQuantity(line.product_id, line.quantity + 1)}
            />
            <Button variant="secondary" title="Remove" accessibilityLabel={`Remove ${line.name}`} testID={`cart-remove-${line.product_id}`} onPress={() => cart.remove(line.product_id)} />
          </View>
          {line.stock !== undefined && line.quantity >= line.stock ? (
            <Text style={styles.muted} testID={`cart-stock-${line.product_id}`}>
              Only {line.stock} in stock.
            </Text>
          ) : null}
        </Card>
      ))}
      <Card testID="cart-totals">
        <View style={styles.sum}>
          <Text style={styles.label}>Subtotal</Text>
          <Text style={styles.amount} testID="cart-subtotal">
            {formatMoney(subtotal, currency)}
          </Text>
        </View>
        {tax === null ? (
          <Text style={styles.muted} testID="cart-tax-unknown">
            {clinic.isPending ? 'Working out the VAT…' : 'VAT is added when you place the order.'}
          </Text>
        ) : (
          <>
            <View style={styles.sum}>
              <Text style={styles.label}>VAT {Number(clinic.data?.tax_rate_percent)}%</Text>
              <Text style={styles.amount} testID="cart-tax">
                {formatMoney(tax, currency)}
              </Text>
            </View>
            <View style={styles.sum}>
              <Text style={styles.total}>Total</Text>
              <Text style={styles.total} testID="cart-total">
                {formatMoney(subtotal + tax, currency)}
              </Text>
            </View>
          </>
        )}
      </Card>
      <Text style={styles.muted}>Prices are confirmed by the clinic when you place the order.</Text>
      <Button title="Place order" testID="checkout" busy={checkout.isPending} onPress={() => void submit()} />
    </Screen>
  );
}

const styles = StyleSheet.create({
  name: { fontSize: font.body, fontWeight: '600', color: colors.text },
  muted: { color: colors.muted, fontSize: font.small, marginBottom: space.sm },
  row: { flexDirection: 'row', alignItems: 'center', gap: space.sm, flexWrap: 'wrap' },
  qty: { fontSize: font.title, minWidth: 28, textAlign: 'center', color: colors.text },
  total: { fontSize: font.title, fontWeight: '700', color: colors.text },
  sum: { flexDirection: 'row', justifyContent: 'space-between', paddingVertical: space.xs },
  label: { fontSize: font.body, color: colors.muted },
  amount: { fontSize: font.body, color: colors.text },
});
