/** TanStack Query hooks for the in-app notification list. */
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

import { unwrap } from '@/api/result';
import type { Page } from '@/api/types';
import { notificationsApi, PAGE_SIZE } from './api';

export const RQKEY_NOTIFICATIONS = 'notifications';

export function useNotificationsQuery() {
  return useInfiniteQuery({
    queryKey: [RQKEY_NOTIFICATIONS],
    queryFn: async ({ pageParam }) => unwrap(await notificationsApi.list(pageParam)),
    initialPageParam: 1,
    getNextPageParam: (last: Page<unknown>, all: Page<unknown>[]) => {
      const loaded = all.reduce((n, p) => n + p.items.length, 0);
      return loaded < last.count && last.items.length === PAGE_SIZE ? all.length + 1 : undefined;
    },
  });
}

/** How many notifications are unread (badges on the Profile tab and the home screen); refreshed every minute. */
export function useUnreadCountQuery(enabled = true) {
  return useQuery({
    queryKey: [RQKEY_NOTIFICATIONS, 'unread-count'],
    queryFn: async () => unwrap(await notificationsApi.unreadCount()).count,
    enabled,
    refetchInterval: 60_000,
  });
}

export function useMarkReadMutation() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => notificationsApi.markRead(id),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: [RQKEY_NOTIFICATIONS] }),
  });
}
