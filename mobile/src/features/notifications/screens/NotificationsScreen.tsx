/** In-app notifications (reminders, order updates); tapping one marks it read. */
import { View } from 'react-native';

import { RemindersCard } from '../components/RemindersCard';
import { useMarkReadMutation, useNotificationsQuery } from '../queries';
import { asFailure } from '@/api/result';
import { formatDate } from '@/lib/format';
import { Button } from '@/ui/Button';
import { ListItem } from '@/ui/ListItem';
import { Screen } from '@/ui/Screen';
import { EmptyState, ErrorState, LoadingState } from '@/ui/States';

export function NotificationsScreen() {
  const notifications = useNotificationsQuery();
  const markRead = useMarkReadMutation();
  const items = notifications.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Screen testID="screen-notifications">
      <RemindersCard />
      {notifications.data === undefined ? (
        notifications.isError ? <ErrorState failure={asFailure(notifications.error)} onRetry={() => void notifications.refetch()} /> : <LoadingState label="Loading notifications…" />
      ) : items.length === 0 ? (
        <EmptyState title="No notifications" body="Appointment reminders and order updates appear here." />
      ) : (
        <View testID="notification-list">
          {items.map((n) => (
            <ListItem
              key={n.id}
              testID={`notification-${n.id}`}
              title={`${n.read ? '' : '● '}${n.title}`}
              subtitle={formatDate(n.sent_at ?? n.created_at ?? '')}
              detail={n.body}
              accessibilityLabel={`${n.read ? '' : 'Unread. '}${n.title}. ${n.body}`}
              onPress={n.read ? undefined : () => markRead.mutate(n.id)}
            />
          ))}
          {notifications.hasNextPage ? <Button variant="secondary" title="Load more" testID="notifications-more" onPress={() => void notifications.fetchNextPage()} /> : null}
        </View>
      )}
    </Screen>
  );
}
