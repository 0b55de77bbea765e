/** Order history, newest first. */
import { router } from 'expo-router';
import { View } from 'react-native';

import { useOrdersQuery } from '../queries';
import { asFailure } from '@/api/result';
import { formatDate, formatMoney } from '@/lib/format';
import { Button } from '@/ui/Button';
import { ListItem } from '@/ui/ListItem';
import { Screen } from '@/ui/Screen';
import { EmptyState, ErrorState, LoadingState } from '@/ui/States';

export function OrdersScreen() {
  const orders = useOrdersQuery();
  const items = orders.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Screen testID="screen-orders">
      {orders.data === undefined ? (
        orders.isError ? <ErrorState failure={asFailure(orders.error)} onRetry={() => void orders.refetch()} /> : <LoadingState label="Loading orders…" />
      ) : items.length === 0 ? (
        <EmptyState title="No orders yet" body="Orders you place in the shop appear here." />
      ) : (
        <View testID="order-list">
          {items.map((o) => (
            <ListItem
              key={o.id}
              testID={`order-${o.id}`}
              title={`Order ${o.number}`}
              subtitle={`${formatDate(o.created_at)} · ${o.status}`}
              trailing={formatMoney(o.total_minor, o.currency)}
              onPress={() => router.push({ pathname: '/shop/orders/[id]', params: { id: String(o.id) } })}
            />
          ))}
          {orders.hasNextPage ? <Button variant="secondary" title="Load more" testID="orders-more" busy={orders.isFetchingNextPage} onPress={() => void orders.fetchNextPage()} /> : null}
        </View>
      )}
    </Screen>
  );
}
