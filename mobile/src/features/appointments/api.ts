/** Appointment endpoints: clinicians, free slots in my time zone, booking (idempotent), changes. */
import { api } from '@/api';
import { route, type Page } from '@/api/types';
import type { Appointment, Clinician, ClinicianDetail, SlotList } from './types';

export const PAGE_SIZE = 20;

export const appointmentsApi = {
  clinicians: (page: number) => api.get<Page<Clinician>>(route('/api/v1/clinicians'), { query: { page, page_size: PAGE_SIZE } }),
  clinician: (id: number) => api.get<ClinicianDetail>(route('/api/v1/clinicians/{clinician_id}', { clinician_id: id })),
  slots: (id: number, start: string, end: string, tz: string) =>
    api.get<SlotList>(route('/api/v1/clinicians/{clinician_id}/slots', { clinician_id: id }), { query: { start, end, tz } }),
  book: (input: { clinician_id: number; start: string; reason?: string }, idempotencyKey: string) =>
    api.post<Appointment>(route('/api/v1/appointments'), input, { headers: { 'Idempotency-Key': idempotencyKey } }),
  mine: (page: number) => api.get<Page<Appointment>>(route('/api/v1/appointments'), { query: { page, page_size: PAGE_SIZE } }),
  get: (id: number) => api.get<Appointment>(route('/api/v1/appointments/{appointment_id}', { appointment_id: id })),
  reschedule: (id: number, start: string) => api.post<Appointment>(route('/api/v1/appointments/{appointment_id}/reschedule', { appointment_id: id }), { start }),
  cancel: (id: number) => api.post<Appointment>(route('/api/v1/appointments/{appointment_id}/cancel', { appointment_id: id })),
};
