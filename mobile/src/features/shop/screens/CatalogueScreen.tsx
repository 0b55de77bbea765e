/** Product catalogue with search, category filter and paging; links to cart and orders. */
import { router } from 'expo-router';
import { useState } from 'react';
import { StyleSheet, View } from 'react-native';

import { cartCount, useCart } from '../cart';
import { useCategoriesQuery, useProductsQuery } from '../queries';
import { asFailure } from '@/api/result';
import { useDebounced } from '@/lib/useDebounced';
import { formatMoney } from '@/lib/format';
import { Button } from '@/ui/Button';
import { Chip } from '@/ui/Chip';
import { ListItem } from '@/ui/ListItem';
import { Screen } from '@/ui/Screen';
import { EmptyState, ErrorState, LoadingState } from '@/ui/States';
import { TextField } from '@/ui/TextField';
import { space } from '@/ui/theme';

export function CatalogueScreen() {
  const [search, setSearch] = useState('');
  const [category, setCategory] = useState<string | null>(null);
  const debounced = useDebounced(search.trim(), 300);
  const products = useProductsQuery(debounced, category);
  const categories = useCategoriesQuery();
  const count = cartCount(useCart());
  const items = products.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <Screen testID="screen-shop">
      <View style={styles.actions}>
        <Button variant="secondary" title={`Cart (${count})`} testID="open-cart" onPress={() => router.push('/shop/cart')} />
        <Button variant="secondary" title="My orders" testID="open-orders" onPress={() => router.push('/shop/orders')} />
      </View>
      <TextField label="Search products" testID="shop-search" value={search} onChangeText={setSearch} placeholder="e.g. sunscreen" autoCapitalize="none" />
      {categories.data?.length ? (
        <View style={styles.chips} testID="category-chips">
          <Chip label="All" selected={category === null} onPress={() => setCategory(null)} testID="category-all" />
          {categories.data.map((c) => (
            <Chip key={c.slug} label={c.name} selected={category === c.slug} onPress={() => setCategory(c.slug)} testID={`category-${c.slug}`} />
          ))}
        </View>
      ) : null}
      {products.data === undefined ? (
        products.isError ? (
          <ErrorState failure={asFailure(products.error)} onRetry={() => void products.refetch()} />
        ) : (
          <LoadingState label="Loading products…" />
        )
      ) : items.length === 0 ? (
        <EmptyState title="No products found" body={debounced || category ? 'Try another search or category.' : 'The shop is empty right now.'} />
      ) : (
        <View testID="product-list">
          {items.map((p) => (
            <ListItem
              key={p.id}
              testID={`product-${p.id}`}
              title={p.name}
              subtitle={p.stock > 0 ? `${p.stock} in stock` : 'Out of stock'}
              trailing={formatMoney(p.price_minor, p.currency)}
              onPress={() => router.push({ pathname: '/shop/product/[id]', params: { id: String(p.id) } })}
            />
          ))}
          {products.hasNextPage ? (
            <Button variant="secondary" title="Load more" testID="products-more" busy={products.isFetchingNextPage} onPress={() => void products.fetchNextPage()} />
          ) : null}
        </View>
      )}
    </Screen>
  );
}

const styles = StyleSheet.create({
  actions: { flexDirection: 'row', gap: space.sm, marginBottom: space.md, flexWrap: 'wrap' },
  chips: { flexDirection: 'row', flexWrap: 'wrap', marginBottom: space.md },
});
