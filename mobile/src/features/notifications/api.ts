/** Notification endpoints: push devices and the in-app list. */
import { api } from '@/api';
import { route, type Page } from '@/api/types';
import type { components } from '@/api/schema';
import type { AppNotification } from './types';

export const PAGE_SIZE = 20;

export const notificationsApi = {
  registerDevice: (token: string, platform: 'ios' | 'android' | 'web') =>
    api.post<components['schemas']['DeviceOut']>(route('/api/v1/notifications/devices'), { token, platform }),
  unregisterDevice: (token: string) => api.delete<void>(route('/api/v1/notifications/devices/{token}', { token })),
  list: (page: number) => api.get<Page<AppNotification>>(route('/api/v1/notifications'), { query: { page, page_size: PAGE_SIZE } }),
  unreadCount: () => api.get<Page<AppNotification>>(route('/api/v1/notifications'), { query: { unread: true, page: 1, page_size: 1 } }),
  markRead: (id: number) => api.post<void>(route('/api/v1/notifications/{notification_id}/read', { notification_id: id })),
};
