/** One product: description, price, stock, add to cart. */
import { router, useLocalSearchParams } from 'expo-router';
import { useState } from 'react';
import { Image, StyleSheet, Text, View } from 'react-native';

import { cart, maxQuantity, useCart } from '../cart';
import { useProductQuery } from '../queries';
import { formatMoney } from '@/lib/format';
import { Button } from '@/ui/Button';
import { QueryView } from '@/ui/QueryView';
import { Screen } from '@/ui/Screen';
import { FormMessage } from '@/ui/States';
import { colors, font, space } from '@/ui/theme';

export function ProductScreen() {
  const { id } = useLocalSearchParams<{ id: string }>();
  const product = useProductQuery(Number(id));
  const [quantity, setQuantity] = useState(1);
  const [added, setAdded] = useState<string | null>(null);
  const current = useCart();

  return (
    <Screen testID="screen-product">
      <QueryView query={product} loadingLabel="Loading product…">
        {(p) => {
          const inCart = current.lines.find((l) => l.product_id === p.id)?.quantity ?? 0;
          // What can still be added: the stock (and the per-line limit) minus what the cart already holds.
          const room = Math.max(0, maxQuantity(p.stock) - inCart);
          return (
          <View>
            {p.image_url ? <Image source={{ uri: p.image_url }} style={styles.image} accessibilityLabel={p.name} resizeMode="contain" /> : null}
            <Text style={styles.name} accessibilityRole="header" testID="product-name">
              {p.name}
            </Text>
            <Text style={styles.price} testID="product-price">
              {formatMoney(p.price_minor, p.currency)}
            </Text>
            <Text style={styles.stock} testID="product-stock">
              {p.stock > 0 ? `${p.stock} in stock` : 'Out of stock'}
              {inCart > 0 ? ` · ${inCart} in your cart` : ''}
            </Text>
            <Text style={styles.description}>{p.description}</Text>
            <FormMessage text={added} tone="success" testID="added-to-cart" />
            <View style={styles.quantity}>
              <Button variant="secondary" title="−" testID="quantity-minus" accessibilityLabel="Decrease quantity" disabled={quantity <= 1} onPress={() => setQuantity((q) => Math.max(1, q - 1))} />
              <Text style={styles.qtyText} testID="quantity" accessibilityLabel={`Quantity ${quantity}`}>
                {quantity}
              </Text>
              <Button variant="secondary" title="+" testID="quantity-plus" accessibilityLabel="Increase quantity" disabled={quantity >= room} onPress={() => setQuantity((q) => q + 1)} />
            </View>
            <Button
              title="Add to cart"
              testID="add-to-cart"
              disabled={!p.active || room <= 0}
              onPress={() => {
                const adding = Math.min(quantity, room);
                cart.add(p, adding);
                setQuantity(1);
                setAdded(`Added ${adding} × ${p.name} to your cart.`);
              }}
            />
            {p.stock > 0 && room <= 0 ? (
              <Text style={styles.stock} testID="product-all-in-cart">
                Your cart already holds all that can be ordered.
              </Text>
            ) : null}
            <Button variant="secondary" title="Go to cart" testID="goto-cart" onPress={() => router.push('/shop/cart')} />
          </View>
          );
        }}
      </QueryView>
    </Screen>
  );
}

const styles = StyleSheet.create({
  image: { width: '100%', height: 200, marginBottom: space.md, backgroundColor: colors.card },
  name: { fontSize: font.heading, fontWeight: '700', color: colors.text },
  price: { fontSize: font.title, color: colors.text, marginVertical: space.xs },
  stock: { color: colors.muted, marginBottom: space.md },
  description: { fontSize: font.body, color: colors.text, marginBottom: space.lg, lineHeight: 22 },
  quantity: { flexDirection: 'row', alignItems: 'center', gap: space.md, marginBottom: space.sm },
  qtyText: { fontSize: font.title, minWidth: 32, textAlign: 'center', color: colors.text },
});
