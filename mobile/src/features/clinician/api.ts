/** Clinician endpoints: the appointments of a time window and recording whether a visit happened. */
import { api } from '@/api';
import { route, type Page } from '@/api/types';
import type { Appointment } from '@/features/appointments/types';

export type VisitOutcome = 'done' | 'no_show';

export const clinicianApi = {
  appointmentsBetween: (startAfter: string, startBefore: string) =>
    api.get<Page<Appointment>>(route('/api/v1/appointments'), { query: { start_after: startAfter, start_before: startBefore, page_size: 100 } }),
  setOutcome: (id: number, status: VisitOutcome) =>
    api.post<Appointment>(route('/api/v1/appointments/{appointment_id}/status', { appointment_id: id }), { status }),
};
