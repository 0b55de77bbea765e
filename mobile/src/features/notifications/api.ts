/** Notification endpoints: push devices and the in-app list. */
import { api } from '@/api';
import type { Page } from '@/api/types';
import type { AppNotification } from './types';

export const PAGE_SIZE = 20;

export const notificationsApi = {
  registerDevice: (token: string, platform: 'ios' | 'android' | 'web') => api.post<unknown>('/api/v1/notifications/devices', { token, platform }),
  unregisterDevice: (token: string) => api.delete<void>(`/api/v1/notifications/devices/${encodeURIComponent(token)}`),
  list: (page: number) => api.get<Page<AppNotification>>('/api/v1/notifications', { query: { page, page_size: PAGE_SIZE } }),
  markRead: (id: number) => api.post<void>(`/api/v1/notifications/${id}/read`),
};
