/** Appointment endpoints: clinicians, free slots in my time zone, booking (idempotent), changes. */
import { api } from '@/api';
import type { Page } from '@/api/types';
import type { Appointment, Clinician, Slot } from './types';

export const PAGE_SIZE = 20;

export const appointmentsApi = {
  clinicians: (page: number) => api.get<Page<Clinician>>('/api/v1/clinicians', { query: { page, page_size: PAGE_SIZE } }),
  clinician: (id: number) => api.get<Clinician>(`/api/v1/clinicians/${id}`),
  slots: (id: number, start: string, end: string, tz: string) =>
    api.get<{ items: Slot[] }>(`/api/v1/clinicians/${id}/slots`, { query: { start, end, tz } }),
  book: (input: { clinician_id: number; start: string; reason?: string }, idempotencyKey: string) =>
    api.post<Appointment>('/api/v1/appointments', input, { headers: { 'Idempotency-Key': idempotencyKey } }),
  mine: (page: number) => api.get<Page<Appointment>>('/api/v1/appointments', { query: { page, page_size: PAGE_SIZE } }),
  get: (id: number) => api.get<Appointment>(`/api/v1/appointments/${id}`),
  reschedule: (id: number, start: string) => api.post<Appointment>(`/api/v1/appointments/${id}/reschedule`, { start }),
  cancel: (id: number) => api.post<Appointment>(`/api/v1/appointments/${id}/cancel`),
};
