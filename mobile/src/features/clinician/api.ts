/** Clinician endpoints: the appointments of a time window and recording whether a visit happened. */
import { api } from '@/api';
import type { components } from '@/api/schema';
import { route, type Page } from '@/api/types';
import type { Appointment } from '@/features/appointments/types';

export type VisitOutcome = 'done' | 'no_show';
export type WorklistItem = components['schemas']['WorklistItemOut'];
export type WorklistFilters = { risk?: 'high' | 'medium' | 'low'; reviewed?: boolean; date_from?: string; date_to?: string };
export type ReviewInput = components['schemas']['ReviewIn'];
export type ReviewDetail = components['schemas']['ReviewDetailOut'];

export const WORKLIST_PAGE_SIZE = 20;

export const clinicianApi = {
  appointmentsBetween: (startAfter: string, startBefore: string) =>
    api.get<Page<Appointment>>(route('/api/v1/appointments'), { query: { start_after: startAfter, start_before: startBefore, page_size: 100 } }),
  worklist: (filters: WorklistFilters, page: number) =>
    api.get<Page<WorklistItem>>(route('/api/v1/clinician/worklist'), { query: { ...filters, page, page_size: WORKLIST_PAGE_SIZE } }),
  review: (screeningId: string, input: ReviewInput) =>
    api.put<ReviewDetail>(route('/api/v1/screenings/{screening_id}/review', { screening_id: screeningId }), input),
  setOutcome: (id: number, status: VisitOutcome) =>
    api.post<Appointment>(route('/api/v1/appointments/{appointment_id}/status', { appointment_id: id }), { status }),
};
